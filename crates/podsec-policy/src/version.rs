//! Pod Security Standards versions: `latest` or a Kubernetes minor version `v1.N`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A policy version: `latest`, or a Kubernetes `major.minor` release.
///
/// Parsing only produces `latest` and `v1.N`; other majors can be built with
/// [`Version::new`] (the registry has no checks for them before `v1.0`, so such pods are
/// allowed, exactly as upstream). `latest` orders after every numbered version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Version {
    /// The newest policy known to this build.
    #[default]
    Latest,
    /// A numbered release.
    Release {
        /// Major version (1 for every version that can be parsed).
        major: u64,
        /// Minor version.
        minor: u64,
    },
}

impl Version {
    /// `latest`.
    pub const LATEST: Version = Version::Latest;

    /// `v<major>.<minor>`.
    pub const fn new(major: u64, minor: u64) -> Self {
        Version::Release { major, minor }
    }

    /// `v1.<minor>`.
    pub const fn v1(minor: u64) -> Self {
        Version::Release { major: 1, minor }
    }

    /// Whether this is `latest`.
    pub const fn is_latest(self) -> bool {
        matches!(self, Version::Latest)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Version::Latest, Version::Latest) => Ordering::Equal,
            (Version::Latest, _) => Ordering::Greater,
            (_, Version::Latest) => Ordering::Less,
            (Version::Release { major: a, minor: b }, Version::Release { major: c, minor: d }) => {
                (a, b).cmp(&(c, d))
            }
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Release { major, minor } => write!(f, "v{major}.{minor}"),
        }
    }
}

/// A string that is neither `latest` nor `v1.N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseVersionError;

impl fmt::Display for ParseVersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Upstream's exact text (api/helpers.go ParseVersion).
        f.write_str(r#"must be "latest" or "v1.x""#)
    }
}

impl std::error::Error for ParseVersionError {}

impl FromStr for Version {
    type Err = ParseVersionError;

    /// Strict parsing: exactly `latest`, or `v1.` followed by a decimal minor without
    /// leading zeros that fits a signed 64-bit integer.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Version::Latest);
        }
        let digits = s.strip_prefix("v1.").ok_or(ParseVersionError)?;
        let well_formed = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !well_formed {
            return Err(ParseVersionError);
        }
        let minor: i64 = digits.parse().map_err(|_| ParseVersionError)?;
        Ok(Version::v1(minor as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_versions() {
        assert_eq!("latest".parse(), Ok(Version::Latest));
        assert_eq!("v1.0".parse(), Ok(Version::v1(0)));
        assert_eq!("v1.1".parse(), Ok(Version::v1(1)));
        assert_eq!("v1.20".parse(), Ok(Version::v1(20)));
        assert_eq!("v1.10000".parse(), Ok(Version::v1(10000)));
        assert_eq!(
            "v1.9223372036854775807".parse(),
            Ok(Version::v1(9_223_372_036_854_775_807))
        );
    }

    #[test]
    fn rejects_invalid_versions() {
        for bad in [
            "foo",
            "",
            "v2.0",
            "v1",
            "1.1",
            "v1.01",
            "v1.00",
            "V1.2",
            "v1.2 ",
            "v1.2\n",
            "Latest",
            "v1.",
            "v1.-1",
            "v1.+1",
            "v1.9223372036854775808",
            "v1.1a",
        ] {
            let err = bad.parse::<Version>().unwrap_err();
            assert_eq!(err.to_string(), r#"must be "latest" or "v1.x""#, "{bad:?}");
        }
    }

    #[test]
    fn displays_and_orders() {
        assert_eq!(Version::v1(37).to_string(), "v1.37");
        assert_eq!(Version::Latest.to_string(), "latest");
        assert!(Version::v1(9) < Version::v1(10));
        assert!(Version::v1(10_000) < Version::Latest);
        assert!(Version::new(0, 99) < Version::v1(0));
    }
}
