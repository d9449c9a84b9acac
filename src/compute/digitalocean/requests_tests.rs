use serde_json::{Value, json};

use super::*;
use crate::compute::CreateNode;
use crate::error::ErrorKind;

const TOKEN: &str = "dop_v1_unit_secret";
const VOLUME: &str = "506f78a4-e098-11e5-ad9f-000f53306ae1";

fn requests(region: Option<&str>) -> DoRequests {
    let mut b = DoConfig::builder()
        .token(TOKEN)
        .endpoint("http://127.0.0.1:7");
    if let Some(r) = region {
        b = b.region(r);
    }
    DoRequests::new(b.build().unwrap())
}

fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn every_request_carries_the_bearer_token_and_debug_hides_it() {
    let r = requests(None).get_droplet("42").unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.url, "http://127.0.0.1:7/v2/droplets/42");
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(header(&r, "authorization"), Some(bearer.as_str()));
    assert_eq!(header(&r, "accept"), Some("application/json"));
    assert!(!format!("{r:?} {:?}", requests(None)).contains(TOKEN));
}

#[test]
fn listings_ask_for_a_page_of_a_size_with_the_collection_filter() {
    let d = requests(None);
    let ask = PageAsk::new(Collection::PrivateImages, Some("3"), 0).unwrap();
    assert_eq!(
        d.list(&ask).url,
        "http://127.0.0.1:7/v2/images?page=3&per_page=1&private=true"
    );
    let ask = PageAsk::new(Collection::VolumeSnapshots, None, 10_000).unwrap();
    assert_eq!(
        d.list(&ask).url,
        "http://127.0.0.1:7/v2/snapshots?page=1&per_page=200&resource_type=volume"
    );
    let ask = PageAsk::new(Collection::SshKeys, None, 20).unwrap();
    assert!(
        d.list(&ask)
            .url
            .ends_with("/v2/account/keys?page=1&per_page=20")
    );
    for bad in [
        "0",
        "",
        "-1",
        "+2",
        "2 ",
        "http://127.0.0.1:7/v2/droplets?page=2",
        "99999999999",
    ] {
        let e = PageAsk::new(Collection::Droplets, Some(bad), 5).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
}

#[test]
fn image_owners_choose_the_filter_and_other_accounts_are_unsupported() {
    use crate::compute::ImageOwner;
    assert_eq!(
        Collection::images_of(&ImageOwner::Provider).unwrap(),
        Collection::DistributionImages
    );
    assert_eq!(
        Collection::images_of(&ImageOwner::Marketplace).unwrap(),
        Collection::ApplicationImages
    );
    assert_eq!(
        Collection::images_of(&ImageOwner::Mine).unwrap(),
        Collection::PrivateImages
    );
    let e = Collection::images_of(&ImageOwner::Account("123".into())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[test]
fn ids_of_the_wrong_shape_never_reach_a_path() {
    let d = requests(None);
    for bad in [
        "",
        "abc",
        "1/actions",
        "../../v2/account",
        "1?x=2",
        "%31",
        "１２",
    ] {
        for r in [
            d.get_droplet(bad),
            d.delete_droplet(bad),
            d.droplet_action(bad, DropletAction::Reboot),
            d.get_volume(bad),
            d.delete_volume(bad),
            d.delete_snapshot(bad),
            d.create_volume_snapshot(bad, "s"),
            d.volume_action(VOLUME, true, bad),
        ] {
            assert_eq!(r.unwrap_err().kind(), ErrorKind::NotFound, "{bad:?}");
        }
    }
    let upper = VOLUME.to_uppercase();
    assert!(d.get_volume(&upper).unwrap().url.ends_with(&upper));
    assert!(!is_uuid("506f78a4-e098-11e5-ad9f-000f53306ae"));
    assert!(!is_uuid("506f78a4_e098-11e5-ad9f-000f53306ae1"));
}

#[test]
fn a_droplet_is_created_from_the_spec_with_typed_extras() {
    let spec = CreateNode::new("web-1", "s-1vcpu-1gb", "106433672")
        .user_data("#cloud-config\n")
        .tag("suite", "compute")
        .tag("web", "")
        .extra("ipv6", "true")
        .extra("vpc_uuid", VOLUME)
        .extra("volumes", format!("{VOLUME}, {VOLUME}"));
    let r = requests(Some("nyc3"))
        .create_droplet(&spec, &[7, 9])
        .unwrap();
    assert_eq!((r.method, r.idempotent), (Method::Post, false));
    assert_eq!(header(&r, "content-type"), Some("application/json"));
    assert_eq!(
        body(&r),
        json!({
            "name": "web-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": 106433672,
            "ssh_keys": [7, 9], "user_data": "#cloud-config\n",
            "tags": ["suite:compute", "web"], "ipv6": true, "vpc_uuid": VOLUME,
            "volumes": [VOLUME, VOLUME],
        })
    );
    let by_slug = CreateNode::new("a", "s", "ubuntu-24-04-x64").location("ams3");
    let b = body(
        &requests(Some("nyc3"))
            .create_droplet(&by_slug, &[])
            .unwrap(),
    );
    assert_eq!(
        (&b["image"], &b["region"]),
        (&json!("ubuntu-24-04-x64"), &json!("ams3"))
    );
    assert!(b.get("ssh_keys").is_none() && b.get("tags").is_none());
}

#[test]
fn bad_droplet_specs_are_refused_before_sending() {
    let spec = || CreateNode::new("a", "s", "i").location("nyc3");
    let d = requests(None);
    let cases: Vec<(CreateNode, ErrorKind)> = vec![
        (CreateNode::new("a", "s", "i"), ErrorKind::InvalidInput),
        (spec().location("NYC/3"), ErrorKind::InvalidInput),
        (
            CreateNode::new("", "s", "i").location("nyc3"),
            ErrorKind::InvalidInput,
        ),
        (
            CreateNode::new("a", "", "i").location("nyc3"),
            ErrorKind::InvalidInput,
        ),
        (
            CreateNode::new("a", "s", "").location("nyc3"),
            ErrorKind::InvalidInput,
        ),
        (spec().extra("ipv6", "yes"), ErrorKind::InvalidInput),
        (spec().extra("vpc_uuid", "default"), ErrorKind::InvalidInput),
        (spec().extra("volumes", "a,b"), ErrorKind::InvalidInput),
        (spec().extra("size", "s-8vcpu"), ErrorKind::InvalidInput),
        (spec().extra("SubnetId", "x"), ErrorKind::InvalidInput),
        (spec().tag("a:b", "c"), ErrorKind::InvalidInput),
        (spec().tag("team", "web ops"), ErrorKind::InvalidInput),
        (spec().tag("", "x"), ErrorKind::InvalidInput),
        (
            spec().user_data("x".repeat(MAX_USER_DATA + 1)),
            ErrorKind::InvalidInput,
        ),
        (spec().security_group("sg-1"), ErrorKind::Unsupported),
    ];
    for (spec, kind) in cases {
        let e = d.create_droplet(&spec, &[]).unwrap_err();
        assert_eq!(e.kind(), kind, "{spec:?}: {e}");
        assert_eq!(e.provider(), Some(PROVIDER), "{e}");
    }
    let e = d
        .create_droplet(&CreateNode::new("a", "s", "i"), &[])
        .unwrap_err();
    assert!(e.to_string().contains("region"), "{e}");
}

#[test]
fn actions_keys_volumes_and_snapshots_have_their_documented_shapes() {
    let d = requests(None);
    let r = d.droplet_action("42", DropletAction::PowerOff).unwrap();
    assert!(r.url.ends_with("/v2/droplets/42/actions") && !r.idempotent);
    assert_eq!(body(&r), json!({ "type": "power_off" }));
    assert!(d.get_action(9).url.ends_with("/v2/actions/9"));
    let k = d
        .create_ssh_key("laptop", " ssh-ed25519 AAAA x \n")
        .unwrap();
    assert_eq!(
        body(&k),
        json!({ "name": "laptop", "public_key": "ssh-ed25519 AAAA x" })
    );
    assert!(d.create_ssh_key("", "ssh-ed25519 AAAA").is_err());
    assert!(d.create_ssh_key("n", "  ").is_err());
    assert_eq!(d.delete_ssh_key(5).method, Method::Delete);
    let v = d.create_volume("data", 10, "nyc3").unwrap();
    assert_eq!(
        body(&v),
        json!({ "name": "data", "size_gigabytes": 10, "region": "nyc3" })
    );
    assert!(d.create_volume("data", 0, "nyc3").is_err());
    assert!(d.create_volume("data", 1, "nyc 3").is_err());
    let a = d.volume_action(VOLUME, false, "42").unwrap();
    assert!(a.url.ends_with(&format!("/v2/volumes/{VOLUME}/actions")));
    assert_eq!(body(&a), json!({ "type": "detach", "droplet_id": 42 }));
    let s = d.create_volume_snapshot(VOLUME, "nightly").unwrap();
    assert_eq!(body(&s), json!({ "name": "nightly" }));
    let del = d.delete_snapshot(VOLUME).unwrap();
    assert!(del.url.ends_with(&format!("/v2/snapshots/{VOLUME}")) && del.idempotent);
}
