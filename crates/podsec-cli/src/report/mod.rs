//! Renderers: one result model, several output formats, each a streaming [`Sink`].

mod github;
mod json;
mod junit;
mod kubectl;
mod sarif;
mod text;

pub use text::summary_line;

use std::io::Write;

use podsec_policy::LevelVersion;

use crate::check::Sink;
use crate::cli::Format;

/// The sink writing `format`: results to `out`; for text, errors and the summary to `err`.
/// `policy` is level mode's level and version (`None` in namespace mode).
pub fn sink<'w>(
    format: Format,
    policy: Option<LevelVersion>,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
) -> Box<dyn Sink + 'w> {
    match format {
        Format::Text => Box::new(text::TextSink::new(out, err)),
        Format::Json => Box::new(json::JsonSink::new(out, policy.is_none())),
        Format::Github => Box::new(github::GithubSink::new(out, err)),
        Format::Junit => Box::new(junit::JunitSink::new(out)),
        Format::Kubectl => Box::new(kubectl::KubectlSink::new(out, err)),
        Format::Sarif => Box::new(sarif::SarifSink::new(policy, out)),
    }
}
