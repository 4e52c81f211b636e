//! The effective policy of a namespace: one level and version per mode.

use podsec_policy::{Level, LevelVersion};

/// The three modes of Pod Security Admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Violations are rejected.
    Enforce,
    /// Violations are recorded in an audit annotation.
    Audit,
    /// Violations are returned as warnings.
    Warn,
}

impl Mode {
    /// All modes, in upstream's label order.
    pub const ALL: [Mode; 3] = [Mode::Enforce, Mode::Audit, Mode::Warn];

    /// `enforce`, `audit` or `warn`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
        }
    }
}

/// Enforce, audit and warn policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Policy {
    /// Rejects violating pods.
    pub enforce: LevelVersion,
    /// Annotates violating requests.
    pub audit: LevelVersion,
    /// Warns about violating requests.
    pub warn: LevelVersion,
}

impl Default for Policy {
    /// `privileged:latest` for every mode: upstream's built-in defaults.
    fn default() -> Self {
        Policy {
            enforce: LevelVersion::PRIVILEGED_LATEST,
            audit: LevelVersion::PRIVILEGED_LATEST,
            warn: LevelVersion::PRIVILEGED_LATEST,
        }
    }
}

impl Policy {
    /// The policy of one mode.
    pub const fn get(&self, mode: Mode) -> LevelVersion {
        match mode {
            Mode::Enforce => self.enforce,
            Mode::Audit => self.audit,
            Mode::Warn => self.warn,
        }
    }

    /// Every mode is `privileged` (versions ignored).
    pub fn fully_privileged(&self) -> bool {
        Mode::ALL
            .iter()
            .all(|m| self.get(*m).level == Level::Privileged)
    }

    /// Every mode is [`equivalent`] to the other policy's.
    pub fn equivalent(&self, other: &Policy) -> bool {
        Mode::ALL
            .iter()
            .all(|m| equivalent(self.get(*m), other.get(*m)))
    }
}

/// Both `privileged` (at any versions), or equal.
pub fn equivalent(a: LevelVersion, b: LevelVersion) -> bool {
    (a.level == Level::Privileged && b.level == Level::Privileged) || a == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use podsec_policy::Version;

    #[test]
    fn equivalence_ignores_privileged_versions() {
        let p = |v| LevelVersion::new(Level::Privileged, v);
        let b = |v| LevelVersion::new(Level::Baseline, v);
        assert!(equivalent(p(Version::v1(20)), p(Version::Latest)));
        assert_ne!(p(Version::v1(20)), p(Version::Latest));
        assert!(equivalent(b(Version::Latest), b(Version::Latest)));
        assert!(!equivalent(b(Version::v1(20)), b(Version::Latest)));
        assert!(!equivalent(b(Version::Latest), p(Version::Latest)));
    }

    #[test]
    fn fully_privileged_ignores_versions() {
        let mut policy = Policy::default();
        policy.audit.version = Version::v1(3);
        assert!(policy.fully_privileged());
        policy.warn.level = Level::Baseline;
        assert!(!policy.fully_privileged());
    }
}
