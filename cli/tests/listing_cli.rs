//! `ls --summarize`: the count and total size of what was listed.

mod support;

use support::{Emulator, Store, run};

#[test]
fn ls_summarize_counts_what_it_listed() {
    let store = Store::new(Emulator::Moto, "summary");
    store.put("p/a", &[0; 1000]);
    store.put("p/sub/b", &[0; 2000]);
    store.put("q/c", &[0; 5]);
    let flat = run(&["ls", "--summarize", "--bytes", &store.url("p/")]).ok();
    assert!(
        flat.stdout
            .ends_with("Total objects: 2\n   Total size: 3000\n"),
        "{flat:#?}"
    );
    // One level: the prefix below is no object of this level.
    let level = run(&["ls", "-d", "--summarize", "--bytes", &store.url("p/")]).ok();
    assert!(level.stdout.contains("Total objects: 1\n"), "{level:#?}");
    let json = run(&["ls", "--json", "--summarize", &store.url("")]).ok();
    let last: serde_json::Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
    assert_eq!(
        (last["objects"].as_u64(), last["bytes"].as_u64()),
        (Some(3), Some(3005))
    );
}
