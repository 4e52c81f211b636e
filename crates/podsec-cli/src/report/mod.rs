//! Renderers: one report model, several output formats.

mod json;
mod text;

use std::io::{self, Write};

use crate::check::Report;
use crate::cli::Format;

/// Writes `report` in `format`: results to `out`; for text, errors and the summary to `err`.
pub fn render(
    report: &Report,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, out, err),
        Format::Json => json::render(report, out),
    }
}
