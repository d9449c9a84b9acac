//! The compute and DNS commands as a user runs them: `nodes ls` over two EC2 regions (and
//! DigitalOcean) at once, a failing URL among good ones; `zone import`, `zones ls`,
//! `records ls`, `zone export` on Route53; a missing zone. EC2 and Route53 are moto's, in an
//! account of each test's own (see `cloud_support`); DigitalOcean is the library's fake.

mod cloud_support;

use std::collections::BTreeSet;

use cloud_support::{Account, DoFake, closed_port, moto, multicloud, table};
use multicloud::blocking::compute::{ComputeDriver, DigitalOcean, Ec2};
use multicloud::compute::digitalocean::DoConfig;
use multicloud::compute::ec2::Ec2Config;
use multicloud::compute::{CreateNode, Node};

/// An EC2 driver on moto in `region`, signing with the account's keys.
fn ec2(account: &Account, region: &str) -> Ec2 {
    let config = Ec2Config::builder()
        .region(region)
        .endpoint(moto())
        .credentials(account.credentials.clone())
        .build()
        .expect("an EC2 configuration for moto");
    Ec2::new(config).expect("an EC2 driver")
}

/// A node moto can run: its `t2.micro` and an Amazon Linux image it offers.
fn create(d: &Ec2, name: &str) -> Node {
    let spec = CreateNode::new(name, "t2.micro", "ami-12c6146b");
    d.create_node(&spec).expect("a node on moto")
}

fn ec2_url(region: &str) -> String {
    format!("ec2://{region}?endpoint={}", moto())
}

/// (PROVIDER, ID, NAME) of each row of a `nodes ls` table.
fn node_rows(stdout: &str) -> BTreeSet<(String, String, String)> {
    let rows = table(stdout);
    rows.iter()
        .map(|r| (r["PROVIDER"].clone(), r["ID"].clone(), r["NAME"].clone()))
        .collect()
}

fn expected(nodes: &[(&str, &Node)]) -> BTreeSet<(String, String, String)> {
    nodes
        .iter()
        .map(|(p, n)| ((*p).to_owned(), n.id.clone(), n.name.clone()))
        .collect()
}

#[test]
fn nodes_ls_lists_two_ec2_regions_at_once_labelled_by_provider() {
    let dir = tempfile::tempdir().unwrap();
    let account = Account::fresh();
    let (west, east) = (ec2(&account, "eu-west-1"), ec2(&account, "us-east-1"));
    let (w1, w2, e1) = (
        create(&west, "west-a"),
        create(&west, "west-b"),
        create(&east, "east-a"),
    );
    west.stop_node(&w2.id).unwrap();
    let urls = [ec2_url("eu-west-1"), ec2_url("us-east-1")];
    let mut args = vec!["nodes", "ls"];
    args.extend(urls.iter().map(String::as_str));
    let run = multicloud(dir.path(), &account.env(), &args);
    run.expect_code(0);
    let header: Vec<&str> = run.stdout.lines().next().unwrap().split("  ").collect();
    let header: Vec<&str> = header
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    let columns = [
        "PROVIDER",
        "ID",
        "NAME",
        "STATE",
        "SIZE",
        "PUBLIC IP",
        "LOCATION",
    ];
    assert_eq!(header, columns, "{}", run.stdout);
    let want = expected(&[
        ("ec2://eu-west-1", &w1),
        ("ec2://eu-west-1", &w2),
        ("ec2://us-east-1", &e1),
    ]);
    assert_eq!(node_rows(&run.stdout), want, "{}", run.stdout);
    assert_eq!(run.stderr, "", "nothing failed");

    args.push("--json");
    let json = multicloud(dir.path(), &account.env(), &args);
    json.expect_code(0);
    let lines: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(lines.len(), 3, "{}", json.stdout);
    for node in [&w1, &w2, &e1] {
        let line = lines.iter().find(|l| l["id"] == node.id.as_str());
        let line = line.unwrap_or_else(|| panic!("{} missing: {}", node.id, json.stdout));
        let state = west.get_node(&node.id).or_else(|_| east.get_node(&node.id));
        let state = state.unwrap().state.to_string();
        assert_eq!(line["state"], state.as_str(), "{line}");
        assert_eq!(line["name"], node.name.as_str(), "{line}");
    }
    let stopped = lines.iter().find(|l| l["id"] == w2.id.as_str()).unwrap();
    assert_eq!(stopped["state"], "stopped", "{stopped}");
    assert_eq!(stopped["provider"], "ec2://eu-west-1", "{stopped}");
}

#[test]
fn nodes_ls_reports_a_failing_url_and_still_lists_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let account = Account::fresh();
    let (west, east) = (ec2(&account, "eu-west-1"), ec2(&account, "us-east-1"));
    let (w, e) = (create(&west, "west"), create(&east, "east"));
    let unreachable = format!(
        "ec2://ap-south-1?endpoint=http://127.0.0.1:{}",
        closed_port()
    );
    let (good_west, good_east) = (ec2_url("eu-west-1"), ec2_url("us-east-1"));
    let args = ["nodes", "ls", &good_west, &unreachable, &good_east];
    let run = multicloud(dir.path(), &account.env(), &args);
    run.expect_code(3);
    let want = expected(&[("ec2://eu-west-1", &w), ("ec2://us-east-1", &e)]);
    assert_eq!(node_rows(&run.stdout), want, "{}", run.stdout);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with("multicloud: list nodes of ec2://ap-south-1: ")
            && lines[0].contains("connection refused"),
        "{}",
        run.stderr
    );
    assert_eq!(lines[1], "multicloud: 1 item(s) failed");
    let secret = account.credentials.secret.expose();
    assert!(!run.stderr.contains(secret), "{}", run.stderr);

    let json = multicloud(
        dir.path(),
        &account.env(),
        &[&args[..], &["--json"]].concat(),
    );
    json.expect_code(3);
    assert_eq!(json.stdout.lines().count(), 2, "{}", json.stdout);
    assert!(json.stderr.contains("ec2://ap-south-1"), "{}", json.stderr);
}

/// The token the DigitalOcean fake accepts.
const DO_TOKEN: &str = "dop_v1_cli_test_token";

#[test]
fn nodes_ls_lists_digitalocean_and_ec2_together() {
    let dir = tempfile::tempdir().unwrap();
    let fake = DoFake::start(DO_TOKEN);
    fake.set_active_after(1);
    let config = DoConfig::builder()
        .token(DO_TOKEN)
        .endpoint(fake.url())
        .region("nyc3")
        .build()
        .unwrap();
    let ocean = DigitalOcean::new(config).unwrap();
    let spec = |name: &str| CreateNode::new(name, "s-1vcpu-1gb", "ubuntu-20-04-x64");
    let (d1, d2) = (
        ocean.create_node(&spec("drop-a")).unwrap(),
        ocean.create_node(&spec("drop-b")).unwrap(),
    );
    let account = Account::fresh();
    let west = ec2(&account, "eu-west-1");
    let w = create(&west, "west");
    let do_url = format!("digitalocean://?endpoint={}", fake.url());
    let west_url = ec2_url("eu-west-1");
    let args = ["nodes", "ls", &do_url, &west_url, "memory://"];
    let mut env = account.env();
    env.push(("DIGITALOCEAN_TOKEN".into(), DO_TOKEN.into()));
    let run = multicloud(dir.path(), &env, &args);
    run.expect_code(0);
    let want = expected(&[
        ("digitalocean://", &d1),
        ("digitalocean://", &d2),
        ("ec2://eu-west-1", &w),
    ]);
    assert_eq!(node_rows(&run.stdout), want, "{}", run.stdout);
    let rows = table(&run.stdout);
    let drop_a = rows.iter().find(|r| r["ID"] == d1.id).unwrap();
    assert_eq!(
        (drop_a["STATE"].as_str(), drop_a["SIZE"].as_str()),
        ("running", "s-1vcpu-1gb"),
        "{drop_a:?}"
    );

    env.pop();
    env.push(("DIGITALOCEAN_TOKEN".into(), "dop_v1_WRONG_token".into()));
    let refused = multicloud(dir.path(), &env, &args);
    refused.expect_code(3);
    let want = expected(&[("ec2://eu-west-1", &w)]);
    assert_eq!(node_rows(&refused.stdout), want, "{}", refused.stdout);
    assert!(
        refused.stderr_lines()[0].starts_with("multicloud: list nodes of digitalocean://: "),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("WRONG"), "{}", refused.stderr);
}

/// A zone file as a registrar hands one over: SOA and apex NS (left to the provider), then
/// one record of each common type.
const ZONE_FILE: &str = r#"; example.test
$ORIGIN example.test.
$TTL 300
@         IN SOA   ns1.example.test. hostmaster.example.test. (
                   2024010101 ; serial
                   7200 3600 1209600 300 )
@         IN NS    ns1.example.test.
@         IN A     192.0.2.10
@         IN AAAA  2001:db8::10
@         IN MX    10 mail
@         IN TXT   "v=spf1 mx -all"
mail      IN A     192.0.2.20
www    60 IN CNAME example.test.
_sip._tcp IN SRV   10 60 5060 sip
"#;

/// (NAME, TYPE, TTL, DATA) of what `ZONE_FILE` creates, as `records ls` shows it.
const IMPORTED: [(&str, &str, &str, &str); 7] = [
    ("@", "A", "300", "192.0.2.10"),
    ("@", "AAAA", "300", "2001:db8::10"),
    ("@", "MX", "300", "10 mail.example.test."),
    ("@", "TXT", "300", "\"v=spf1 mx -all\""),
    ("mail", "A", "300", "192.0.2.20"),
    ("www", "CNAME", "60", "example.test."),
    ("_sip._tcp", "SRV", "300", "10 60 5060 sip.example.test."),
];

fn route53_url() -> String {
    format!("route53://?endpoint={}", moto())
}

/// (NAME, TYPE, TTL, DATA) of each row of a `records ls` table.
fn record_rows(stdout: &str) -> BTreeSet<(String, String, String, String)> {
    let rows = table(stdout);
    let cell = |r: &std::collections::BTreeMap<String, String>, c: &str| r[c].clone();
    rows.iter()
        .map(|r| {
            (
                cell(r, "NAME"),
                cell(r, "TYPE"),
                cell(r, "TTL"),
                cell(r, "DATA"),
            )
        })
        .collect()
}

#[test]
fn zone_import_ls_export_and_reimport_on_route53() {
    let dir = tempfile::tempdir().unwrap();
    let env = Account::fresh().env();
    let url = route53_url();
    let run = |args: &[&str]| multicloud(dir.path(), &env, args);
    std::fs::write(dir.path().join("in.zone"), ZONE_FILE).unwrap();

    let import = run(&["zone", "import", &url, "example.test", "in.zone"]);
    import.expect_code(0);
    assert_eq!(
        import.stderr,
        "example.test: 7 created, 0 updated, 0 unchanged, 2 left to the provider\n"
    );
    assert_eq!(import.stdout, "");

    let zones = run(&["zones", "ls", &url]);
    zones.expect_code(0);
    let listed = table(&zones.stdout);
    assert_eq!(
        listed.len(),
        1,
        "only this account's zone: {}",
        zones.stdout
    );
    assert_eq!(listed[0]["DOMAIN"], "example.test");
    let id = listed[0]["ID"].clone();
    let zones_json = run(&["zones", "ls", &url, "--json"]);
    let only: serde_json::Value = serde_json::from_str(zones_json.stdout.trim()).unwrap();
    assert_eq!(
        (&only["id"], &only["domain"]),
        (&id.as_str().into(), &"example.test".into())
    );

    let by_domain = run(&["records", "ls", &url, "example.test"]);
    by_domain.expect_code(0);
    let records = record_rows(&by_domain.stdout);
    for (name, kind, ttl, data) in IMPORTED {
        let row = (name.into(), kind.into(), ttl.into(), data.into());
        assert!(records.contains(&row), "{row:?} in {}", by_domain.stdout);
    }
    let others: Vec<_> = records.iter().filter(|r| r.1 != "NS").collect();
    assert_eq!(others.len(), IMPORTED.len(), "{}", by_domain.stdout);
    let by_id = run(&["records", "ls", &url, &id]);
    by_id.expect_code(0);
    assert_eq!(by_id.stdout, by_domain.stdout, "the same zone by id");
    let json = run(&["records", "ls", &url, "example.test", "--json"]);
    let lines: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(lines.len(), records.len(), "{}", json.stdout);
    let srv = lines.iter().find(|l| l["type"] == "SRV").unwrap();
    assert_eq!(srv["name"], "_sip._tcp", "{srv}");
    assert_eq!(srv["data"], "10 60 5060 sip.example.test.", "{srv}");

    let export = run(&["zone", "export", &url, "example.test", "-o", "out.zone"]);
    export.expect_code(0);
    assert_eq!((export.stdout.as_str(), export.stderr.as_str()), ("", ""));
    let file = std::fs::read_to_string(dir.path().join("out.zone")).unwrap();
    assert!(file.starts_with("$ORIGIN example.test.\n"), "{file}");
    assert!(
        file.contains("www\t60\tIN\tCNAME\texample.test.\n"),
        "{file}"
    );
    let to_stdout = run(&["zone", "export", &url, &id]);
    to_stdout.expect_code(0);
    assert_eq!(to_stdout.stdout, file, "by id, to standard output");

    let again = run(&["zone", "import", &url, "example.test", "out.zone"]);
    again.expect_code(0);
    assert!(
        again
            .stderr
            .starts_with("example.test: 0 created, 0 updated, 7 unchanged, "),
        "{}",
        again.stderr
    );
    let after = run(&["records", "ls", &url, "example.test"]);
    assert_eq!(after.stdout, by_domain.stdout, "nothing changed");
}

#[test]
fn zone_import_of_a_malformed_file_names_the_line_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let env = Account::fresh().env();
    let url = route53_url();
    let text = "$TTL 300\n@ IN A 192.0.2.1\nwww IN A not-an-address\n";
    std::fs::write(dir.path().join("bad.zone"), text).unwrap();
    let run = multicloud(
        dir.path(),
        &env,
        &["zone", "import", &url, "broken.test", "bad.zone"],
    );
    run.expect_code(1);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with("multicloud: import bad.zone into broken.test at route53://: ")
            && lines[0].contains("zone file line 3")
            && lines[0].contains("not-an-address"),
        "{}",
        run.stderr
    );
    let zones = multicloud(dir.path(), &env, &["zones", "ls", &url]);
    zones.expect_code(0);
    assert!(table(&zones.stdout).is_empty(), "no zone: {}", zones.stdout);
}

#[test]
fn records_ls_of_a_missing_zone_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let env = Account::fresh().env();
    let url = route53_url();
    for zone in ["nosuch.example.test", "ZNOSUCHZONE0000000000"] {
        for args in [
            ["records", "ls", &url, zone].as_slice(),
            ["zone", "export", &url, zone].as_slice(),
        ] {
            let run = multicloud(dir.path(), &env, args);
            run.expect_code(4);
            assert_eq!(run.stdout, "", "{args:?}");
            let lines = run.stderr_lines();
            assert_eq!(lines.len(), 1, "{args:?}: {}", run.stderr);
            assert!(
                lines[0].starts_with("multicloud: ") && lines[0].contains(zone),
                "{args:?}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn a_zone_moves_from_route53_to_digitalocean_through_a_zone_file() {
    let dir = tempfile::tempdir().unwrap();
    let fake = DoFake::start(DO_TOKEN);
    let mut env = Account::fresh().env();
    env.push(("DIGITALOCEAN_TOKEN".into(), DO_TOKEN.into()));
    let (route53, ocean) = (
        route53_url(),
        format!("digitalocean://?endpoint={}", fake.url()),
    );
    let run = |args: &[&str]| multicloud(dir.path(), &env, args);
    std::fs::write(dir.path().join("in.zone"), ZONE_FILE).unwrap();
    run(&["zone", "import", &route53, "example.test", "in.zone"]).expect_code(0);
    run(&[
        "zone",
        "export",
        &route53,
        "example.test",
        "-o",
        "moved.zone",
    ])
    .expect_code(0);

    let import = run(&["zone", "import", &ocean, "example.test", "moved.zone"]);
    import.expect_code(0);
    assert!(
        import
            .stderr
            .starts_with("example.test: 7 created, 0 updated, 0 unchanged, "),
        "{}",
        import.stderr
    );
    let zones = run(&["zones", "ls", &ocean]);
    let listed = table(&zones.stdout);
    assert_eq!(listed.len(), 1, "{}", zones.stdout);
    assert_eq!(listed[0]["DOMAIN"], "example.test");
    let records = run(&["records", "ls", &ocean, "example.test"]);
    records.expect_code(0);
    let rows = record_rows(&records.stdout);
    for (name, kind, ttl, data) in IMPORTED {
        let row = (name.into(), kind.into(), ttl.into(), data.into());
        assert!(rows.contains(&row), "{row:?} in {}", records.stdout);
    }
}
