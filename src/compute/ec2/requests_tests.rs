use std::time::{Duration, SystemTime};

use super::*;
use crate::credentials::Credentials;

fn reqs() -> Ec2Requests {
    let cfg = Ec2Config::builder()
        .region("eu-west-1")
        .endpoint("http://127.0.0.1:5000")
        .credentials(Credentials::new("AKIDEXAMPLE", "SECRET").with_session_token("TOKEN"))
        .build()
        .unwrap();
    Ec2Requests::new(cfg)
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn header<'a>(r: &'a Request, name: &str) -> &'a str {
    &r.headers.iter().find(|(k, _)| k == name).unwrap().1
}

#[test]
fn describe_instances_lists_ids_filters_and_pages() {
    let f = [Filter::new("tag:Name", ["web 1", "a&b"])];
    let c = describe_instances(&[], &f, Some("tok/=+"), Some(3)).unwrap();
    assert_eq!(
        c.form(),
        "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&\
         Filter.1.Value.1=web%201&Filter.1.Value.2=a%26b&NextToken=tok%2F%3D%2B&MaxResults=5"
    );
    let c = describe_instances(&ids(&["i-1", "i-2"]), &[], None, Some(50)).unwrap();
    assert_eq!(
        c.params(),
        &[
            ("InstanceId.1".into(), "i-1".into()),
            ("InstanceId.2".into(), "i-2".into())
        ]
    );
    assert!(describe_instances(&ids(&[""]), &[], None, None).is_err());
    let empty = [Filter::new("x", Vec::<String>::new())];
    assert!(describe_instances(&[], &empty, None, None).is_err());
}

#[test]
fn the_bytes_sent_are_the_bytes_signed() {
    let r = reqs();
    let call = describe_instances(&[], &[Filter::new("tag:Name", ["ü x"])], None, None).unwrap();
    let req = r
        .sign(&call, SystemTime::UNIX_EPOCH + Duration::from_secs(86400))
        .unwrap();
    assert_eq!(req.url, "http://127.0.0.1:5000/");
    assert_eq!(req.method, Method::Post);
    assert_eq!(&req.body[..], call.form().as_bytes());
    assert!(
        std::str::from_utf8(&req.body)
            .unwrap()
            .contains("Value.1=%C3%BC%20x")
    );
    let auth = header(&req, "authorization");
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/19700102/eu-west-1/ec2/aws4_request"
        ),
        "{auth}"
    );
    assert!(auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"));
    // The signature covers the body: another body, another signature.
    let other = describe_instances(&[], &[], None, None).unwrap();
    let req2 = r
        .sign(&other, SystemTime::UNIX_EPOCH + Duration::from_secs(86400))
        .unwrap();
    assert_ne!(header(&req2, "authorization"), auth);
    assert!(req.idempotent);
    assert!(!format!("{req:?} {r:?}").contains("SECRET"));
}

#[test]
fn signing_without_credentials_is_unauthorized() {
    let cfg = Ec2Config::builder()
        .credentials(Credentials::new("A", "S"))
        .build()
        .unwrap();
    let r = Ec2Requests::with_credentials(cfg, Arc::new(Cache::new()));
    let e = r
        .sign(&describe_regions(false), SystemTime::now())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
}

#[test]
fn run_instances_carries_the_whole_spec() {
    let spec = CreateNode::new("web 1", "t3.micro", "ami-1")
        .location("eu-west-1a")
        .key_name("deploy")
        .security_group("sg-1")
        .security_group("default")
        .user_data("#!/bin/sh\n")
        .tag("team", "a&b")
        .extra("SubnetId", "subnet-1");
    let c = run_instances(&spec, "tok-1").unwrap();
    let p: Vec<(&str, &str)> = c.params().iter().map(|(k, v)| (&**k, &**v)).collect();
    assert_eq!(
        p,
        [
            ("ImageId", "ami-1"),
            ("InstanceType", "t3.micro"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("ClientToken", "tok-1"),
            ("KeyName", "deploy"),
            ("SecurityGroupId.1", "sg-1"),
            ("SecurityGroup.1", "default"),
            ("UserData", "IyEvYmluL3NoCg=="),
            ("Placement.AvailabilityZone", "eu-west-1a"),
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "Name"),
            ("TagSpecification.1.Tag.1.Value", "web 1"),
            ("TagSpecification.1.Tag.2.Key", "team"),
            ("TagSpecification.1.Tag.2.Value", "a&b"),
            ("SubnetId", "subnet-1"),
        ]
    );
    assert!(c.idempotent, "a client token makes it safe to retry");
    assert!(!c.is_dry_run());
    assert!(c.dry_run().form().ends_with("&DryRun=true"));
}

#[test]
fn bad_node_specs_are_invalid_input() {
    let ok = || CreateNode::new("web", "t3.micro", "ami-1");
    let bad = [
        (CreateNode::new("web", "", "ami-1"), "tok"),
        (ok().key_name("a").key_name("b"), "tok"),
        (ok().tag("Name", "other"), "tok"),
        (ok().tag("aws:x", "v"), "tok"),
        (ok().tag("k", "v".repeat(257)), "tok"),
        (ok().extra("ImageId", "ami-2"), "tok"),
        (ok().extra("TagSpecification", "x"), "tok"),
        (ok(), ""),
    ];
    for (spec, token) in bad {
        let e = run_instances(&spec, token).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{spec:?}: {e}");
    }
    // A Name tag equal to the name is the name.
    let c = run_instances(&ok().tag("Name", "web"), "t").unwrap();
    assert_eq!(c.params().iter().filter(|(_, v)| v == "Name").count(), 1);
}

#[test]
fn every_other_call_names_its_action_and_parameters() {
    let one = ids(&["i-1"]);
    let pk = "ssh-ed25519 AAAAC3Nza test\n";
    let calls = [
        (
            start_instances(&one).unwrap(),
            "StartInstances&Version=2016-11-15&InstanceId.1=i-1",
        ),
        (
            stop_instances(&one).unwrap(),
            "StopInstances&Version=2016-11-15&InstanceId.1=i-1",
        ),
        (
            reboot_instances(&one).unwrap(),
            "RebootInstances&Version=2016-11-15&InstanceId.1=i-1",
        ),
        (
            terminate_instances(&one).unwrap(),
            "TerminateInstances&Version=2016-11-15&InstanceId.1=i-1",
        ),
        (
            describe_instance_types(&ids(&["t3.micro"]), &[], None, Some(9)).unwrap(),
            "DescribeInstanceTypes&Version=2016-11-15&InstanceType.1=t3.micro",
        ),
        (
            describe_images(&ids(&["self", "amazon"]), &[], &[], Some("t"), Some(2)).unwrap(),
            "DescribeImages&Version=2016-11-15&Owner.1=self&Owner.2=amazon&NextToken=t\
             &MaxResults=5",
        ),
        (
            describe_regions(true),
            "DescribeRegions&Version=2016-11-15&AllRegions=true",
        ),
        (
            describe_availability_zones(&[]).unwrap(),
            "DescribeAvailabilityZones&Version=2016-11-15",
        ),
        (
            describe_key_pairs(&ids(&["k"])).unwrap(),
            "DescribeKeyPairs&Version=2016-11-15&KeyName.1=k&IncludePublicKey=true",
        ),
        (
            create_key_pair("k").unwrap(),
            "CreateKeyPair&Version=2016-11-15&KeyName=k",
        ),
        (
            import_key_pair("k", pk).unwrap(),
            "ImportKeyPair&Version=2016-11-15&KeyName=k&PublicKeyMaterial=c3NoLWVkMjU1MTkgQUFBQUMzTnphIHRlc3Q%3D",
        ),
        (
            delete_key_pair("k").unwrap(),
            "DeleteKeyPair&Version=2016-11-15&KeyName=k",
        ),
        (
            describe_volumes(&[], &[], None, Some(9999)).unwrap(),
            "DescribeVolumes&Version=2016-11-15&MaxResults=500",
        ),
        (
            create_volume(8, "us-east-1a", "data", "t").unwrap(),
            "CreateVolume&Version=2016-11-15&Size=8&AvailabilityZone=us-east-1a&ClientToken=t&\
             TagSpecification.1.ResourceType=volume&TagSpecification.1.Tag.1.Key=Name&\
             TagSpecification.1.Tag.1.Value=data",
        ),
        (
            attach_volume("vol-1", "i-1", "/dev/sdf").unwrap(),
            "AttachVolume&Version=2016-11-15&VolumeId=vol-1&InstanceId=i-1&Device=%2Fdev%2Fsdf",
        ),
        (
            detach_volume("vol-1", Some("i-1")).unwrap(),
            "DetachVolume&Version=2016-11-15&VolumeId=vol-1&InstanceId=i-1",
        ),
        (
            delete_volume("vol-1").unwrap(),
            "DeleteVolume&Version=2016-11-15&VolumeId=vol-1",
        ),
        (
            create_snapshot("vol-1", Some("nightly")).unwrap(),
            "CreateSnapshot&Version=2016-11-15&VolumeId=vol-1&Description=nightly",
        ),
        (
            describe_snapshots(&[], &ids(&["self"]), Some("t"), Some(1)).unwrap(),
            "DescribeSnapshots&Version=2016-11-15&Owner.1=self&NextToken=t&MaxResults=5",
        ),
        (
            delete_snapshot("snap-1").unwrap(),
            "DeleteSnapshot&Version=2016-11-15&SnapshotId=snap-1",
        ),
    ];
    for (call, form) in calls {
        assert_eq!(call.form(), format!("Action={form}"));
        assert!(form.starts_with(call.action()));
    }
    assert!(!create_key_pair("k").unwrap().idempotent);
    assert!(start_instances(&[]).is_err());
    assert!(create_volume(0, "z", "", "t").is_err());
    assert!(delete_volume("").is_err());
}
