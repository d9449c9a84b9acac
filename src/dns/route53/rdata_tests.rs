use super::rdata::*;
use crate::dns::{RecordData, RecordType};
use crate::error::ErrorKind;

fn round_trip(data: RecordData) {
    let v = to_value(&data).unwrap();
    assert_eq!(from_value(&data.record_type(), &v).unwrap(), data, "{v}");
}

#[test]
fn every_type_goes_out_in_presentation_format_and_comes_back() {
    let mx = RecordData::Mx {
        priority: 10,
        exchange: "mail.example.com".into(),
    };
    assert_eq!(to_value(&mx).unwrap(), "10 mail.example.com.");
    let caa = RecordData::Caa {
        flags: 0,
        tag: "issue".into(),
        value: "letsencrypt.org".into(),
    };
    assert_eq!(to_value(&caa).unwrap(), "0 issue \"letsencrypt.org\"");
    let srv = RecordData::Srv {
        priority: 10,
        weight: 5,
        port: 5060,
        target: "sip.example.com".into(),
    };
    assert_eq!(to_value(&srv).unwrap(), "10 5 5060 sip.example.com.");
    for d in [
        mx,
        caa,
        srv,
        RecordData::A("192.0.2.1".parse().unwrap()),
        RecordData::Aaaa("2001:db8::1".parse().unwrap()),
        RecordData::Cname("www.example.com".into()),
        RecordData::Ns("ns1.example.net".into()),
        RecordData::Ptr("host.example.com".into()),
        RecordData::Txt("a \"quoted\" text; with \\ and semicolons".into()),
        RecordData::Spf("v=spf1 mx -all".into()),
        RecordData::Other {
            rtype: RecordType::Other("DS".into()),
            value: "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118".into(),
        },
    ] {
        round_trip(d);
    }
}

#[test]
fn long_text_is_split_into_255_byte_strings_and_joined_back() {
    let long = "é".repeat(200); // 400 bytes: cut on a char boundary
    let v = to_value(&RecordData::Txt(long.clone())).unwrap();
    let parts: Vec<&str> = v.split("\" \"").collect();
    assert_eq!(parts.len(), 2, "{v}");
    assert!(parts.iter().all(|p| p.trim_matches('"').len() <= 255));
    assert_eq!(unquote(&v).unwrap(), long);
    assert_eq!(unquote("\"a\\\"b\" c \"\\101\"").unwrap(), "a\"bcA");
    assert!(unquote("\"open").is_none());
    assert!(unquote("\"\\9\"").is_none());
}

#[test]
fn bad_values_are_parse_and_bad_data_invalid_input() {
    for (t, v) in [
        (RecordType::A, "not-an-ip"),
        (RecordType::Mx, "10"),
        (RecordType::Mx, "99999 mail.example.com."),
        (RecordType::Srv, "1 2 mail."),
        (RecordType::Cname, "a b"),
        (RecordType::Caa, "x issue \"y\""),
    ] {
        let e = from_value(&t, v).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{t} {v}");
    }
    for d in [
        RecordData::Cname("bad name!".into()),
        RecordData::Caa {
            flags: 0,
            tag: "is sue".into(),
            value: "x".into(),
        },
        RecordData::Other {
            rtype: RecordType::Other("X".into()),
            value: "a\nb".into(),
        },
    ] {
        assert_eq!(to_value(&d).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}

#[test]
fn record_ids_round_trip_and_foreign_ids_are_not_found() {
    let data = RecordData::Txt("hello \"world\"".into());
    let id = record_id("*.dev.example.com", &data).unwrap();
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        parse_record_id(&id).unwrap(),
        ("*.dev.example.com".to_owned(), data)
    );
    for bad in ["no-such-record", "", "!!", "QQ"] {
        assert_eq!(
            parse_record_id(bad).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
}

#[test]
fn route53_escapes_in_names_are_read() {
    assert_eq!(
        unescape_name("\\052.Example.com.").unwrap(),
        "*.example.com"
    );
    assert_eq!(unescape_name("\\9").unwrap_err().kind(), ErrorKind::Parse);
}
