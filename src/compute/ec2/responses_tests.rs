//! Answers as moto sends them (tests/data/ec2/, recorded from moto's EC2), and broken ones.

use std::net::IpAddr;

use super::*;
use crate::compute::VolumeState;
use crate::http::header_map;

macro_rules! sample {
    ($name:literal) => {
        include_str!(concat!("../../../tests/data/ec2/", $name, ".xml"))
    };
}

fn ok(body: &str) -> Response {
    answer(200, body)
}

fn answer(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: header_map([]),
        body: body.to_owned().into(),
    }
}

fn moto_error(code: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\">\
         <Errors><Error><Code>{code}</Code><Message>it went wrong</Message></Error></Errors>\
         <RequestID>req-7</RequestID></Response>"
    )
}

#[test]
fn run_and_describe_instances_give_the_node_with_its_fields() {
    let run = run_instances(&ok(sample!("run_instances"))).unwrap();
    assert_eq!(run.len(), 1);
    assert_eq!(run[0].state, NodeState::Pending);
    let page = describe_instances(&ok(sample!("describe_instances"))).unwrap();
    assert_eq!(page.next_token, None);
    let n = &page.items[0];
    assert_eq!(n.id, "i-efeed7a2090032e12");
    assert_eq!(n.name, "web 1");
    assert_eq!(n.state, NodeState::Running);
    assert_eq!(n.tags["team"], "a&b");
    assert_eq!(n.tags["Name"], "web 1");
    assert_eq!(n.public_ips, ["54.214.119.46".parse::<IpAddr>().unwrap()]);
    assert_eq!(n.private_ips, ["10.196.108.71".parse::<IpAddr>().unwrap()]);
    assert_eq!(n.size.as_deref(), Some("t3.micro"));
    assert_eq!(n.image.as_deref(), Some("ami-03cf127a"));
    assert_eq!(n.location.as_deref(), Some("us-east-1a"));
    assert!(n.created_at.is_some());
    for (k, v) in [
        ("vpcId", "vpc-f52bcb18ff79420ba"),
        ("subnetId", "subnet-6a9359053b4a2bc8b"),
        ("keyName", "nokey"),
        ("architecture", "x86_64"),
        ("reservationId", "r-a107e6de3013756c9"),
    ] {
        assert_eq!(n.extra.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(run[0].id, n.id);
}

#[test]
fn ipv6_addresses_are_public_and_listed_once() {
    let body = sample!("describe_instances").replace(
        "<ipv6AddressesSet/>",
        "<ipv6AddressesSet><item><ipv6Address>2001:db8::1</ipv6Address></item></ipv6AddressesSet>",
    );
    let body = body.replace(
        "<reason/>",
        "<reason/><ipv6Address>2001:db8::1</ipv6Address>",
    );
    let n = &describe_instances(&ok(&body)).unwrap().items[0];
    assert_eq!(n.public_ips.len(), 2);
    assert_eq!(n.public_ips[1], "2001:db8::1".parse::<IpAddr>().unwrap());
}

#[test]
fn states_map_as_documented() {
    for (ec2, ours) in [
        ("pending", NodeState::Pending),
        ("running", NodeState::Running),
        ("shutting-down", NodeState::Stopping),
        ("stopping", NodeState::Stopping),
        ("stopped", NodeState::Stopped),
        ("terminated", NodeState::Terminated),
        ("hibernating", NodeState::Unknown),
    ] {
        assert_eq!(node_state(ec2), ours);
    }
    let stop = state_changes(&ok(sample!("stop_instances")), "StopInstances").unwrap();
    assert_eq!(
        (stop[0].id.as_str(), stop[0].previous, stop[0].current),
        (
            "i-efeed7a2090032e12",
            NodeState::Running,
            NodeState::Stopping
        )
    );
    let term = state_changes(&ok(sample!("terminate_instances")), "TerminateInstances").unwrap();
    assert_eq!(term[0].current, NodeState::Stopping);
    // Another call's answer is not this one's.
    let e = state_changes(&ok(sample!("stop_instances")), "StartInstances").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
    accepted(&ok(sample!("reboot_instances")), "RebootInstances").unwrap();
    let refused = "<DeleteKeyPairResponse><return>false</return></DeleteKeyPairResponse>";
    assert_eq!(
        accepted(&ok(refused), "DeleteKeyPair").unwrap_err().kind(),
        ErrorKind::Provider
    );
}

#[test]
fn sizes_images_and_locations() {
    let sizes = describe_instance_types(&ok(sample!("describe_instance_types"))).unwrap();
    let t3 = &sizes.items[0];
    assert_eq!(
        (t3.id.as_str(), t3.ram_mib, t3.vcpus, t3.disk_gib),
        ("t3.micro", 1024, 2, 0)
    );
    assert_eq!(t3.price_hourly, None);
    assert_eq!(t3.extra["supportedArchitectures"], "x86_64");
    let zones = describe_availability_zones(&ok(sample!("describe_availability_zones"))).unwrap();
    assert_eq!(zones.len(), 6);
    assert_eq!(
        (zones[0].id.as_str(), zones[0].available),
        ("us-east-1a", Some(true))
    );
    assert_eq!(zones[0].extra["zoneId"], "use1-az6");
    let regions = describe_regions(&ok(sample!("describe_regions"))).unwrap();
    assert_eq!(regions[0].available, Some(true));
    assert_eq!(regions[1].available, Some(false));
    let images = "<DescribeImagesResponse><imagesSet><item><imageId>ami-1</imageId>\
        <name>base</name><architecture>arm64</architecture></item><item><imageId>ami-2</imageId>\
        </item></imagesSet></DescribeImagesResponse>";
    let images = describe_images(&ok(images)).unwrap().items;
    assert_eq!(
        (
            images[0].name.as_str(),
            images[0].extra["architecture"].as_str()
        ),
        ("base", "arm64")
    );
    assert_eq!(images[1].name, "");
}

#[test]
fn key_pairs_keep_the_private_key_secret() {
    let created = create_key_pair(&ok(sample!("create_key_pair")), "k1").unwrap();
    assert_eq!(created.name, "k1");
    assert_eq!(created.id.as_deref(), Some("key-6dbb004f003150f27"));
    assert!(
        created
            .private_key
            .as_ref()
            .unwrap()
            .expose()
            .contains("BEGIN RSA PRIVATE KEY")
    );
    assert!(!format!("{created:?}").contains("trimmed-sample"));
    assert!(!created.extra.contains_key("keyMaterial"));
    let listed = describe_key_pairs(&ok(sample!("describe_key_pairs"))).unwrap();
    assert_eq!(listed[0].fingerprint, created.fingerprint);
    assert!(listed[0].private_key.is_none());
    let imported = import_key_pair(&ok(sample!("import_key_pair")), "k2").unwrap();
    assert_eq!(imported.name, "k2");
}

#[test]
fn answers_about_another_key_volume_or_count_are_parse_errors() {
    let other = create_key_pair(&ok(sample!("create_key_pair")), "k9").unwrap_err();
    assert_eq!(other.kind(), ErrorKind::Parse, "{other}");
    assert!(!other.to_string().contains("PRIVATE KEY"), "{other}");
    let other = import_key_pair(&ok(sample!("import_key_pair")), "k1").unwrap_err();
    assert_eq!(other.kind(), ErrorKind::Parse, "{other}");
    let snap = ok(sample!("create_snapshot"));
    let other = create_snapshot(&snap, "vol-0123456789abcdef0").unwrap_err();
    assert_eq!(other.kind(), ErrorKind::Parse, "{other}");
    let one = run_instance(&ok(sample!("run_instances"))).unwrap();
    let body = sample!("run_instances");
    let start = body.find("<instancesSet>").unwrap() + "<instancesSet>".len();
    let item = &body[start..body.find("</instancesSet>").unwrap()];
    let twice = body.replacen(item, &format!("{item}{item}"), 1);
    let e = run_instance(&ok(&twice)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    assert!(
        e.to_string().contains(&one.id),
        "names what was launched: {e}"
    );
}

#[test]
fn volumes_attachments_and_snapshots() {
    let created = create_volume(&ok(sample!("create_volume"))).unwrap();
    assert_eq!((created.name.as_str(), created.size_gib), ("data", 8));
    assert_eq!(created.state, VolumeState::Available);
    let listed = describe_volumes(&ok(sample!("describe_volumes"))).unwrap();
    let v = &listed.items[0];
    assert_eq!(v.state, VolumeState::InUse);
    assert_eq!(v.attached_to, ["i-efeed7a2090032e12"]);
    assert_eq!(v.location.as_deref(), Some("us-east-1a"));
    assert_eq!(v.extra["tag:Name"], "data");
    let a = volume_attachment(&ok(sample!("attach_volume")), "AttachVolume", &v.id).unwrap();
    assert_eq!(
        (a.status.as_str(), a.device.as_deref()),
        ("attaching", Some("/dev/sdf"))
    );
    let other = volume_attachment(&ok(sample!("attach_volume")), "AttachVolume", "vol-other");
    assert_eq!(other.unwrap_err().kind(), ErrorKind::Parse);
    let snap = create_snapshot(&ok(sample!("create_snapshot")), &v.id).unwrap();
    assert_eq!(snap.volume_id.as_deref(), Some(v.id.as_str()));
    assert_eq!(
        (snap.size_gib, snap.state.as_deref()),
        (Some(8), Some("completed"))
    );
    assert_eq!(snap.extra["description"], "nightly");
    let listed = describe_snapshots(&ok(sample!("describe_snapshots"))).unwrap();
    assert_eq!(listed.items[0].id, snap.id);
}

#[test]
fn error_codes_map_to_kinds_with_code_and_request_id() {
    for (code, kind) in [
        ("InvalidInstanceID.NotFound", ErrorKind::NotFound),
        ("InvalidKeyPair.NotFound", ErrorKind::NotFound),
        ("InvalidVolume.NotFound", ErrorKind::NotFound),
        ("InvalidSnapshot.NotFound", ErrorKind::NotFound),
        ("InvalidInstanceID.Malformed", ErrorKind::InvalidInput),
        ("InvalidKeyPair.Duplicate", ErrorKind::AlreadyExists),
        ("AuthFailure", ErrorKind::Unauthorized),
        ("UnauthorizedOperation", ErrorKind::PermissionDenied),
        ("RequestLimitExceeded", ErrorKind::RateLimited),
        ("Throttling", ErrorKind::RateLimited),
        ("IncorrectState", ErrorKind::PreconditionFailed),
        ("VolumeInUse", ErrorKind::PreconditionFailed),
        ("InvalidParameterValue", ErrorKind::InvalidInput),
        ("InsufficientInstanceCapacity", ErrorKind::Provider),
    ] {
        let e = describe_instances(&answer(400, &moto_error(code))).unwrap_err();
        assert_eq!(e.kind(), kind, "{code}");
        assert_eq!(
            (e.code(), e.request_id(), e.status()),
            (Some(code), Some("req-7"), Some(400))
        );
        assert_eq!(
            e.to_string(),
            format!(
                "ec2: {kind}: DescribeInstances: it went wrong (HTTP 400, {code}) [request id req-7]"
            )
        );
    }
    // An error under a 200 is still the error; moto's HTML 500 is a Provider error.
    let e = describe_instances(&ok(&moto_error("AuthFailure"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    let html = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>";
    let e = describe_instances(&answer(500, html)).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Provider, None));
    assert_eq!(
        describe_instances(&answer(503, "")).unwrap_err().kind(),
        ErrorKind::RateLimited
    );
}

#[test]
fn dry_runs_have_their_own_outcome() {
    let would = answer(412, &moto_error("DryRunOperation"));
    dry_run_outcome(&would, "StopInstances").unwrap();
    let denied = answer(403, &moto_error("UnauthorizedOperation"));
    let e = dry_run_outcome(&denied, "StopInstances").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let done = dry_run_outcome(&ok(sample!("stop_instances")), "StopInstances").unwrap_err();
    assert_eq!(done.kind(), ErrorKind::Provider);
}

#[test]
fn pages_carry_the_next_token() {
    let body = sample!("describe_instances")
        .replace("<requestId>", "<nextToken>tok/+=</nextToken><requestId>");
    let page = describe_instances(&ok(&body)).unwrap();
    assert_eq!(page.next_token.as_deref(), Some("tok/+="));
    let empty = "<DescribeVolumesResponse><volumeSet/><nextToken/></DescribeVolumesResponse>";
    let page = describe_volumes(&ok(empty)).unwrap();
    assert_eq!((page.items.len(), page.next_token), (0, None));
}

#[test]
fn broken_answers_are_parse_errors_never_panics() {
    let full = sample!("describe_instances");
    let mut bad: Vec<String> = (0..full.len())
        .step_by(37)
        .filter(|i| full.is_char_boundary(*i))
        .map(|i| full[..i].to_owned())
        .collect();
    bad.extend(
        [
            "<DescribeVolumesResponse/>",
            "<ListBucketResult></ListBucketResult>",
            "<DescribeInstancesResponse><reservationSet><item><instancesSet><item>\
             <instanceState><name>running</name></instanceState></item></instancesSet></item>\
             </reservationSet></DescribeInstancesResponse>",
            "not xml at all",
            "<DescribeInstancesResponse></DescribeInstancesResponse>trailing",
        ]
        .map(str::to_owned),
    );
    bad.push(full.replace("54.214.119.46", "54.214.119"));
    bad.push(full.replace(
        "2026-12-06T12:18:33.000Z</launchTime>",
        "yesterday</launchTime>",
    ));
    bad.push(full.replace("<key>team</key>", "<key/>"));
    for body in &bad {
        let e = describe_instances(&ok(body)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{body}: {e}");
    }
    // Hostile bytes: whatever they are, an error or a page, never a panic.
    for seed in 0..200u32 {
        let bytes: Vec<u8> = full
            .bytes()
            .enumerate()
            .map(|(i, b)| {
                if (i as u32 * 7919 + seed) % 97 == 0 {
                    b ^ 0x5a
                } else {
                    b
                }
            })
            .collect();
        let _ = describe_instances(&Response {
            status: 200,
            headers: header_map([]),
            body: bytes.into(),
        });
    }
}
