use std::time::{Duration, SystemTime};

use super::requests::*;
use super::{Route53Config, Route53Requests};
use crate::credentials::Credentials;
use crate::dns::NewZone;
use crate::error::ErrorKind;
use crate::http::Method;

fn requests() -> Route53Requests {
    let cfg = Route53Config::builder()
        .endpoint("http://127.0.0.1:5000")
        .credentials(Credentials::new("AKID", "SECRET-VALUE"))
        .build()
        .unwrap();
    Route53Requests::new(cfg)
}

#[test]
fn listings_carry_their_start_and_clamped_sizes_in_the_query() {
    let start = Start {
        name: "*.example.com".into(),
        rtype: Some("TXT".into()),
        identifier: Some("eu one".into()),
    };
    let call = list_record_sets("Z1ABC", Some(&start), 1000).unwrap();
    assert_eq!(call.path, "/2013-04-01/hostedzone/Z1ABC/rrset");
    assert_eq!(
        call.query,
        [
            ("name".to_owned(), "*.example.com.".to_owned()),
            ("type".into(), "TXT".into()),
            ("identifier".into(), "eu one".into()),
            ("maxitems".into(), "300".into()),
        ]
    );
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let req = requests().sign(&call, now).unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:5000/2013-04-01/hostedzone/Z1ABC/rrset?name=%2A.example.com.&type=TXT&identifier=eu%20one&maxitems=300"
    );
    let auth = req
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .unwrap();
    assert!(
        auth.1.contains("/us-east-1/route53/aws4_request"),
        "{}",
        auth.1
    );
    assert!(!format!("{req:?}").contains("SECRET-VALUE"));
    assert!(req.idempotent);
    let zones = list_hosted_zones(Some("/hostedzone/Z9"), 0).unwrap();
    assert_eq!(zones.query[0], ("marker".into(), "Z9".into()));
    assert_eq!(zones.query[1], ("maxitems".into(), "1".into()));
}

#[test]
fn ids_that_cannot_be_route53_ids_are_not_found_without_a_request() {
    for bad in [
        "",
        "../x",
        "Z1/rrset",
        "/hostedzone/",
        "Z 1",
        &"Z".repeat(65),
    ] {
        let e = get_hosted_zone(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{bad:?}");
    }
    assert_eq!(
        check_id("change", "/change/C2682N5HXP0BZ4").unwrap(),
        "C2682N5HXP0BZ4"
    );
    assert_eq!(get_change("C1").unwrap().path, "/2013-04-01/change/C1");
    let del = delete_hosted_zone("/hostedzone/Z1").unwrap();
    assert_eq!(
        (del.method, del.path.as_str()),
        (Method::Delete, "/2013-04-01/hostedzone/Z1")
    );
}

#[test]
fn bodies_are_escaped_xml_with_the_caller_reference_and_changes() {
    let zone = NewZone::new("Example.COM.").extra("comment", "a <b> & c");
    let call = create_hosted_zone(&zone, "ref-1").unwrap();
    assert!(
        call.body.contains("<Name>example.com.</Name>"),
        "{}",
        call.body
    );
    assert!(
        call.body
            .contains("<CallerReference>ref-1</CallerReference>")
    );
    assert!(call.body.contains("<Comment>a &lt;b&gt; &amp; c</Comment>"));
    let e = create_hosted_zone(&NewZone::new("not a domain"), "r").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let half = NewZone::new("example.com").extra("private_vpc", "vpc-1");
    assert_eq!(
        create_hosted_zone(&half, "r").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let mut set = RecordSet::new("note.example.com", "TXT", 60);
    set.values.push("\"a <b>\"".into());
    let call = change_record_sets("Z1", &[(Action::Upsert, set)]).unwrap();
    assert!(
        call.body.contains(
            "<Change><Action>UPSERT</Action><ResourceRecordSet><Name>note.example.com.</Name>\
         <Type>TXT</Type><TTL>60</TTL><ResourceRecords><ResourceRecord>\
         <Value>&quot;a &lt;b&gt;&quot;</Value></ResourceRecord></ResourceRecords>"
        ),
        "{}",
        call.body
    );
    assert_eq!(call.path, "/2013-04-01/hostedzone/Z1/rrset/");
    assert!(change_record_sets("Z1", &[]).is_err());
}

#[test]
fn signing_without_credentials_is_unauthorized() {
    let cfg = requests().config().clone();
    let empty = std::sync::Arc::new(crate::aws::Cache::new());
    let e = Route53Requests::with_credentials(cfg, empty)
        .sign(&get_change("C1").unwrap(), SystemTime::now())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
}
