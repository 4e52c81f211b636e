//! Upstream's conformance fixtures: every `fail` pod is denied at its own level and version,
//! and the violations name the check its file name names (or the restricted check that
//! overrides it at that version), with upstream's required message substring; every
//! `pass` pod is allowed. Pods get the API server's defaulting first, as upstream's fixture
//! runner creates them through a real API server.

use std::process::ExitCode;

use podsec_conformance::{Fixture, fixtures, read_yaml_pod};
use podsec_policy::checks::{self, Check};
use podsec_policy::defaults::{SpecOwner, apply_api_server_defaults};
use podsec_policy::{CheckId, Level, LevelVersion, Version, evaluate};

/// The substring upstream's fixture runner requires in a failing pod's message.
fn required_substring(prefix: &str) -> &'static str {
    match prefix {
        "allowprivilegeescalation" => "allowPrivilegeEscalation",
        "apparmorprofile" => "forbidden AppArmor profile",
        "capabilities_baseline" => "capabilities",
        "capabilities_restricted" => "unrestricted capabilities",
        "hostnamespaces" => "host namespaces",
        "hostpathvolumes" => "hostPath",
        "hostports" => "hostPort",
        "hostprobesandhostlifecycle" => "probe or lifecycle host",
        "privileged" => "privileged",
        "procmount" | "procmount_restricted" => "procMount",
        "restrictedvolumes" => "restricted volume types",
        "runasnonroot" => "runAsNonRoot",
        "runasuser" => "runAsUser",
        "selinuxoptions" => "seLinuxOptions",
        "seccompprofile_baseline" | "seccompprofile_restricted" => "seccompProfile",
        "sysctls" => "forbidden sysctl",
        "windowshostprocess" => "hostProcess",
        other => panic!("no check for fixture prefix {other:?}"),
    }
}

/// The check a fixture prefix names (case-insensitive match on the ID).
fn named_check(prefix: &str) -> &'static Check {
    checks::ALL
        .iter()
        .find(|c| c.id.as_str().eq_ignore_ascii_case(prefix))
        .unwrap_or_else(|| panic!("no check named by fixture prefix {prefix:?}"))
}

/// `id`, plus the restricted checks whose variant active at `version` overrides it.
fn acceptable_checks(id: CheckId, version: Version) -> Vec<CheckId> {
    let mut out = vec![id];
    for check in checks::ALL.iter().filter(|c| c.level == Level::Restricted) {
        let active = check.variants.iter().rev().find(|v| v.since <= version);
        if active.is_some_and(|v| v.overrides.contains(&id)) {
            out.push(check.id);
        }
    }
    out
}

/// Whether a pass fixture is denied when evaluated raw (without API-server defaulting).
fn denied_raw(fixture: &Fixture) -> bool {
    let level: Level = fixture.level.parse().expect("level");
    let version: Version = fixture.version.parse().expect("version");
    let pod = read_yaml_pod(&fixture.path);
    !evaluate(LevelVersion::new(level, version), &pod.metadata, &pod.spec).is_allowed()
}

fn judge(fixture: &Fixture) -> Result<(), String> {
    let level: Level = fixture.level.parse().map_err(|e| format!("level: {e}"))?;
    let version: Version = fixture
        .version
        .parse()
        .map_err(|e| format!("version: {e}"))?;
    let mut pod = read_yaml_pod(&fixture.path);
    apply_api_server_defaults(&mut pod.spec, SpecOwner::Pod);
    let result = evaluate(LevelVersion::new(level, version), &pod.metadata, &pod.spec);
    let message = result.forbidden_detail();

    if fixture.expect_allowed {
        return if result.is_allowed() {
            Ok(())
        } else {
            Err(format!("expected allowed, got: {message}"))
        };
    }
    if result.is_allowed() {
        return Err("expected denied, got allowed".into());
    }
    let prefix = fixture.prefix();
    let acceptable = acceptable_checks(named_check(prefix).id, version);
    if !result.check_ids().any(|id| acceptable.contains(&id)) {
        return Err(format!("denied, but by none of {acceptable:?}: {message}"));
    }
    let substring = required_substring(prefix);
    if !message.contains(substring) {
        return Err(format!("message lacks {substring:?}: {message}"));
    }
    if message.contains("unknown forbidden reason") {
        return Err(format!("unknown forbidden reason in: {message}"));
    }
    Ok(())
}

fn main() -> ExitCode {
    let Some(all) = fixtures() else {
        return ExitCode::SUCCESS;
    };
    let (mut pass, mut fail, mut failures) = (0usize, 0usize, Vec::new());
    let mut versions = std::collections::BTreeSet::new();
    let mut raw_denied = Vec::new();
    for fixture in &all {
        versions.insert((fixture.level.clone(), fixture.version.clone()));
        if fixture.expect_allowed {
            pass += 1;
        } else {
            fail += 1;
        }
        if let Err(why) = judge(fixture) {
            failures.push(format!("{}: {why}", fixture.path.display()));
        }
        if fixture.expect_allowed && denied_raw(fixture) {
            raw_denied.push(fixture.name.clone());
        }
    }
    let correct = all.len() - failures.len();
    println!(
        "conformance fixtures: {correct} / {} correct ({pass} pass, {fail} fail, {} level/version directories)",
        all.len(),
        versions.len()
    );
    for failure in &failures {
        println!("  FAILED {failure}");
    }
    // Without defaulting, exactly the 38 `restrictedvolumes0` pass fixtures (a volume with no
    // source, which the API server turns into an emptyDir) are denied: proof that the
    // defaulting step is both needed and the only one the corpus depends on.
    println!(
        "  without API-server defaulting, {} pass fixtures would be denied",
        raw_denied.len()
    );
    if raw_denied.len() != 38 || raw_denied.iter().any(|n| n != "restrictedvolumes0") {
        println!("  unexpected raw denials: {raw_denied:?}");
        return ExitCode::FAILURE;
    }
    // The corpus of this upstream snapshot: a shrinking count means fixtures were not found.
    const EXPECTED_FIXTURES: usize = 4_537;
    if all.len() != EXPECTED_FIXTURES {
        println!("expected {EXPECTED_FIXTURES} fixtures, found {}", all.len());
        return ExitCode::FAILURE;
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
