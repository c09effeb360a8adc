//! A function binary run as Lambda runs it, for the benchmarks: the process is
//! started with `AWS_LAMBDA_RUNTIME_API` pointing at a Runtime API served here
//! (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), so each event
//! is timed from the moment the function takes it (`/next`) to its answer, and the
//! process's own CPU time is read from /proc. Nothing stands between the harness and
//! the function but the Runtime API's loopback HTTP, as on Lambda.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot, watch};

/// What the function answered to one event, when it took the event, and how long it
/// took from then to answering it.
#[derive(Debug)]
pub struct Answer {
    pub response: Value,
    pub handed: Instant,
    pub in_function: Duration,
}

impl Answer {
    /// When the function answered.
    pub fn answered(&self) -> Instant {
        self.handed + self.in_function
    }
}

struct Invocation {
    event: String,
    answer: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct Pending {
    next_id: u64,
    waiting: HashMap<String, (Instant, oneshot::Sender<Answer>)>,
}

struct RuntimeApi {
    invocations: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    pending: Mutex<Pending>,
    first_poll: watch::Sender<Option<Instant>>,
}

/// One running function process.
pub struct Function {
    child: tokio::process::Child,
    /// Its drop stops the server.
    runtime_api: RuntimeApiServer,
    invocations: mpsc::Sender<Invocation>,
    started: Instant,
    first_poll: watch::Receiver<Option<Instant>>,
    log: LogReader,
    /// The events it has answered.
    answered: AtomicU64,
}

/// The Runtime API a [`Function`] polls, served on `address` until the function is
/// dropped: a run starts hundreds of processes, and each would otherwise leave its
/// listener open until the run ends.
struct RuntimeApiServer {
    address: std::net::SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApiServer {
    async fn start(api: Arc<RuntimeApi>) -> RuntimeApiServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let api = api.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| serve(api.clone(), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        RuntimeApiServer { address, server }
    }
}

impl Drop for RuntimeApiServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// How long a process's threads have run, and waited to run (`/proc/<pid>/task/*/schedstat`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Scheduled {
    /// On a CPU.
    pub on_cpu: Duration,
    /// Ready to run, on a run queue, while the CPUs ran something else.
    pub waiting: Duration,
}

impl Scheduled {
    /// The threads of process `pid` that `counted` keeps (given each thread's
    /// /proc directory), added up from their `schedstat`, to the nanosecond. Threads
    /// that have ended are not counted.
    pub fn of_threads(pid: u32, counted: impl Fn(&Path) -> bool) -> Scheduled {
        let threads = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap_or_else(|e| panic!("process {pid}: {e}"));
        let stats = threads
            .filter_map(|thread| Some(thread.ok()?.path()))
            .filter(|thread| counted(thread))
            .filter_map(|thread| std::fs::read_to_string(thread.join("schedstat")).ok());
        stats.fold(Scheduled::default(), |total, stat| {
            let mut nanos = stat.split_whitespace().map(|n| n.parse().map(Duration::from_nanos));
            let mut next = || nanos.next().and_then(Result::ok).unwrap_or_else(|| panic!("schedstat: {stat:?}"));
            let (on_cpu, waiting) = (next(), next());
            Scheduled { on_cpu: total.on_cpu + on_cpu, waiting: total.waiting + waiting }
        })
    }
}

impl std::ops::Sub for Scheduled {
    type Output = Scheduled;

    fn sub(self, earlier: Scheduled) -> Scheduled {
        Scheduled { on_cpu: self.on_cpu - earlier.on_cpu, waiting: self.waiting - earlier.waiting }
    }
}

/// DynamoDB capacity units the function reported in its metric lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
}

impl Function {
    /// Starts `binary` with `env` (besides the Lambda variables). Its log lines are
    /// read for the capacity units; anything else it prints is dropped.
    pub async fn start(binary: &Path, name: &str, env: &[(&str, &str)]) -> Function {
        let (invocations, receiver) = mpsc::channel(1024);
        let (first_poll, first_poll_seen) = watch::channel(None);
        let api = Arc::new(RuntimeApi {
            invocations: tokio::sync::Mutex::new(receiver),
            pending: Mutex::new(Pending::default()),
            first_poll,
        });
        let runtime_api = RuntimeApiServer::start(api).await;
        let started = Instant::now();
        let mut child = tokio::process::Command::new(binary)
            .envs(env.iter().copied())
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api.address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            // Every request line is read (LogReader), whatever RUST_LOG says.
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let log = LogReader::start(child.stdout.take().unwrap());
        Function {
            child,
            runtime_api,
            invocations,
            started,
            first_poll: first_poll_seen,
            log,
            answered: AtomicU64::new(0),
        }
    }

    /// From starting the process to its first poll for an event: Lambda's init phase.
    pub async fn init_time(&mut self) -> Duration {
        let polled = tokio::select! {
            polled = tokio::time::timeout(Duration::from_secs(30), self.first_poll.wait_for(Option::is_some)) => {
                polled.expect("the function polls for an event within 30 s").expect("the runtime API is running").unwrap()
            }
            exit = self.child.wait() => panic!("the function stopped before it polled for an event: {exit:?}"),
        };
        polled - self.started
    }

    /// Where its Runtime API listens.
    pub fn runtime_api_address(&self) -> std::net::SocketAddr {
        self.runtime_api.address
    }

    /// Hands the function one event and waits for its answer.
    pub async fn invoke(&self, event: &Value) -> Answer {
        let (answer, answered) = oneshot::channel();
        self.invocations.send(Invocation { event: event.to_string(), answer }).await.unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(60), answered)
            .await
            .expect("the function answers within 60 s")
            .expect("the function answered");
        self.answered.fetch_add(1, Ordering::SeqCst);
        answer
    }

    /// The CPU time (user and system, every thread) the process has used so far.
    pub fn cpu_time(&self) -> Duration {
        let ticks = self.stat(USER_TICKS) + self.stat(SYSTEM_TICKS);
        Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
    }

    /// The page faults the process has taken so far that read nothing from disk.
    pub fn minor_faults(&self) -> u64 {
        self.stat(MINOR_FAULTS)
    }

    /// The `field`th number of /proc/<pid>/stat, counted from 0 after the command name.
    fn stat(&self, field: usize) -> u64 {
        let pid = self.child.id().expect("the function is running");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        // The command name is in parentheses and may hold spaces.
        let number = stat[stat.rfind(')').unwrap() + 2..].split(' ').nth(field);
        number.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("field {field} of {stat}"))
    }

    /// The time the process's threads have run on a CPU so far, and waited for one
    /// while ready to run: for one request's CPU, which [`Function::cpu_time`]'s
    /// clock ticks are too coarse for.
    pub fn scheduled(&self) -> Scheduled {
        Scheduled::of_threads(self.child.id().expect("the function is running"), |_| true)
    }

    /// The capacity units the function has reported for the events it has answered.
    pub async fn capacity(&self) -> Capacity {
        self.log.capacity_after(self.answered.load(Ordering::SeqCst)).await
    }
}

/// What a function's log lines have reported so far.
#[derive(Debug, Default, Clone, Copy)]
struct Logged {
    capacity: Capacity,
    /// Its request lines: one for each event it answers, written before the answer.
    requests: u64,
}

/// Reads a function's log lines as they come, for the capacity units in its metric
/// lines and the number of its request lines.
struct LogReader {
    logged: watch::Receiver<Logged>,
}

impl LogReader {
    fn start(output: impl AsyncRead + Unpin + Send + 'static) -> LogReader {
        let (sender, logged) = watch::channel(Logged::default());
        let mut lines = BufReader::new(output).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(line) = serde_json::from_str::<Value>(&line) else { continue };
                sender.send_modify(|logged| {
                    logged.capacity.read += line["ReadCapacityUnits"].as_f64().unwrap_or(0.0);
                    logged.capacity.write += line["WriteCapacityUnits"].as_f64().unwrap_or(0.0);
                    logged.requests += u64::from(line["fields"]["message"] == "request");
                });
            }
        });
        LogReader { logged }
    }

    /// The capacity units reported by the time the lines of `answered` requests
    /// have been read. A request's lines reach the pipe before its answer, but this
    /// reader may take them after the answer has come.
    async fn capacity_after(&self, answered: u64) -> Capacity {
        let mut logged = self.logged.clone();
        let read = logged.wait_for(|logged| logged.requests >= answered);
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .unwrap_or_else(|_| panic!("no log lines of {answered} requests in 10 s (is the log level below INFO?)"))
            .expect("the function's output is read until it ends")
            .capacity
    }
}

// Fields of /proc/<pid>/stat after the command name (proc(5) numbers them from 1,
// with the pid and the command name first).
const MINOR_FAULTS: usize = 7;
const USER_TICKS: usize = 11;
const SYSTEM_TICKS: usize = 12;

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let output = std::process::Command::new("getconf").arg("CLK_TCK").output().expect("getconf");
        String::from_utf8_lossy(&output.stdout).trim().parse().expect("CLK_TCK is a number")
    })
}

async fn serve(api: Arc<RuntimeApi>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        api.first_poll.send_if_modified(|seen| seen.is_none() && seen.replace(Instant::now()).is_none());
        let Some(invocation) = api.invocations.lock().await.recv().await else {
            return Ok(status(410));
        };
        let id = {
            let mut pending = api.pending.lock().unwrap();
            pending.next_id += 1;
            let id = format!("bench-{}", pending.next_id);
            pending.waiting.insert(id.clone(), (Instant::now(), invocation.answer));
            id
        };
        let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
        let response = Response::builder()
            .header("lambda-runtime-aws-request-id", &id)
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
            .header("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000")
            .body(Full::new(Bytes::from(invocation.event)))
            .unwrap();
        return Ok(response);
    }
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") else {
        // An init error: the function will exit; the waiting side times out and says so.
        eprintln!("function runtime API: {path}");
        return Ok(status(202));
    };
    let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let Some((handed, answer)) = api.pending.lock().unwrap().waiting.remove(id) else {
        return Ok(status(404));
    };
    let response = match kind {
        "response" => serde_json::from_slice(&body).unwrap_or(Value::Null),
        _ => serde_json::json!({"function_error": String::from_utf8_lossy(&body)}),
    };
    let _ = answer.send(Answer { response, handed, in_function: handed.elapsed() });
    Ok(status(202))
}

fn status(code: u16) -> Response<Full<Bytes>> {
    Response::builder().status(code).body(Full::new(Bytes::new())).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    const REQUEST_LINE: &str = r#"{"level":"INFO","fields":{"message":"request","route":"start"}}"#;

    fn metric_line(write_units: f64) -> String {
        format!(r#"{{"_aws":{{}},"Function":"call-records","WriteCapacityUnits":{write_units}}}"#)
    }

    #[tokio::test]
    async fn capacity_waits_for_the_log_lines_of_every_answered_request() {
        let (mut function_output, harness_end) = tokio::io::duplex(4096);
        let log = LogReader::start(harness_end);
        // Two requests answered; the log lines of only the first have been read.
        let first = format!("{}\n{REQUEST_LINE}\n", metric_line(6.0));
        function_output.write_all(first.as_bytes()).await.unwrap();
        let capacity = log.capacity_after(2);
        tokio::pin!(capacity);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), &mut capacity).await.is_err(),
            "answered before the second request's lines were read"
        );
        let second = format!("{}\n{REQUEST_LINE}\n", metric_line(6.0));
        function_output.write_all(second.as_bytes()).await.unwrap();
        let capacity = tokio::time::timeout(Duration::from_secs(5), capacity).await.expect("both requests' lines read");
        assert_eq!((capacity.read, capacity.write), (0.0, 12.0));
    }

    #[tokio::test]
    async fn a_dropped_function_stops_serving_its_runtime_api() {
        let function = Function::start(Path::new("/bin/true"), "nothing", &[]).await;
        let address = function.runtime_api_address();
        tokio::net::TcpStream::connect(address).await.expect("the Runtime API listens while the function lives");
        drop(function);
        let deadline = Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(address).await.is_ok() {
            assert!(Instant::now() < deadline, "the Runtime API still listens 5 s after its function was dropped");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn lines_that_are_not_json_are_skipped() {
        let (mut function_output, harness_end) = tokio::io::duplex(4096);
        let log = LogReader::start(harness_end);
        let lines = format!("not json\n{}\n{REQUEST_LINE}\n", metric_line(0.5));
        function_output.write_all(lines.as_bytes()).await.unwrap();
        let capacity = tokio::time::timeout(Duration::from_secs(5), log.capacity_after(1)).await.expect("read");
        assert_eq!(capacity.write, 0.5);
    }
}
