//! DescribeInstances and RunInstances answers: instances as [`Node`]s.

use std::net::IpAddr;

use super::tree::Element;
use super::{document, extra_of, next_token, node_state, parse_error, required, tags, time_of};
use crate::compute::Node;
use crate::error::Result;
use crate::http::Response;
use crate::storage::Page;

/// Instance fields with a place in [`Node`] (the other leaves go to `extra`).
const TAKEN: &[&str] = &[
    "instanceId",
    "instanceType",
    "imageId",
    "launchTime",
    "ipAddress",
    "privateIpAddress",
    "ipv6Address",
];

/// The nodes of one DescribeInstances page (every reservation's instances) and the token
/// of the next.
pub fn describe_instances(resp: &Response) -> Result<Page<Node>> {
    const ACTION: &str = "DescribeInstances";
    let doc = document(resp, ACTION)?;
    let mut items = Vec::new();
    for reservation in doc.items("reservationSet") {
        for item in reservation.items("instancesSet") {
            items.push(node(item, reservation, ACTION)?);
        }
    }
    let next_token = next_token(&doc);
    Ok(Page { items, next_token })
}

/// The nodes a RunInstances answer describes (one per instance launched). None is
/// `Parse`: EC2 launches at least `MinCount` or fails.
pub fn run_instances(resp: &Response) -> Result<Vec<Node>> {
    const ACTION: &str = "RunInstances";
    let doc = document(resp, ACTION)?;
    let nodes = doc
        .items("instancesSet")
        .map(|item| node(item, &doc, ACTION))
        .collect::<Result<Vec<_>>>()?;
    match nodes.is_empty() {
        true => Err(parse_error(ACTION, "the answer names no instance")),
        false => Ok(nodes),
    }
}

/// The one node a RunInstances for one instance launched: any other count is `Parse`,
/// naming the instances the answer reports (they may need terminating).
pub fn run_instance(resp: &Response) -> Result<Node> {
    let mut nodes = run_instances(resp)?;
    match nodes.len() {
        1 => Ok(nodes.remove(0)),
        n => {
            let ids: Vec<&str> = nodes.iter().take(10).map(|n| n.id.as_str()).collect();
            Err(parse_error(
                "RunInstances",
                format!("{n} instances launched for one asked: {}", ids.join(", ")),
            ))
        }
    }
}

/// One instance; `reservation` adds `reservationId` and `ownerId` to `extra`.
fn node(item: &Element, reservation: &Element, action: &str) -> Result<Node> {
    let id = required(item.text_of("instanceId"), action, "instanceId")?;
    let state = item.child("instanceState").and_then(|s| s.text_of("name"));
    let tags = tags(item, action)?;
    let name = tags.get("Name").cloned().unwrap_or_default();
    let mut n = Node::new(
        id,
        name,
        node_state(required(state, action, "instanceState")?),
    );
    n.size = item.text_of("instanceType").map(str::to_owned);
    n.image = item.text_of("imageId").map(str::to_owned);
    n.location = item
        .child("placement")
        .and_then(|p| p.text_of("availabilityZone"))
        .map(str::to_owned);
    n.created_at = time_of(item, "launchTime", action)?;
    n.public_ips = public_ips(item, action)?;
    n.private_ips = ips(item.text_of("privateIpAddress"), "privateIpAddress", action)?;
    n.tags = tags;
    n.extra = extra_of(item, TAKEN);
    for field in ["reservationId", "ownerId"] {
        if let Some(v) = reservation.text_of(field) {
            n.extra.insert(field.to_owned(), v.to_owned());
        }
    }
    Ok(n)
}

/// The public IPv4 (`ipAddress`), then the IPv6 addresses (global, so public): the
/// instance's `ipv6Address` and those of its network interfaces, each once.
fn public_ips(item: &Element, action: &str) -> Result<Vec<IpAddr>> {
    let mut out = ips(item.text_of("ipAddress"), "ipAddress", action)?;
    let mut v6: Vec<Option<&str>> = vec![item.text_of("ipv6Address")];
    for nic in item.items("networkInterfaceSet") {
        v6.extend(
            nic.items("ipv6AddressesSet")
                .map(|a| a.text_of("ipv6Address")),
        );
    }
    for text in v6 {
        for ip in ips(text, "ipv6Address", action)? {
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    Ok(out)
}

/// The address in `text`, if any; one that does not parse is `Parse`.
fn ips(text: Option<&str>, field: &str, action: &str) -> Result<Vec<IpAddr>> {
    match text {
        None => Ok(Vec::new()),
        Some(t) => t
            .trim()
            .parse()
            .map(|ip| vec![ip])
            .map_err(|_| parse_error(action, format!("<{field}> is not an IP address"))),
    }
}
