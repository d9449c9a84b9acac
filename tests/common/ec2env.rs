//! EC2 against moto, each test in an AWS account of its own: moto keeps one EC2 state per
//! account, and maps the keys its STS `AssumeRole` hands out to the role's account. So a
//! test that assumes a role in a fresh account sees none of the other tests' nodes, and
//! the driver's credentials come through the library's own STS provider.

use std::sync::atomic::{AtomicU64, Ordering};

use multicloud::aws::{AssumeRole, Source};
use multicloud::compute::ec2::Ec2Config;
use multicloud::credentials::Credentials;

use super::s3env::moto;

/// A 12-digit account id no other test (or test process) uses.
pub fn fresh_account() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let process = u64::from(std::process::id()) % 100_000;
    format!(
        "{:012}",
        200_000_000_000 + process * 1_000_000 + n * 100 + fastrand::u64(..100)
    )
}

/// A configuration for moto's EC2 in `region`, signing as a role in a fresh account.
pub fn ec2_config(region: &str) -> Ec2Config {
    ec2_config_in(region, &fresh_account())
}

/// [`ec2_config`] in the given `account`.
pub fn ec2_config_in(region: &str, account: &str) -> Ec2Config {
    let role = AssumeRole {
        role_arn: format!("arn:aws:iam::{account}:role/multicloud-test"),
        session_name: "multicloud-test".into(),
        external_id: None,
        source: Credentials::new("AKIDMULTICLOUDTEST", "moto-does-not-check"),
        sts_endpoint: moto(),
        region: region.into(),
    };
    Ec2Config::builder()
        .region(region)
        .endpoint(moto())
        .credential_source(Source::AssumeRole(role))
        .build()
        .expect("an EC2 configuration for moto")
}
