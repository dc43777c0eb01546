//! Help, version and the dry-run plan.

use crate::{repo, run_raw};

#[test]
fn help_and_version() {
    let _serial = crate::exclusive();
    let out = run_raw(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("perfhive "));
    for sub in ["run", "testbed"] {
        let out = run_raw(&[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help");
    }
    let out = run_raw(&["run"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn dry_run_prints_the_playbook_plan() {
    let _serial = crate::exclusive();
    let out = run_raw(&["run", &repo("examples/checkout-peak.yaml"), "--dry-run"]);
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
