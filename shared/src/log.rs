//! Where the functions' log lines and metric lines go: standard output, which Lambda
//! sends to CloudWatch. A request's lines are written at once ([`at_once`]), and
//! none while start-up warms the request path ([`held_back`]).

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use lambda_http::tracing::subscriber::fmt::MakeWriter;

static HELD_BACK: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The lines [`at_once`] is gathering on this thread, if it is.
    static GATHERED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// lambda_runtime's subscriber (JSON lines on Lambda, the level from
/// `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`), writing to [`Output`].
pub fn init() {
    lambda_http::tracing::init_default_subscriber_with_writer(Output);
}

/// Standard output; while [`at_once`] gathers lines, its buffer; while the log is
/// [`held_back`], nowhere.
#[derive(Debug, Clone, Copy)]
pub struct Output;

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !is_open() {
            return Ok(bytes.len());
        }
        let gathered =
            GATHERED.with_borrow_mut(|gathered| gathered.as_mut().map(|lines| lines.extend_from_slice(bytes)));
        match gathered {
            Some(()) => Ok(bytes.len()),
            None => std::io::stdout().write(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

impl MakeWriter<'_> for Output {
    type Writer = Output;

    fn make_writer(&self) -> Output {
        Output
    }
}

/// Runs `write_lines`, which writes to [`Output`] (through `tracing` or not), and
/// writes its lines in one write: a pipe write wakes the reader, and Lambda reads
/// the log through a pipe.
pub fn at_once(write_lines: impl FnOnce()) {
    let lines = gathered(write_lines);
    if !lines.is_empty() {
        // A log that cannot be written is no reason to fail the request it describes.
        let _ = std::io::stdout().lock().write_all(&lines);
    }
}

/// What `write_lines` wrote to [`Output`] on this thread. Gathering ends even if
/// `write_lines` panics (the runtime answers a panicking request and goes on):
/// the lines after it must not be gathered where nobody writes them.
fn gathered(write_lines: impl FnOnce()) -> Vec<u8> {
    struct Restore(Option<Vec<u8>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            GATHERED.set(self.0.take());
        }
    }
    let _restore = Restore(GATHERED.replace(Some(Vec::new())));
    write_lines();
    GATHERED.take().unwrap_or_default()
}

/// Whether a line written now reaches the log.
pub fn is_open() -> bool {
    !HELD_BACK.load(Ordering::Relaxed)
}

/// Runs `work` with the log held back: every line is formatted as usual and none is
/// written; the log is open again when `work` ends, even by a panic. Only for
/// start-up, before the function serves anything: the flag is the process's, not
/// the task's.
pub async fn held_back<F: Future>(work: F) -> F::Output {
    struct Reopen;
    impl Drop for Reopen {
        fn drop(&mut self) {
            HELD_BACK.store(false, Ordering::Relaxed);
        }
    }
    HELD_BACK.store(true, Ordering::Relaxed);
    let _reopen = Reopen;
    work.await
}

#[cfg(test)]
mod tests {
    use lambda_http::tracing::subscriber;

    use super::*;

    // One test: the flag held_back sets is the process's, and tests run at once.
    #[tokio::test]
    async fn a_requests_lines_are_gathered_none_while_held_back_and_a_panic_ends_both() {
        let _default = tracing::subscriber::set_default(subscriber::fmt().json().with_writer(Output).finish());
        let lines = gathered(|| {
            writeln!(Output, "{{\"_aws\":{{}}}}").unwrap();
            tracing::info!(route = "post_record", "request");
        });
        let lines = String::from_utf8(lines).unwrap();
        assert_eq!(lines.lines().count(), 2, "{lines}");
        assert!(lines.starts_with("{\"_aws\":{}}\n"), "{lines}");
        assert!(lines.lines().nth(1).unwrap().contains("\"route\":\"post_record\""), "{lines}");
        assert!(gathered(|| ()).is_empty());

        let warming = held_back(async {
            assert!(!is_open());
            gathered(|| tracing::info!("warming"))
        })
        .await;
        assert!(warming.is_empty(), "{}", String::from_utf8_lossy(&warming));
        assert!(is_open());
        let serving = String::from_utf8(gathered(|| tracing::info!("serving"))).unwrap();
        assert!(serving.contains("serving"), "{serving}");

        let panicked = std::panic::catch_unwind(|| gathered(|| panic!("a bug while logging")));
        assert!(panicked.is_err());
        assert!(GATHERED.with_borrow(Option::is_none), "gathering ended with the panic");
        let warming = tokio::spawn(held_back(async { panic!("a bug while warming up") })).await;
        assert!(warming.is_err());
        assert!(is_open(), "the log is open again after the panic");
    }
}
