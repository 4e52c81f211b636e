//! Renderers: one result model, several output formats, each a streaming [`Sink`].

mod github;
mod json;
mod junit;
mod kubectl;
mod progress;
mod sarif;
mod text;

pub use text::summary_line;

use std::io::Write;

use clap::ColorChoice;
use podsec_policy::LevelVersion;

use crate::check::Sink;
use crate::cli::Format;

/// What the terminal gets beyond the report's text: colors and a progress line. Only the
/// text format has them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminal {
    /// Color what goes to the report's output.
    pub color_out: bool,
    /// Color what goes to standard error.
    pub color_err: bool,
    /// Show a progress line on standard error during long runs.
    pub progress: bool,
}

/// The color settings of the environment (see <https://no-color.org> and
/// <https://bixense.com/clicolors/>).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColorEnv {
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// `CLICOLOR_FORCE` is set and not empty.
    pub clicolor_force: bool,
    /// `CLICOLOR`: `Some(false)` when `0`.
    pub clicolor: Option<bool>,
    /// `TERM` is set and not `dumb` (Windows: not `dumb`).
    pub term_supports_color: bool,
    /// Running in CI.
    pub ci: bool,
}

impl ColorEnv {
    /// The process's environment.
    pub fn current() -> Self {
        ColorEnv {
            no_color: anstyle_query::no_color(),
            clicolor_force: anstyle_query::clicolor_force(),
            clicolor: anstyle_query::clicolor(),
            term_supports_color: anstyle_query::term_supports_color(),
            ci: anstyle_query::is_ci(),
        }
    }

    /// Whether `auto` colors a stream, as `anstream` decides: never with `NO_COLOR`, always
    /// with `CLICOLOR_FORCE`, else on a terminal unless `CLICOLOR=0` or `TERM=dumb`.
    fn colors(&self, is_terminal: bool) -> bool {
        if self.no_color {
            false
        } else if self.clicolor_force {
            true
        } else if self.clicolor == Some(false) {
            false
        } else {
            is_terminal && (self.term_supports_color || self.clicolor == Some(true) || self.ci)
        }
    }
}

impl Terminal {
    /// For `format` and `--color`, given whether the report's output (standard output, not
    /// an `--output` file) and standard error are terminals.
    ///
    /// The progress line needs a terminal on standard error that the results do not also
    /// stream to: when they do, they are the progress.
    pub fn new(
        format: Format,
        color: ColorChoice,
        env: &ColorEnv,
        out_is_terminal: bool,
        err_is_terminal: bool,
    ) -> Self {
        if format != Format::Text {
            return Terminal::default();
        }
        let colors = |is_terminal: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => env.colors(is_terminal),
        };
        let terminal = Terminal {
            color_out: colors(out_is_terminal),
            color_err: colors(err_is_terminal),
            progress: err_is_terminal && !out_is_terminal && env.term_supports_color,
        };
        if (terminal.color_out && out_is_terminal) || (terminal.color_err && err_is_terminal) {
            // Windows consoles take escape sequences once asked to.
            let _ = anstyle_query::windows::enable_ansi_colors();
        }
        terminal
    }
}

/// The sink writing `format`: results to `out`; for text, errors and the summary to `err`.
/// `policy` is level mode's level and version (`None` in namespace mode).
pub fn sink<'w>(
    format: Format,
    policy: Option<LevelVersion>,
    terminal: Terminal,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
) -> Box<dyn Sink + 'w> {
    match format {
        Format::Text => {
            let text = Box::new(text::TextSink::new(
                out,
                err,
                terminal.color_out,
                terminal.color_err,
            ));
            if terminal.progress {
                Box::new(progress::ProgressSink::new(
                    text,
                    Some(progress::Options::stderr()),
                ))
            } else {
                text
            }
        }
        Format::Json => Box::new(json::JsonSink::new(out, policy.is_none())),
        Format::Github => Box::new(github::GithubSink::new(out, err)),
        Format::Junit => Box::new(junit::JunitSink::new(out)),
        Format::Kubectl => Box::new(kubectl::KubectlSink::new(out, err)),
        Format::Sarif => Box::new(sarif::SarifSink::new(policy, out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terminal(color: ColorChoice, env: ColorEnv, out: bool, err: bool) -> Terminal {
        Terminal::new(Format::Text, color, &env, out, err)
    }

    const TERM: ColorEnv = ColorEnv {
        no_color: false,
        clicolor_force: false,
        clicolor: None,
        term_supports_color: true,
        ci: false,
    };

    #[test]
    fn colors_follow_the_flag_then_the_environment() {
        let auto = ColorChoice::Auto;
        // Auto: terminals only.
        let t = terminal(auto, TERM, true, false);
        assert!(t.color_out && !t.color_err);
        let t = terminal(auto, TERM, false, true);
        assert!(!t.color_out && t.color_err);
        // NO_COLOR beats CLICOLOR_FORCE; the flag beats both.
        let no_color = ColorEnv {
            no_color: true,
            clicolor_force: true,
            ..TERM
        };
        assert!(!terminal(auto, no_color, true, true).color_out);
        assert!(terminal(ColorChoice::Always, no_color, false, false).color_out);
        let forced = ColorEnv {
            clicolor_force: true,
            ..TERM
        };
        assert!(terminal(auto, forced, false, false).color_out);
        assert!(!terminal(ColorChoice::Never, forced, true, true).color_out);
        // CLICOLOR=0 and TERM=dumb.
        let off = ColorEnv {
            clicolor: Some(false),
            ..TERM
        };
        assert!(!terminal(auto, off, true, true).color_out);
        let dumb = ColorEnv {
            term_supports_color: false,
            ..TERM
        };
        assert!(!terminal(auto, dumb, true, true).color_out);
        // Machine formats never.
        let json = Terminal::new(Format::Json, ColorChoice::Always, &forced, true, true);
        assert_eq!(json, Terminal::default());
    }

    #[test]
    fn progress_only_on_a_terminal_the_results_do_not_go_to() {
        let never = ColorChoice::Never;
        assert!(terminal(never, TERM, false, true).progress);
        assert!(!terminal(never, TERM, true, true).progress);
        assert!(!terminal(never, TERM, false, false).progress);
        let dumb = ColorEnv {
            term_supports_color: false,
            ..TERM
        };
        assert!(!terminal(never, dumb, false, true).progress);
        for format in [
            Format::Json,
            Format::Sarif,
            Format::Junit,
            Format::Github,
            Format::Kubectl,
        ] {
            assert!(!Terminal::new(format, ColorChoice::Auto, &TERM, false, true).progress);
        }
    }
}
