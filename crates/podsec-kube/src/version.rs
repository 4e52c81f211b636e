//! The cluster's Kubernetes version, from the API server's `GET /version`, as the version
//! `latest` means to the cluster's built-in Pod Security Admission (its emulation version).
//!
//! The answer is read in this order, the first usable one winning:
//!
//! 1. `emulationMajor`/`emulationMinor` (API servers that report them): an API server that
//!    emulates an older release builds its Pod Security evaluator with that release;
//! 2. `gitVersion`: `v1.36.2`, `v1.36.0-eks-abc`, `v1.36.2+k3s1`, `1.36` (an optional `v`,
//!    `<major>.<minor>`, then nothing or a `.`, `-` or `+` and anything);
//! 3. `major`/`minor`: decimal numbers, the minor possibly followed by `+` (`"1"`, `"36+"`,
//!    as GKE and EKS report it).
//!
//! A major version of 0, or numbers that do not fit, count as unparsable.

use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::version::Info;
use kube::Client;
use podsec_policy::Version;

use crate::errors::bounded;

/// What `GET /version` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterVersion {
    /// The version the cluster's Pod Security Admission evaluates `latest` as (`v1.36`).
    pub version: Version,
    /// The version as reported (`gitVersion`, and the emulation version when the API server
    /// reports one different from it), for logs.
    pub reported: String,
}

/// Why the cluster's version is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// `GET /version` failed (unreachable, an error status, an undecodable body, timed out).
    #[error("{0}")]
    Unavailable(String),
    /// The answer holds no version this module can read (the text describes it).
    #[error("unrecognised Kubernetes version: {0}")]
    Unparsable(String),
}

/// `GET /version` with `client`, bounded by `timeout`, read as described in the module docs.
pub async fn apiserver_version(
    client: &Client,
    timeout: Duration,
) -> Result<ClusterVersion, VersionError> {
    let deadline = Instant::now() + timeout;
    let info = bounded(Some(deadline), "/version", client.apiserver_version())
        .await
        .map_err(|err| VersionError::Unavailable(err.0))?;
    version_of(&info)
}

/// Reads a `/version` answer (see the module docs).
pub fn version_of(info: &Info) -> Result<ClusterVersion, VersionError> {
    let emulation = match (&info.emulation_major, &info.emulation_minor) {
        (Some(major), Some(minor)) => parse_major_minor(major, minor),
        _ => None,
    };
    let binary = parse_git_version(&info.git_version)
        .or_else(|| parse_major_minor(&info.major, &info.minor));
    let reported = |version: Version| match (emulation, binary) {
        (Some(e), Some(b)) if e != b => {
            format!("{} (emulating {e})", display_git_version(info, b))
        }
        _ => display_git_version(info, version),
    };
    match emulation.or(binary) {
        Some(version) => Ok(ClusterVersion {
            version,
            reported: reported(version),
        }),
        None => Err(VersionError::Unparsable(format!(
            "gitVersion {:?}, major {:?}, minor {:?}",
            info.git_version, info.major, info.minor
        ))),
    }
}

fn display_git_version(info: &Info, version: Version) -> String {
    if info.git_version.is_empty() {
        version.to_string()
    } else {
        info.git_version.clone()
    }
}

/// `v1.36.2`, `v1.36.0-eks-abc`, `1.36`: the major and minor release.
pub fn parse_git_version(text: &str) -> Option<Version> {
    let text = text.trim();
    let text = text.strip_prefix('v').unwrap_or(text);
    let (major, rest) = text.split_once('.')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (minor, tail) = rest.split_at(digits);
    if !(tail.is_empty() || tail.starts_with(['.', '-', '+'])) {
        return None;
    }
    release(number(major)?, number(minor)?)
}

/// `major`/`minor` fields: `"1"` and `"36"` or `"36+"`.
pub fn parse_major_minor(major: &str, minor: &str) -> Option<Version> {
    let minor = minor.trim();
    let minor = minor.strip_suffix('+').unwrap_or(minor);
    release(number(major.trim())?, number(minor)?)
}

fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn release(major: u64, minor: u64) -> Option<Version> {
    (major >= 1).then_some(Version::new(major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(git: &str, major: &str, minor: &str) -> Info {
        Info {
            git_version: git.into(),
            major: major.into(),
            minor: minor.into(),
            ..Info::default()
        }
    }

    #[test]
    fn git_versions() {
        for (text, minor) in [
            ("v1.36.2", 36),
            ("v1.36.0-eks-abc1234", 36),
            ("v1.36.2+k3s1", 36),
            ("v1.36.3-gke.1000", 36),
            ("1.36", 36),
            ("v1.9", 9),
            (" v1.40.0 ", 40),
        ] {
            assert_eq!(parse_git_version(text), Some(Version::v1(minor)), "{text}");
        }
        assert_eq!(parse_git_version("v2.1.0"), Some(Version::new(2, 1)));
        for text in [
            "",
            "v",
            "v1",
            "v1.",
            "v1.x",
            "v1.36x",
            "v0.36.0",
            "vv1.36",
            "latest",
            "v1.99999999999999999999999",
            "v-1.2",
        ] {
            assert_eq!(parse_git_version(text), None, "{text}");
        }
    }

    #[test]
    fn major_minor_fields() {
        assert_eq!(parse_major_minor("1", "36"), Some(Version::v1(36)));
        assert_eq!(parse_major_minor("1", "36+"), Some(Version::v1(36)));
        for (major, minor) in [("", ""), ("1", ""), ("1", "+"), ("one", "36"), ("0", "5")] {
            assert_eq!(parse_major_minor(major, minor), None, "{major}.{minor}");
        }
    }

    #[test]
    fn preference_order() {
        // gitVersion first, fields when it is not usable.
        let v = version_of(&info("v1.36.2", "1", "35")).expect("a version");
        assert_eq!(
            v,
            ClusterVersion {
                version: Version::v1(36),
                reported: "v1.36.2".into()
            }
        );
        let v = version_of(&info("custom-build", "1", "36+")).expect("a version");
        assert_eq!(v.version, Version::v1(36));
        let v = version_of(&info("", "1", "36")).expect("a version");
        assert_eq!(v.reported, "v1.36");

        // The emulation version wins.
        let mut emulating = info("v1.36.1", "1", "36");
        emulating.emulation_major = Some("1".into());
        emulating.emulation_minor = Some("35".into());
        let v = version_of(&emulating).expect("a version");
        assert_eq!(v.version, Version::v1(35));
        assert_eq!(v.reported, "v1.36.1 (emulating v1.35)");
        // ... unless unusable; the same as the binary's says nothing more.
        emulating.emulation_minor = Some("x".into());
        assert_eq!(version_of(&emulating).expect("v").version, Version::v1(36));
        emulating.emulation_minor = Some("36".into());
        assert_eq!(version_of(&emulating).expect("v").reported, "v1.36.1");

        assert_eq!(
            version_of(&info("nonsense", "", "")),
            Err(VersionError::Unparsable(
                r#"gitVersion "nonsense", major "", minor """#.into()
            ))
        );
    }
}
