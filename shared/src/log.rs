//! Where the functions' log lines and metric lines go: standard output, which Lambda
//! sends to CloudWatch, except while start-up warms the request path ([`held_back`]).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use lambda_http::tracing::subscriber::fmt::MakeWriter;
use lambda_http::tracing::subscriber::fmt::writer::MakeWriterExt;

static HELD_BACK: AtomicBool = AtomicBool::new(false);

/// lambda_runtime's subscriber (JSON lines on Lambda, the level from
/// `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`), writing to standard output.
pub fn init() {
    lambda_http::tracing::init_default_subscriber_with_writer(unless_held_back(std::io::stdout));
}

/// `writer`, which writes nothing while the log is [`held_back`].
pub fn unless_held_back<W: for<'w> MakeWriter<'w>>(writer: W) -> impl for<'w> MakeWriter<'w> {
    writer.with_filter(|_| !HELD_BACK.load(Ordering::Relaxed))
}

/// Whether a line written now reaches the log.
pub fn is_open() -> bool {
    !HELD_BACK.load(Ordering::Relaxed)
}

/// Runs `work` with the log held back: every line is formatted as usual and none is
/// written. Only for start-up, before the function serves anything: the flag is
/// the process's, not the task's.
pub async fn held_back<F: Future>(work: F) -> F::Output {
    HELD_BACK.store(true, Ordering::Relaxed);
    let output = work.await;
    HELD_BACK.store(false, Ordering::Relaxed);
    output
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use lambda_http::tracing::subscriber;

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(bytes)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_line_logged_while_held_back_is_not_written_and_the_next_one_is() {
        let lines = Lines::default();
        let written = lines.clone();
        let subscriber = subscriber::fmt().json().with_writer(unless_held_back(move || written.clone())).finish();
        let _default = tracing::subscriber::set_default(subscriber);
        held_back(async {
            assert!(!is_open());
            tracing::info!("warming");
        })
        .await;
        assert!(is_open());
        tracing::info!("serving");
        let log = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(!log.contains("warming"), "{log}");
        assert_eq!(log.lines().count(), 1, "{log}");
        assert!(log.contains("serving"), "{log}");
    }
}
