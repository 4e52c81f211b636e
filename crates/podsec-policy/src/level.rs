//! Pod Security Standards levels.

use std::fmt;
use std::str::FromStr;

/// One of the three cumulative Pod Security Standards levels.
///
/// Ordered by strictness: `Privileged < Baseline < Restricted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Unrestricted: every pod is allowed.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Heavily restricted, following pod hardening best practices.
    Restricted,
}

impl Level {
    /// All levels, least strict first.
    pub const ALL: [Level; 3] = [Level::Privileged, Level::Baseline, Level::Restricted];

    /// The level's name as written in namespace labels and messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not exactly `privileged`, `baseline` or `restricted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError;

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Upstream's exact text (api/helpers.go ParseLevel).
        f.write_str("must be one of privileged, baseline, restricted")
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// Parses a level: case-sensitive, no trimming.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(ParseLevelError),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_names_only() {
        for level in Level::ALL {
            assert_eq!(level.as_str().parse::<Level>(), Ok(level));
        }
        for bad in [
            "",
            "Baseline",
            " baseline",
            "baseline ",
            "strict",
            "RESTRICTED",
        ] {
            let err = bad.parse::<Level>().unwrap_err();
            assert_eq!(
                err.to_string(),
                "must be one of privileged, baseline, restricted"
            );
        }
    }

    #[test]
    fn ordered_by_strictness() {
        assert!(Level::Privileged < Level::Baseline);
        assert!(Level::Baseline < Level::Restricted);
    }
}
