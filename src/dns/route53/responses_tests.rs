use super::responses::*;
use crate::dns::RecordData;
use crate::error::ErrorKind;
use crate::http::{Response, header_map};

fn answer(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: header_map([]),
        body: body.as_bytes().to_vec().into(),
    }
}

const NS: &str = "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"";

fn zone_xml(id: &str, name: &str) -> String {
    format!(
        "<HostedZone><Id>/hostedzone/{id}</Id><Name>{name}</Name><CallerReference>r</CallerReference>\
         <Config><Comment>c</Comment><PrivateZone>false</PrivateZone></Config>\
         <ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>"
    )
}

#[test]
fn zones_are_read_with_ids_checked_and_pages_continued_by_marker() {
    let body = format!(
        "<ListHostedZonesResponse {NS}><HostedZones>{}{}</HostedZones>\
         <IsTruncated>true</IsTruncated><NextMarker>Z3</NextMarker><MaxItems>2</MaxItems>\
         </ListHostedZonesResponse>",
        zone_xml("Z1", "Example.com."),
        zone_xml("Z2", "b.example.org.")
    );
    let page = list_hosted_zones(&answer(200, &body)).unwrap();
    assert_eq!(page.items[0].id, "Z1");
    assert_eq!(page.items[0].domain, "example.com");
    assert_eq!(page.items[0].extra["PrivateZone"], "false");
    assert_eq!(page.next_token.as_deref(), Some("Z3"));
    let bad_marker = body.replace(
        "<NextMarker>Z3</NextMarker>",
        "<NextMarker>../x</NextMarker>",
    );
    assert_eq!(
        list_hosted_zones(&answer(200, &bad_marker))
            .unwrap_err()
            .kind(),
        ErrorKind::Parse
    );
    let bad_id = body.replace("/hostedzone/Z1", "/hostedzone/../../x");
    assert_eq!(
        list_hosted_zones(&answer(200, &bad_id)).unwrap_err().kind(),
        ErrorKind::Parse
    );
    let one = format!(
        "<GetHostedZoneResponse {NS}>{}</GetHostedZoneResponse>",
        zone_xml("Z1", "example.com.")
    );
    assert_eq!(
        get_hosted_zone(&answer(200, &one), "Z1").unwrap().domain,
        "example.com"
    );
    let other = get_hosted_zone(&answer(200, &one), "Z2").unwrap_err();
    assert_eq!(other.kind(), ErrorKind::Parse);
    let wrong_root = get_hosted_zone(&answer(200, &body), "Z1").unwrap_err();
    assert_eq!(wrong_root.kind(), ErrorKind::Parse);
    let cut = &one[..one.len() - 10];
    assert_eq!(
        get_hosted_zone(&answer(200, cut), "Z1").unwrap_err().kind(),
        ErrorKind::Parse
    );
}

#[test]
fn created_zones_must_be_of_the_domain_asked() {
    let body = format!(
        "<CreateHostedZoneResponse {NS}>{}<ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status>\
         </ChangeInfo></CreateHostedZoneResponse>",
        zone_xml("Z1", "example.com.")
    );
    let z = create_hosted_zone(&answer(201, &body), "example.com").unwrap();
    assert_eq!((z.id.as_str(), z.extra["change"].as_str()), ("Z1", "C1"));
    let e = create_hosted_zone(&answer(201, &body), "example.org").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
}

fn rrsets(extra: &str, sets: &str) -> Response {
    answer(
        200,
        &format!(
            "<ListResourceRecordSetsResponse {NS}><ResourceRecordSets>{sets}</ResourceRecordSets>\
             {extra}<MaxItems>2</MaxItems></ListResourceRecordSetsResponse>"
        ),
    )
}

const SETS: &str = "<ResourceRecordSet><Name>\\052.example.com.</Name><Type>TXT</Type><TTL>60</TTL>\
    <ResourceRecords><ResourceRecord><Value>\"a\" \"b\"</Value></ResourceRecord>\
    <ResourceRecord><Value>\"c\"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>\
    <ResourceRecordSet><Name>alias.example.com.</Name><Type>A</Type><AliasTarget>\
    <HostedZoneId>Z2</HostedZoneId><DNSName>x.example.net.</DNSName>\
    <EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet>";

#[test]
fn record_sets_become_one_record_per_value_and_pages_continue_where_route53_says() {
    let truncated = "<IsTruncated>true</IsTruncated><NextRecordName>www.example.com.</NextRecordName>\
                     <NextRecordType>A</NextRecordType>";
    let (sets, next) = list_record_sets(&rrsets(truncated, SETS), "example.com").unwrap();
    assert_eq!(sets.len(), 2);
    let next = next.unwrap();
    assert_eq!(
        (next.name.as_str(), next.rtype.as_deref()),
        ("www.example.com", Some("A"))
    );
    let records = records_of(&sets[0], "Z1", "example.com").unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].name, "*");
    assert_eq!(records[0].data, RecordData::Txt("ab".into()));
    assert_eq!(records[1].ttl, Some(60));
    assert_ne!(records[0].id, records[1].id);
    assert!(sets[1].is_special());
    assert!(
        records_of(&sets[1], "Z1", "example.com")
            .unwrap()
            .is_empty()
    );
    let outside = list_record_sets(&rrsets("", SETS), "example.org").unwrap_err();
    assert_eq!(outside.kind(), ErrorKind::Parse);
    let (_, none) = list_record_sets(
        &rrsets("<IsTruncated>false</IsTruncated>", SETS),
        "example.com",
    )
    .unwrap();
    assert!(none.is_none());
    let no_name = list_record_sets(
        &rrsets("<IsTruncated>true</IsTruncated>", SETS),
        "example.com",
    );
    assert_eq!(no_name.unwrap_err().kind(), ErrorKind::Parse);
}

#[test]
fn errors_map_to_kinds_and_throttling_is_retried_as_a_503() {
    let err = |code: &str, msg: &str| {
        format!(
            "<ErrorResponse {NS}><Error><Type>Sender</Type><Code>{code}</Code>\
             <Message>{msg}</Message></Error><RequestId>rq-1</RequestId></ErrorResponse>"
        )
    };
    let cases = [
        (
            "NoSuchHostedZone",
            "No hosted zone found",
            ErrorKind::NotFound,
        ),
        ("HostedZoneAlreadyExists", "x", ErrorKind::AlreadyExists),
        (
            "InvalidChangeBatch",
            "Tried to create resource record set [name='a'] but it already exists",
            ErrorKind::AlreadyExists,
        ),
        (
            "InvalidChangeBatch",
            "RRSet of type CNAME with DNS name x is not permitted",
            ErrorKind::InvalidInput,
        ),
        ("HostedZoneNotEmpty", "x", ErrorKind::PreconditionFailed),
        ("Throttling", "Rate exceeded", ErrorKind::RateLimited),
        ("SignatureDoesNotMatch", "x", ErrorKind::Unauthorized),
    ];
    for (code, msg, kind) in cases {
        let resp = answer(400, &err(code, msg));
        let e = error_from(&resp, "ChangeResourceRecordSets");
        assert_eq!(e.kind(), kind, "{code} {msg}");
        assert!(e.to_string().contains(&msg[..1]), "{e}");
    }
    assert_eq!(effective_status(&answer(400, &err("Throttling", "x"))), 503);
    assert_eq!(
        effective_status(&answer(400, &err("PriorRequestNotComplete", "x"))),
        503
    );
    assert_eq!(
        effective_status(&answer(400, &err("InvalidInput", "x"))),
        400
    );
    let batch = format!(
        "<InvalidChangeBatch {NS}><Messages><Message>Tried to delete resource record set \
         [name='a', type='A'] but it was not found</Message></Messages></InvalidChangeBatch>"
    );
    let e = error_from(&answer(400, &batch), "ChangeResourceRecordSets");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("was not found"), "{e}");
    let html = error_from(&answer(500, "<html>oops</html>"), "GetChange");
    assert_eq!(html.kind(), ErrorKind::Provider);
}

#[test]
fn changes_are_in_sync_pending_or_a_parse_error() {
    let change = |id: &str, status: &str| {
        answer(
            200,
            &format!(
                "<GetChangeResponse {NS}><ChangeInfo><Id>/change/{id}</Id><Status>{status}</Status>\
                 </ChangeInfo></GetChangeResponse>"
            ),
        )
    };
    assert!(change_synced(&change("C1", "INSYNC"), "C1").unwrap());
    assert!(!change_synced(&change("C1", "PENDING"), "C1").unwrap());
    assert_eq!(
        change_synced(&change("C1", "DONE"), "C1")
            .unwrap_err()
            .kind(),
        ErrorKind::Parse
    );
    assert_eq!(
        change_synced(&change("C2", "INSYNC"), "C1")
            .unwrap_err()
            .kind(),
        ErrorKind::Parse
    );
}
