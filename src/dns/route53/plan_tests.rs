use super::plan::*;
use super::requests::{Action, RecordSet, Start};
use crate::dns::{NewRecord, RecordData, RecordType};
use crate::error::ErrorKind;

fn a(ip: &str) -> RecordData {
    RecordData::A(ip.parse().unwrap())
}

fn set(name: &str, values: &[&str], ttl: u32) -> RecordSet {
    let mut s = RecordSet::new(name, "A", ttl);
    s.values = values.iter().map(|v| v.to_string()).collect();
    s
}

#[test]
fn one_value_is_added_replaced_or_taken_out_of_its_set() {
    let www = "www.example.com";
    let new = create(None, www, &a("192.0.2.1"), None).unwrap();
    assert_eq!(new[0].0, Action::Create);
    assert_eq!(
        (new[0].1.values.clone(), new[0].1.ttl),
        (vec!["192.0.2.1".to_owned()], Some(300))
    );
    let two = set(www, &["192.0.2.1", "192.0.2.2"], 60);
    let added = create(Some(&two), www, &a("192.0.2.3"), Some(120)).unwrap();
    assert_eq!(added[0].0, Action::Upsert);
    assert_eq!((added[0].1.values.len(), added[0].1.ttl), (3, Some(120)));
    let dup = create(Some(&two), www, &a("192.0.2.2"), None).unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists);
    let less = delete(&two, &a("192.0.2.1")).unwrap();
    assert_eq!(
        (less[0].0, less[0].1.values.clone()),
        (Action::Upsert, vec!["192.0.2.2".to_owned()])
    );
    let last = delete(&set(www, &["192.0.2.1"], 60), &a("192.0.2.1")).unwrap();
    assert_eq!(last[0].0, Action::Delete);
    assert_eq!(
        delete(&two, &a("192.0.2.9")).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let replaced = update(&two, &a("192.0.2.1"), None, www, &a("192.0.2.7"), Some(30)).unwrap();
    assert_eq!(replaced[0].1.values, ["192.0.2.7", "192.0.2.2"]);
    assert_eq!(replaced[0].1.ttl, Some(30));
    let taken = update(&two, &a("192.0.2.1"), None, www, &a("192.0.2.2"), None).unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::AlreadyExists);
    let retyped = update(
        &two,
        &a("192.0.2.1"),
        None,
        www,
        &RecordData::Txt("x".into()),
        None,
    );
    assert_eq!(retyped.unwrap_err().kind(), ErrorKind::InvalidInput);
    let moved = update(
        &two,
        &a("192.0.2.1"),
        None,
        "api.example.com",
        &a("192.0.2.1"),
        None,
    )
    .unwrap();
    let actions: Vec<Action> = moved.iter().map(|(a, _)| *a).collect();
    assert_eq!(actions, [Action::Upsert, Action::Create]);
    let rec = record_after(
        &moved,
        ("Z1", "example.com"),
        "api.example.com",
        &a("192.0.2.1"),
        "C1".into(),
    )
    .unwrap();
    assert_eq!(
        (rec.name.as_str(), rec.ttl, rec.change.as_deref()),
        ("api", Some(300), Some("C1")),
        "a new set without a TTL gets the default"
    );
    let bad = NewRecord::new("bad name!", a("192.0.2.1"));
    assert_eq!(
        fqdn_of(&bad, "example.com").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn pages_of_records_cut_sets_and_go_on_inside_them() {
    let sets = [
        set(
            "a.example.com",
            &["192.0.2.1", "192.0.2.2", "192.0.2.3"],
            60,
        ),
        set("b.example.com", &["192.0.2.4"], 60),
    ];
    let zone = ("Z1", "example.com");
    let first = records_page(&sets, None, None, 2, zone).unwrap();
    assert_eq!(first.items.len(), 2);
    let (start, skip) = parse_token(first.next_token.as_deref().unwrap()).unwrap();
    assert_eq!(
        (start.name.as_str(), start.rtype.as_deref(), skip),
        ("a.example.com", Some("A"), 2)
    );
    let rest = records_page(&sets, Some((&start, skip)), None, 2, zone).unwrap();
    let names: Vec<&str> = rest.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(rest.next_token.is_none());
    let next = Start {
        name: "c.example.com".into(),
        rtype: Some("TXT".into()),
        identifier: Some("x".into()),
    };
    let on = records_page(&sets, None, Some(next.clone()), 10, zone).unwrap();
    assert_eq!(on.items.len(), 4);
    assert_eq!(parse_token(&on.next_token.unwrap()).unwrap(), (next, 0));
    for bad in ["", "!!", "bm90IGEgdG9rZW4"] {
        assert_eq!(
            parse_token(bad).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{bad}"
        );
    }
    let found = find_set(sets.to_vec(), "b.example.com", &RecordType::A).unwrap();
    assert_eq!(found.values, ["192.0.2.4"]);
    assert!(find_set(sets.to_vec(), "b.example.com", &RecordType::Aaaa).is_none());
}
