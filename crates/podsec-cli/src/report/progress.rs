//! A progress line on standard error for long text runs: a [`Sink`] wrapper that counts
//! objects and files as they go by and forwards every call unchanged.
//!
//! Nothing is drawn for the first second (short runs never show it); after that, a
//! background thread redraws one line ten times a second at most, and clears it before the
//! wrapped sink prints its errors and summary. The checking thread only bumps counters.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::check::{Outcome, Renderer, Sink, Summary};
use crate::input::InputError;

/// How long a run goes before its progress shows.
pub const DELAY: Duration = Duration::from_secs(1);
/// Time between redraws.
const INTERVAL: Duration = Duration::from_millis(100);

/// Where and when to draw.
pub struct Options {
    /// Time before the first draw.
    pub delay: Duration,
    /// The draw target, made when the line first shows.
    pub target: Box<dyn FnOnce() -> ProgressDrawTarget + Send>,
}

impl Options {
    /// On standard error, after [`DELAY`].
    pub fn stderr() -> Self {
        Options {
            delay: DELAY,
            target: Box::new(|| ProgressDrawTarget::stderr_with_hz(10)),
        }
    }
}

/// Forwards to `inner`, drawing progress when enabled.
pub struct ProgressSink<'a> {
    inner: Box<dyn Sink + 'a>,
    /// `None` when disabled (or stopped).
    ticker: Option<Ticker>,
    /// The file of the last `objects` call.
    last_file: Option<String>,
}

/// Counters shared with the drawing thread.
#[derive(Default)]
struct Counts {
    objects: AtomicU64,
    denied: AtomicU64,
    files: AtomicU64,
    file: Mutex<String>,
}

impl Counts {
    /// `⠋ 3s 12,345 objects checked (678 denied) in 90 files: deploy/web.yaml`.
    fn message(&self, frame: usize, elapsed: Duration) -> String {
        let objects = self.objects.load(Ordering::Relaxed);
        let denied = self.denied.load(Ordering::Relaxed);
        let files = self.files.load(Ordering::Relaxed);
        let file = self.file.lock().map(|f| f.clone()).unwrap_or_default();
        let secs = elapsed.as_secs();
        let elapsed = match secs / 60 {
            0 => format!("{secs}s"),
            minutes => format!("{minutes}m{:02}s", secs % 60),
        };
        format!(
            "{} {elapsed} {} {} checked ({} denied) in {} {}: {file}",
            SPINNER[frame % SPINNER.len()],
            HumanCount(objects),
            if objects == 1 { "object" } else { "objects" },
            HumanCount(denied),
            HumanCount(files),
            if files == 1 { "file" } else { "files" },
        )
    }
}

/// Spinner frames, one per redraw.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// The drawing thread and the means to stop it.
struct Ticker {
    counts: Arc<Counts>,
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Ticker {
    fn start(options: Options) -> Option<Ticker> {
        let Options { delay, target } = options;
        let counts = Arc::new(Counts::default());
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = Arc::clone(&counts);
        let started = Instant::now();
        let thread = std::thread::Builder::new()
            .name("progress".to_owned())
            .spawn(move || {
                if !matches!(stopped.recv_timeout(delay), Err(RecvTimeoutError::Timeout)) {
                    return;
                }
                let style = ProgressStyle::with_template("{wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                let bar = ProgressBar::with_draw_target(None, target()).with_style(style);
                // One draw per round: setting the message draws.
                for frame in 0.. {
                    bar.set_message(shared.message(frame, started.elapsed()));
                    if !matches!(
                        stopped.recv_timeout(INTERVAL),
                        Err(RecvTimeoutError::Timeout)
                    ) {
                        break;
                    }
                }
                bar.finish_and_clear();
            })
            .ok()?;
        Some(Ticker {
            counts,
            stop,
            thread,
        })
    }

    /// Stops drawing; returns once the line is cleared.
    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

impl<'a> ProgressSink<'a> {
    /// Wraps `inner`; draws with `options` when given, never otherwise.
    pub fn new(inner: Box<dyn Sink + 'a>, options: Option<Options>) -> Self {
        ProgressSink {
            inner,
            ticker: options.and_then(Ticker::start),
            last_file: None,
        }
    }

    fn stop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.stop();
        }
    }
}

impl Sink for ProgressSink<'_> {
    fn renderer(&self) -> Option<Renderer> {
        self.inner.renderer()
    }

    fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
        if let Some(ticker) = &self.ticker {
            let counts = &ticker.counts;
            if self.last_file.as_deref() != Some(file) {
                self.last_file = Some(file.to_owned());
                counts.files.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut current) = counts.file.lock() {
                    current.clear();
                    current.push_str(file);
                }
            }
            let (mut objects, mut denied) = (0, 0);
            for outcome in outcomes {
                if let Outcome::Evaluated(e) = outcome {
                    objects += 1;
                    denied += u64::from(!e.allowed);
                }
            }
            counts.objects.fetch_add(objects, Ordering::Relaxed);
            counts.denied.fetch_add(denied, Ordering::Relaxed);
        }
        self.inner.objects(file, outcomes)
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.inner.input_error(error)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.stop();
        self.inner.finish(summary)
    }
}

impl Drop for ProgressSink<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::path::PathBuf;
    use std::rc::Rc;

    use indicatif::TermLike;
    use podsec_policy::{Level, LevelVersion, Registry, Version};

    use super::*;
    use crate::check::{self, Mode};

    /// A one-line terminal.
    #[derive(Debug, Default)]
    struct Screen {
        line: Mutex<String>,
        writes: AtomicU64,
        /// What it showed when the wrapped sink's `finish` ran.
        at_finish: Mutex<Option<String>>,
    }

    impl Screen {
        fn line(&self) -> String {
            self.line.lock().unwrap().trim_end().to_owned()
        }

        fn writes(&self) -> u64 {
            self.writes.load(Ordering::Relaxed)
        }
    }

    #[derive(Debug)]
    struct Term(Arc<Screen>);

    impl TermLike for Term {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.0.writes.fetch_add(1, Ordering::Relaxed);
            let mut line = self.0.line.lock().unwrap();
            for (i, part) in s.split('\r').enumerate() {
                if i > 0 {
                    line.clear();
                }
                line.push_str(part);
            }
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            self.0.line.lock().unwrap().clear();
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    fn on(screen: &Arc<Screen>, delay: Duration) -> Options {
        let screen = Arc::clone(screen);
        Options {
            delay,
            target: Box::new(move || ProgressDrawTarget::term_like(Box::new(Term(screen)))),
        }
    }

    /// Logs every call it gets.
    struct Recorder {
        log: Rc<RefCell<Vec<String>>>,
        screen: Arc<Screen>,
    }

    impl Sink for Recorder {
        fn objects(&mut self, file: &str, outcomes: &[Outcome]) -> io::Result<()> {
            self.log
                .borrow_mut()
                .push(format!("objects {file} {outcomes:?}"));
            Ok(())
        }

        fn input_error(&mut self, error: &InputError) -> io::Result<()> {
            self.log.borrow_mut().push(format!("input_error {error:?}"));
            Ok(())
        }

        fn finish(&mut self, summary: &Summary) -> io::Result<()> {
            *self.screen.at_finish.lock().unwrap() = Some(self.screen.line());
            self.log.borrow_mut().push(format!("finish {summary:?}"));
            Ok(())
        }
    }

    /// Checks the test fixtures (objects, a decoding error, a missing file) into `sink`.
    fn check_fixtures(sink: &mut dyn Sink) {
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let paths = [
            fixtures.join("workloads.yaml"),
            fixtures.join("malformed.yaml"),
            fixtures.join("does-not-exist.yaml"),
            fixtures.join("tree"),
        ];
        let options = check::Options {
            mode: Mode::Level(LevelVersion::new(Level::Restricted, Version::Latest)),
            raw: false,
            kube: Version::Latest,
            registry: Arc::new(
                Registry::with_emulation_version(podsec_policy::checks::ALL, Version::Latest)
                    .expect("the built-in checks"),
            ),
            locate: false,
        };
        check::run(&crate::input::Inputs::new(&paths), &options, sink).expect("check runs");
    }

    /// The calls `inner` gets when wrapped with `progress` (or not wrapped, for `None`).
    fn calls(progress: Option<Option<Options>>, screen: &Arc<Screen>) -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let recorder = Recorder {
            log: Rc::clone(&log),
            screen: Arc::clone(screen),
        };
        match progress {
            None => check_fixtures(&mut { recorder }),
            Some(options) => check_fixtures(&mut ProgressSink::new(Box::new(recorder), options)),
        }
        log.take()
    }

    #[test]
    fn forwards_everything_unchanged_and_draws_nothing_when_disabled() {
        let screen = Arc::new(Screen::default());
        let direct = calls(None, &screen);
        assert!(direct.len() > 4, "{direct:?}");
        assert!(direct.iter().any(|c| c.starts_with("input_error")));
        assert!(direct.last().unwrap().starts_with("finish"));

        let disabled = ProgressSink::new(
            Box::new(Recorder {
                log: Rc::default(),
                screen: Arc::clone(&screen),
            }),
            None,
        );
        assert!(disabled.ticker.is_none());
        drop(disabled);
        assert_eq!(calls(Some(None), &screen), direct);
        assert_eq!(screen.writes(), 0);

        // Enabled, but the run ends before the delay: nothing is drawn either.
        assert_eq!(
            calls(Some(Some(on(&screen, Duration::from_secs(3600)))), &screen),
            direct
        );
        assert_eq!(screen.writes(), 0);
    }

    #[test]
    fn draws_after_the_delay_and_clears_before_the_summary() {
        let screen = Arc::new(Screen::default());
        let log = Rc::new(RefCell::new(Vec::new()));
        let recorder = Recorder {
            log: Rc::clone(&log),
            screen: Arc::clone(&screen),
        };
        let mut sink = ProgressSink::new(Box::new(recorder), Some(on(&screen, Duration::ZERO)));
        sink.objects("a.yaml", &[]).unwrap();
        sink.objects("a.yaml", &[]).unwrap();
        sink.objects("b.yaml", &[]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !screen.line().ends_with("in 2 files: b.yaml") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            screen
                .line()
                .contains("0 objects checked (0 denied) in 2 files: b.yaml"),
            "{:?}",
            screen.line()
        );
        sink.finish(&Summary::default()).unwrap();
        assert_eq!(screen.at_finish.lock().unwrap().as_deref(), Some(""));
        assert_eq!(screen.line(), "");
        assert_eq!(log.borrow().len(), 4);
    }
}
