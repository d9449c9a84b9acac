//! What `sync` does with each name: copy it (and why), leave it, or delete it. Pure.

use crate::listing::Item;
use std::collections::BTreeMap;

/// One decision of a sync plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Copy the source item; the reason is for `--dry-run` and plain logs.
    Copy(Item, &'static str),
    /// Delete the destination item (only with `--delete`).
    Delete(Item),
}

/// Why a source item must be copied over `dst`, or `None` when both hold the same: sizes
/// first, then MD5 where both sides know one, else last-modified times in whole seconds
/// (a source written after its copy is copied again). Whole seconds, because stores
/// state times at different precisions: a listing's `…:07.512Z` and the same object's
/// `Last-Modified: …:07 GMT` (which a downloaded file is stamped with) are one time.
pub fn why_copy(src: &Item, dst: Option<&Item>) -> Option<&'static str> {
    let Some(dst) = dst else {
        return Some("new");
    };
    if src.size != dst.size {
        return Some("size differs");
    }
    if let (Some(a), Some(b)) = (&src.md5, &dst.md5) {
        return (a != b).then_some("content differs");
    }
    match (
        src.modified.map(whole_seconds),
        dst.modified.map(whole_seconds),
    ) {
        (Some(s), Some(d)) if s > d => Some("source is newer"),
        _ => None,
    }
}

fn whole_seconds(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The plan: copies in source order, then deletions (when asked) in destination order.
pub fn plan(src: Vec<Item>, dst: Vec<Item>, delete: bool) -> Vec<Step> {
    let mut dst: BTreeMap<String, Item> = dst.into_iter().map(|i| (i.rel.clone(), i)).collect();
    let mut steps = Vec::new();
    for item in src {
        let there = dst.remove(&item.rel);
        if let Some(reason) = why_copy(&item, there.as_ref()) {
            steps.push(Step::Copy(item, reason));
        }
    }
    if delete {
        steps.extend(dst.into_values().map(Step::Delete));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::Place;
    use std::time::{Duration, SystemTime};

    fn item(rel: &str, size: u64, md5: Option<&str>, secs: u64) -> Item {
        Item {
            rel: rel.into(),
            size,
            md5: md5.map(str::to_owned),
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
            at: Place::File(rel.into()),
        }
    }

    #[test]
    fn sizes_then_hashes_then_times_decide() {
        let src = item("a", 3, Some("x"), 10);
        assert_eq!(why_copy(&src, None), Some("new"));
        assert_eq!(
            why_copy(&src, Some(&item("a", 4, Some("x"), 99))),
            Some("size differs")
        );
        assert_eq!(
            why_copy(&src, Some(&item("a", 3, Some("y"), 99))),
            Some("content differs")
        );
        // Same hash: the times do not matter.
        assert_eq!(why_copy(&src, Some(&item("a", 3, Some("x"), 1))), None);
        let unhashed = item("a", 3, None, 10);
        assert_eq!(
            why_copy(&unhashed, Some(&item("a", 3, None, 5))),
            Some("source is newer")
        );
        assert_eq!(why_copy(&unhashed, Some(&item("a", 3, None, 10))), None);
        // A listing's milliseconds against the same time stated in whole seconds.
        let mut listed = unhashed.clone();
        listed.modified = listed.modified.map(|t| t + Duration::from_millis(512));
        assert_eq!(why_copy(&listed, Some(&unhashed)), None);
    }

    #[test]
    fn extras_are_deleted_only_when_asked() {
        let src = vec![item("a", 1, None, 1), item("b", 1, None, 1)];
        let dst = vec![item("b", 1, None, 2), item("c", 1, None, 2)];
        let steps = plan(src.clone(), dst.clone(), false);
        assert_eq!(steps, vec![Step::Copy(src[0].clone(), "new")]);
        let steps = plan(src.clone(), dst.clone(), true);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1], Step::Delete(dst[1].clone()));
    }
}
