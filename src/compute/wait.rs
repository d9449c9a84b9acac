//! Waiting for nodes to run, pure parts: which of the nodes asked for are still pending
//! after a look, whether one can never run, and how long to wait before looking again.
//! The drivers' `wait_until_running` loops over these with the mode's sleep, so the
//! decisions are the same in both modes and testable without a clock.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{Node, NodeState};
use crate::error::{Error, ErrorKind, Result};

/// The first wait between looks; it doubles up to [`MAX_INTERVAL`].
pub const FIRST_INTERVAL: Duration = Duration::from_secs(1);

/// The longest wait between looks.
pub const MAX_INTERVAL: Duration = Duration::from_secs(20);

/// Where a wait stands after one look at the nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Every node asked for is ready (running, with an address): here they are, in the
    /// order asked.
    Ready(Vec<Node>),
    /// These (ids, in the order asked) are not ready yet.
    Pending(Vec<String>),
}

/// Judges one look: `seen` is what the provider listed for the ids asked (`wanted`).
/// A node that is gone (not listed), terminated or failed can never run: that is an
/// error naming it (`NotFound` or `Provider`), so the caller stops waiting at once.
///
/// ```
/// use multicloud::compute::{Node, NodeState, wait::{Progress, judge}};
///
/// let mut web = Node::new("i-1", "web", NodeState::Running);
/// web.private_ips.push("10.0.0.5".parse().unwrap());
/// let db = Node::new("i-2", "db", NodeState::Pending);
/// let wanted = ["i-1".to_string(), "i-2".to_string()];
/// let look = judge(&wanted, vec![web.clone(), db])?;
/// assert_eq!(look, Progress::Pending(vec!["i-2".into()]));
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn judge(wanted: &[String], seen: Vec<Node>) -> Result<Progress> {
    let mut ready = Vec::with_capacity(wanted.len());
    let mut pending = Vec::new();
    for id in wanted {
        let Some(node) = seen.iter().find(|n| &n.id == id) else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("node {id:?} is gone while waiting for it to run"),
            ));
        };
        if node.state.is_final() {
            return Err(Error::new(
                ErrorKind::Provider,
                format!("node {id:?} is {} and will never run", node.state),
            ));
        }
        match node.is_ready() {
            true => ready.push(node.clone()),
            false => pending.push(id.clone()),
        }
    }
    Ok(match pending.is_empty() {
        true => Progress::Ready(ready),
        false => Progress::Pending(pending),
    })
}

/// The wait before look number `look` (0 for the wait after the first look): 1 s, 2 s,
/// 4 s... up to [`MAX_INTERVAL`], never past `left` (the time remaining).
///
/// ```
/// use multicloud::compute::wait::next_interval;
/// use std::time::Duration;
/// let left = Duration::from_secs(600);
/// assert_eq!(next_interval(0, left), Duration::from_secs(1));
/// assert_eq!(next_interval(3, left), Duration::from_secs(8));
/// assert_eq!(next_interval(30, left), Duration::from_secs(20));
/// assert_eq!(next_interval(30, Duration::from_millis(300)), Duration::from_millis(300));
/// ```
pub fn next_interval(look: u32, left: Duration) -> Duration {
    let doubled = FIRST_INTERVAL.saturating_mul(1u32 << look.min(16));
    doubled.min(MAX_INTERVAL).min(left)
}

/// The error of a wait that ran out of time, naming the nodes still pending and the
/// state each was last seen in.
///
/// ```
/// use multicloud::compute::{Node, NodeState, wait::timed_out};
/// let e = timed_out(&[Node::new("i-2", "db", NodeState::Pending)], std::time::Duration::from_secs(300));
/// assert_eq!(e.kind(), multicloud::ErrorKind::Timeout);
/// assert!(e.to_string().contains("i-2 (db, pending)"));
/// ```
pub fn timed_out(pending: &[Node], waited: Duration) -> Error {
    let names: Vec<String> = pending
        .iter()
        .map(|n| format!("{} ({}, {})", n.id, n.name, state_seen(n)))
        .collect();
    Error::new(
        ErrorKind::Timeout,
        format!(
            "nodes still not running after {} s: {}",
            waited.as_secs(),
            names.join(", ")
        ),
    )
}

/// What a pending node lacks: its state, or "no address yet" when it runs.
fn state_seen(n: &Node) -> String {
    match n.state {
        NodeState::Running => "running, no address yet".into(),
        other => other.to_string(),
    }
}

/// Checks the ids of a wait: at least one, none empty, none twice (`InvalidInput`).
pub fn check_ids(ids: &[String]) -> Result<()> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if id.is_empty() || !seen.insert(id) {
            return Err(Error::invalid(format!(
                "node id {id:?} is empty or given twice"
            )));
        }
    }
    match ids.is_empty() {
        true => Err(Error::invalid("no node ids to wait for")),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, state: NodeState, ip: bool) -> Node {
        let mut n = Node::new(id, id, state);
        if ip {
            n.public_ips.push("203.0.113.7".parse().unwrap());
        }
        n
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ready_means_running_with_an_address_in_the_order_asked() {
        let seen = vec![
            node("b", NodeState::Running, true),
            node("a", NodeState::Running, true),
        ];
        let Progress::Ready(nodes) = judge(&ids(&["a", "b"]), seen).unwrap() else {
            panic!("both run")
        };
        assert_eq!(
            nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let no_ip = vec![node("a", NodeState::Running, false)];
        let got = judge(&ids(&["a"]), no_ip).unwrap();
        assert_eq!(got, Progress::Pending(ids(&["a"])));
    }

    #[test]
    fn gone_terminated_or_failed_nodes_end_the_wait() {
        let e = judge(
            &ids(&["a", "b"]),
            vec![node("a", NodeState::Pending, false)],
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("\"b\""), "{e}");
        for state in [NodeState::Terminated, NodeState::Error] {
            let e = judge(&ids(&["a"]), vec![node("a", state, false)]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Provider, "{e}");
        }
    }

    #[test]
    fn intervals_double_up_to_the_cap_and_never_pass_the_deadline() {
        let left = Duration::from_secs(3600);
        let waits: Vec<u64> = (0..8).map(|i| next_interval(i, left).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 20, 20, 20]);
        assert_eq!(next_interval(u32::MAX, left), MAX_INTERVAL);
        assert_eq!(next_interval(2, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn ids_must_be_present_and_distinct() {
        assert!(check_ids(&ids(&["a", "b"])).is_ok());
        assert!(check_ids(&[]).is_err());
        assert!(check_ids(&ids(&["a", "a"])).is_err());
        assert!(check_ids(&ids(&[""])).is_err());
    }
}
