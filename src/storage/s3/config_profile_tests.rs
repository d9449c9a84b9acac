//! `S3ConfigBuilder::profile` (the URL option `profile=`): it picks the shared files'
//! profile instead of `AWS_PROFILE`.

use super::*;
use std::collections::HashMap;

#[test]
fn the_profile_option_wins_over_aws_profile() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\
         [work]\naws_access_key_id = W\naws_secret_access_key = WS\n",
    )
    .unwrap();
    let vars: HashMap<&str, OsString> = [
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            creds.clone().into_os_string(),
        ),
        ("AWS_CONFIG_FILE", dir.path().join("none").into_os_string()),
        ("AWS_PROFILE", "default".into()),
    ]
    .into_iter()
    .collect();
    let var = |name: &str| vars.get(name).cloned();
    let picked = S3Config::builder()
        .profile("work")
        .from_env_with(var)
        .unwrap();
    assert_eq!(picked.build().unwrap().credentials.unwrap().key_id, "W");
    let default = S3Config::builder().from_env_with(var).unwrap();
    assert_eq!(default.build().unwrap().credentials.unwrap().key_id, "D");
    let missing = S3Config::builder()
        .profile("typo")
        .from_env_with(var)
        .unwrap_err();
    assert!(missing.to_string().contains("\"typo\""), "{missing}");
}
