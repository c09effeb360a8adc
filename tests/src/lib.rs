//! Test support: a fresh table in DynamoDB Local per test, API Gateway v2 requests
//! driven through the real handlers, and a count of DynamoDB requests.

pub mod runtime_api;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use callbill::Config;
use callbill::store::{Store, create_table};
use chrono::{DateTime, TimeDelta, Utc};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};

/// The operator's reference data set, unchanged.
pub const SAMPLE: &str = include_str!("../fixtures/sample-calls.json");

pub fn sample() -> Value {
    serde_json::from_str(SAMPLE).expect("the sample data set is JSON")
}

/// Counts every request sent to DynamoDB, retries included, whether the SDK or
/// the store's wire sends it: it counts at the HTTP connector both share.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<AtomicUsize>);

impl RequestCounter {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// `connector`, counting its requests here.
    pub fn counting(&self, connector: SharedHttpConnector) -> SharedHttpConnector {
        SharedHttpConnector::new(CountingConnector { inner: connector, count: self.clone() })
    }
}

#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
    count: RequestCounter,
}

impl HttpConnector for CountingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.count.0.fetch_add(1, Ordering::SeqCst);
        self.inner.call(request)
    }
}

/// A fresh table in DynamoDB Local with a store and configuration for it.
pub struct TestApi {
    pub store: Store,
    pub config: Config,
    pub requests: RequestCounter,
}

/// The DynamoDB Local endpoint the test command started. Without it the tests fail:
/// they never skip.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_else(|_| {
        panic!(
            "AWS_ENDPOINT_URL_DYNAMODB is not set, so there is no DynamoDB Local to test against: \
             run the tests with `make test` (or scripts/with-dynamodb-local cargo test)"
        )
    })
}

/// A store of `table` at `endpoint`, counting its requests.
pub async fn store(endpoint: &str, table: &str, requests: &RequestCounter) -> Store {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(1))
        .operation_timeout(std::time::Duration::from_secs(10));
    let sdk = sdk_config(endpoint, timeouts).await;
    Store::with_connector(&sdk, requests.counting(Store::connector(&sdk)), table)
}

/// A store of `table` at `endpoint` that gives up on a request after `attempt_timeout`.
pub async fn impatient_store(endpoint: &str, table: &str, attempt_timeout: std::time::Duration) -> Store {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(1))
        .operation_attempt_timeout(attempt_timeout);
    Store::new(&sdk_config(endpoint, timeouts).await, table)
}

async fn sdk_config(endpoint: &str, timeouts: aws_config::timeout::TimeoutConfigBuilder) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .timeout_config(timeouts.build())
        .load()
        .await
}

impl TestApi {
    /// A new, uniquely named table, billed in UTC with the shipped tariffs.
    pub async fn new(name: &str) -> TestApi {
        TestApi::with_zone(name, "UTC").await
    }

    pub async fn with_zone(name: &str, zone: &str) -> TestApi {
        // The handlers' log lines, shown for failing tests.
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let endpoint = endpoint();
        let requests = RequestCounter::default();
        let table = format!("test-{name}-{:08x}", fastrand::u32(..));
        let store = store(&endpoint, &table, &requests).await;
        create_table(store.client(), &table)
            .await
            .unwrap_or_else(|e| panic!("cannot create a table in DynamoDB Local at {endpoint}: {e:?}"));
        let config = Config::from_lookup(|var| match var {
            "TABLE_NAME" => Some(table.clone()),
            "BILLING_TIMEZONE" => Some(zone.to_owned()),
            _ => None,
        })
        .unwrap();
        TestApi { store, config, requests }
    }

    /// Sends a request to the function that serves its route.
    pub async fn send(&self, request: Request) -> Response<Body> {
        let path = request.uri().path();
        let bills = [
            "/v1/bills",
            "/api/v1/get_phone_bill",
            "/billing/",
            "/v1/telephony/bill-report",
            "/call_records/telephone_bill",
        ];
        let function = if bills.iter().any(|p| path.starts_with(p)) { "bills" } else { "call-records" };
        match function {
            "bills" => bills::handle(&self.store, &self.config, request).await,
            _ => call_records::handle(&self.store, &self.config, request).await,
        }
        .expect("handlers answer every request with a response")
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        reply(self.send(request("POST", path, &[], Some(&body.to_string()), &[])).await)
    }

    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        reply(self.send(get(path_and_query)).await)
    }
}

/// Status and JSON body of a response.
pub fn reply(response: Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body().as_ref())
        .unwrap_or_else(|e| panic!("status {status}: the body is not JSON ({e}): {:?}", response.body()));
    (status, body)
}

/// A GET request; the query string is split into parameters as API Gateway does.
pub fn get(path_and_query: &str) -> Request {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let params: Vec<(&str, &str)> =
        query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    request("GET", path, &params, None, &[])
}

/// An API Gateway HTTP API (payload 2.0) event, read by lambda_http as the Lambda
/// runtime reads it.
pub fn request(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Request {
    let event = event(method, path, query, body, headers);
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
}

/// The API Gateway HTTP API (payload 2.0) event of a request, as JSON.
pub fn event(method: &str, path: &str, query: &[(&str, &str)], body: Option<&str>, headers: &[(&str, &str)]) -> Value {
    let mut header_map = serde_json::Map::new();
    header_map.insert("content-type".into(), "application/json".into());
    for (name, value) in headers {
        header_map.insert(name.to_ascii_lowercase(), (*value).into());
    }
    // rawQueryString comes percent-encoded, the parameters decoded, as API Gateway sends them.
    let raw_query: Vec<String> =
        query.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
    let mut parameters = serde_json::Map::new();
    for (name, value) in query {
        // API Gateway joins the values of a repeated parameter with commas.
        match parameters.get_mut(*name) {
            Some(Value::String(joined)) => *joined = format!("{joined},{value}"),
            _ => {
                parameters.insert((*name).into(), (*value).into());
            }
        }
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query.join("&"),
        "headers": header_map,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "callbill",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "tests"},
            "requestId": "test",
            "routeKey": "$default",
            "stage": "$default",
            "time": "23/Nov/2026:00:00:00 +0000",
            "timeEpoch": 0
        },
        "isBase64Encoded": false
    });
    if !parameters.is_empty() {
        event["queryStringParameters"] = Value::Object(parameters);
    }
    if let Some(body) = body {
        event["body"] = body.into();
    }
    event
}

/// Every byte but unreserved ASCII as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A POST whose body is not text: API Gateway passes it base64-encoded.
pub fn binary_post(path: &str, body: &[u8]) -> Request {
    use base64::Engine;
    let mut event = event("POST", path, &[], None, &[]);
    event["body"] = base64::engine::general_purpose::STANDARD.encode(body).into();
    event["isBase64Encoded"] = true.into();
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
}

/// Posts `n` completed calls of one subscriber in November 2017, posted in batches by
/// several clients at once. Some share a start instant, to check the call id order.
pub async fn load_calls(api: &Arc<TestApi>, subscriber: &str, n: u64) -> Vec<(DateTime<Utc>, u64, i64)> {
    // Returns (start, call id, price) of each, in bill order.
    let month: DateTime<Utc> = "2017-11-01T00:00:00Z".parse().unwrap();
    let mut rng = fastrand::Rng::with_seed(n);
    let tariffs = callbill::TariffSchedule::default_schedule();
    let mut records = Vec::new();
    let mut expected = Vec::new();
    for call_id in 1..=n {
        let start = month + TimeDelta::seconds(rng.i64(0..28 * 86_400) / 60 * 60);
        let end = start + TimeDelta::seconds(rng.i64(0..7200));
        records.push(json!({"call_id": call_id, "timestamp": start.to_rfc3339(), "source": subscriber, "destination": "2133334444"}));
        records.push(json!({"type": "end", "call_id": call_id, "timestamp": end.to_rfc3339()}));
        let price = callbill::price_call(start, end, tariffs.in_effect_at(start), chrono_tz::Tz::UTC).total.0;
        expected.push((start, call_id, price));
    }
    let batches: Vec<Value> = records.chunks(100).map(|chunk| json!({"records": chunk})).collect();
    let queue = Arc::new(Mutex::new(batches));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (api, queue) = (api.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(batch) = queue.lock().unwrap().pop() else { break };
                let (status, reply) = api.post("/v1/call-records/batch", &batch).await;
                assert_eq!(status, 200);
                assert!(reply["results"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{reply}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    expected.sort();
    expected
}

/// A TCP proxy on 127.0.0.1 in front of `upstream` that can hold back every answer
/// from the moment a write (`TransactWriteItems`) passes: the write reaches DynamoDB
/// and is applied, but its client hears nothing, as when DynamoDB stalls or a
/// connection drops after the write.
#[derive(Debug, Clone)]
pub struct StallingProxy {
    pub url: String,
    state: Arc<Stall>,
}

#[derive(Debug, Default)]
struct Stall {
    /// The next write stalls the answers.
    armed: std::sync::atomic::AtomicBool,
    /// Answers are held back.
    held: std::sync::atomic::AtomicBool,
}

impl StallingProxy {
    pub async fn start(upstream: &str) -> StallingProxy {
        let state = Arc::new(Stall::default());
        let url = tcp_proxy(upstream, state.clone(), None).await;
        StallingProxy { url, state }
    }

    /// Holds back every answer from the next write on, until released.
    pub fn stall_from_next_write(&self) {
        self.state.armed.store(true, Ordering::SeqCst);
    }

    /// Releases the answers `after` they started being held back.
    pub async fn release_after(&self, after: std::time::Duration) {
        while !self.state.held.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        tokio::time::sleep(after).await;
        self.release();
    }

    pub fn release(&self) {
        self.state.armed.store(false, Ordering::SeqCst);
        self.state.held.store(false, Ordering::SeqCst);
    }
}

impl Relay for Stall {
    async fn before(&self, way: Way, bytes: &[u8]) {
        match way {
            Way::Request => {
                let is_write = bytes.windows(17).any(|w| w == b"TransactWriteItem");
                if is_write && self.armed.swap(false, Ordering::SeqCst) {
                    self.held.store(true, Ordering::SeqCst);
                }
            }
            Way::Answer => {
                while self.held.load(Ordering::SeqCst) {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        }
    }
}

/// The middle of `samples` (not empty), which it leaves sorted: the benchmarks' one
/// summary of times and counts.
pub fn median<T: Copy + PartialOrd>(samples: &mut [T]) -> T {
    samples.sort_by(|a, b| a.partial_cmp(b).expect("no sample is NaN"));
    samples[samples.len() / 2]
}

/// How long at least one of `spans` was open: the length of their union. In order
/// of their starts, each span adds what it reaches past the spans before it.
pub fn covered(mut spans: Vec<(std::time::Instant, std::time::Instant)>) -> std::time::Duration {
    spans.sort();
    let mut total = std::time::Duration::ZERO;
    let mut reached: Option<std::time::Instant> = None;
    for (from, to) in spans {
        let from = reached.map_or(from, |reached| reached.max(from));
        total += to.saturating_duration_since(from);
        reached = Some(reached.map_or(to, |reached| reached.max(to)));
    }
    total
}

/// A TCP proxy on 127.0.0.1 in front of `upstream` that holds every request `delay`
/// before passing it on, as a DynamoDB farther away would: the benchmarks' stand-in
/// for a real network's round trip. A new connection's first bytes wait one `delay`
/// more before the proxy reads them, as a client waits a round trip for TCP's
/// handshake before it can send (TLS's, which DynamoDB also needs, is left out).
/// So the first request over a connection that the function did not open at init
/// pays for opening it, as it would on AWS.
///
/// The function's connection is new to the proxy as it would be to DynamoDB, whose
/// front end then passes its requests on over connections that serve others all the
/// time; so the proxy passes a connection's requests on over an upstream connection
/// it used before, once that one's client closed with every request answered.
/// DynamoDB Local answers the first requests on a new connection more slowly
/// (docs/benchmark-investigations.md has the figures, with and without the reuse).
pub async fn delay_proxy(upstream: &str, delay: std::time::Duration) -> DelayProxy {
    let delay = Arc::new(Delay { delay, exchanges: Mutex::default() });
    let idle = Arc::new(IdleUpstreams::default());
    DelayProxy { url: tcp_proxy(upstream, delay.clone(), Some(idle)).await, delay }
}

/// A [`delay_proxy`]: its URL, how long it has held the requests so far, and when
/// each went through it.
pub struct DelayProxy {
    pub url: String,
    delay: Arc<Delay>,
}

impl DelayProxy {
    /// The median time a request was held, to show the delay is the one asked for.
    pub fn median_hold(&self) -> std::time::Duration {
        let mut held: Vec<_> = self.exchanges().iter().flatten().map(Exchange::held).collect();
        if held.is_empty() { std::time::Duration::ZERO } else { median(&mut held) }
    }

    /// Each connection's exchanges so far, connections in the order they were
    /// opened: what a request's time is made of on either side of the function.
    pub fn exchanges(&self) -> Vec<Vec<Exchange>> {
        self.delay.exchanges.lock().unwrap().values().cloned().collect()
    }
}

struct Delay {
    delay: std::time::Duration,
    exchanges: Mutex<std::collections::BTreeMap<u64, Vec<Exchange>>>,
}

/// One request and its answer through a [`tcp_proxy`], on this process's clock.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    /// The request's first bytes came in.
    pub arrived: std::time::Instant,
    /// Its last bytes were passed on (after the hold).
    pub passed: std::time::Instant,
    /// The answer's first bytes came back.
    pub answered: std::time::Instant,
    /// They were passed back.
    pub relayed: std::time::Instant,
}

impl Exchange {
    /// From coming in to being passed on: the hold.
    pub fn held(&self) -> std::time::Duration {
        self.passed - self.arrived
    }

    /// From being passed on to the answer: the upstream's part.
    pub fn upstream(&self) -> std::time::Duration {
        self.answered - self.passed
    }

    /// From the answer to passing it back: the proxy's own part.
    pub fn relay(&self) -> std::time::Duration {
        self.relayed - self.answered
    }
}

impl Relay for Delay {
    async fn opened(&self) {
        sleep_precisely(self.delay).await;
    }

    async fn before(&self, way: Way, _: &[u8]) {
        if way == Way::Request {
            sleep_precisely(self.delay).await;
        }
    }

    fn exchanged(&self, connection: u64, exchange: Exchange) {
        self.exchanges.lock().unwrap().entry(connection).or_default().push(exchange);
    }
}

/// Waits `delay` to within about a tenth of a millisecond. Tokio's timer counts
/// whole milliseconds and rounds up (a 5 ms sleep took 6.1 ms), so it sleeps all
/// but the last two milliseconds and a thread of the blocking pool sleeps the rest.
pub async fn sleep_precisely(delay: std::time::Duration) {
    const TIMER_SLACK: std::time::Duration = std::time::Duration::from_millis(2);
    let until = std::time::Instant::now() + delay;
    tokio::time::sleep(delay.saturating_sub(TIMER_SLACK)).await;
    let rest = until.saturating_duration_since(std::time::Instant::now());
    tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await.expect("a sleep does not panic");
}

/// A [`tcp_proxy`]'s upstream connections that no client holds.
#[derive(Default)]
struct IdleUpstreams(Mutex<Vec<tokio::net::TcpStream>>);

impl IdleUpstreams {
    /// The one put back last that the upstream has not closed and that holds no
    /// unread bytes (of an answer its last client did not wait for).
    fn take(&self) -> Option<tokio::net::TcpStream> {
        let mut idle = self.0.lock().unwrap();
        while let Some(upstream) = idle.pop() {
            let unread = upstream.try_read(&mut [0; 1]);
            if unread.is_err_and(|error| error.kind() == std::io::ErrorKind::WouldBlock) {
                return Some(upstream);
            }
        }
        None
    }

    fn put(&self, upstream: tokio::net::TcpStream) {
        self.0.lock().unwrap().push(upstream);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Which way bytes go through a [`tcp_proxy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Request,
    Answer,
}

/// What a [`tcp_proxy`] does when a client connects and before it passes on each
/// chunk of bytes, and what it is told of each answer.
trait Relay: Send + Sync + 'static {
    /// A client's connection was opened; its bytes are read once this is done.
    fn opened(&self) -> impl std::future::Future<Output = ()> + Send {
        async {}
    }

    fn before(&self, way: Way, bytes: &[u8]) -> impl std::future::Future<Output = ()> + Send;

    /// A request on `connection` (numbered from 0 as they are opened) went through,
    /// and the first bytes of its answer came back.
    fn exchanged(&self, _connection: u64, _exchange: Exchange) {}
}

/// A TCP proxy on 127.0.0.1 in front of `upstream`, each connection to its own
/// upstream connection, with `relay` before every chunk; returns its URL. With
/// `reuse`, a connection's upstream leg, once its client has closed with every
/// request answered, waits there to carry a later connection's requests.
async fn tcp_proxy<R: Relay>(upstream: &str, relay: Arc<R>, reuse: Option<Arc<IdleUpstreams>>) -> String {
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    /// One connection's relay, and how far its current exchange has gone.
    struct Connection<R> {
        number: u64,
        relay: Arc<R>,
        exchange: Mutex<Partial>,
    }
    #[derive(Default)]
    struct Partial {
        arrived: Option<std::time::Instant>,
        passed: Option<std::time::Instant>,
        answered: Option<std::time::Instant>,
    }
    async fn pass<R: Relay>(
        from: &mut (impl AsyncRead + Unpin),
        to: &mut (impl AsyncWrite + Unpin),
        connection: &Connection<R>,
        way: Way,
    ) -> std::io::Result<()> {
        let mut buffer = vec![0; 256 * 1024];
        loop {
            let n = from.read(&mut buffer).await?;
            if n == 0 {
                return Ok(());
            }
            let now = std::time::Instant::now();
            match way {
                Way::Request => _ = connection.exchange.lock().unwrap().arrived.get_or_insert(now),
                Way::Answer => _ = connection.exchange.lock().unwrap().answered.get_or_insert(now),
            }
            connection.relay.before(way, &buffer[..n]).await;
            to.write_all(&buffer[..n]).await?;
            let now = std::time::Instant::now();
            let mut partial = connection.exchange.lock().unwrap();
            match (way, &*partial) {
                (Way::Request, _) => partial.passed = Some(now),
                (Way::Answer, &Partial { arrived: Some(arrived), passed: Some(passed), answered: Some(answered) }) => {
                    let exchange = Exchange { arrived, passed, answered, relayed: now };
                    *partial = Partial::default();
                    connection.relay.exchanged(connection.number, exchange);
                }
                // Later bytes of an answer already passed back.
                (Way::Answer, _) => partial.answered = None,
            }
        }
    }
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut opened = 0;
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, reuse) = (upstream.clone(), reuse.clone());
            let connection = Connection { number: opened, relay: relay.clone(), exchange: Mutex::default() };
            opened += 1;
            tokio::spawn(async move {
                // The client's handshake comes first: no upstream connection is
                // taken from the idle ones, or opened, while it lasts.
                connection.relay.opened().await;
                let reused = reuse.as_ref().and_then(|idle| idle.take());
                let server = match reused {
                    Some(server) => server,
                    None => match tokio::net::TcpStream::connect(&upstream).await {
                        Ok(server) => server,
                        Err(_) => return,
                    },
                };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let mut requests = Box::pin(pass(&mut client_read, &mut server_write, &connection, Way::Request));
                let mut answers = Box::pin(pass(&mut server_read, &mut client_write, &connection, Way::Answer));
                // Whether the client closed its end cleanly, once either side has.
                let client_closed = tokio::select! {
                    closed = &mut requests => Some(closed.is_ok()),
                    _ = &mut answers => None,
                };
                let Some(cleanly) = client_closed else {
                    let _ = requests.await;
                    return;
                };
                drop(requests);
                // An exchange is cleared once its answer is passed back.
                let every_request_answered = connection.exchange.lock().unwrap().arrived.is_none();
                if let Some(idle) = reuse.filter(|_| cleanly && every_request_answered) {
                    drop(answers);
                    idle.put(server_read.reunite(server_write).expect("the halves of one stream"));
                } else {
                    // Closed as the client closed: the upstream sees the end of its requests.
                    let _ = server_write.shutdown().await;
                    let _ = answers.await;
                }
            });
        }
    });
    url
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::{Delay, IdleUpstreams, Relay, Way, covered, delay_proxy, tcp_proxy};

    #[test]
    fn covered_counts_overlapping_spans_once() {
        let origin = Instant::now();
        let at = |ms: u64| origin + Duration::from_millis(ms);
        let cases: [(&[(u64, u64)], u64); 6] = [
            (&[], 0),
            (&[(0, 5)], 5),
            (&[(0, 5), (10, 12)], 7),
            (&[(0, 5), (3, 8)], 8),
            (&[(2, 9), (0, 5), (3, 4)], 9),
            (&[(0, 5), (5, 7), (20, 21)], 8),
        ];
        for (spans, expected) in cases {
            let instants = spans.iter().map(|&(from, to)| (at(from), at(to))).collect();
            assert_eq!(covered(instants), Duration::from_millis(expected), "{spans:?}");
        }
    }

    #[tokio::test]
    async fn a_connection_waits_once_for_its_opening_before_its_first_bytes_are_read() {
        struct Events(Mutex<Vec<&'static str>>);
        impl Relay for Events {
            async fn opened(&self) {
                self.0.lock().unwrap().push("opened");
            }
            async fn before(&self, way: Way, _: &[u8]) {
                self.0.lock().unwrap().push(if way == Way::Request { "request" } else { "answer" });
            }
        }
        let (upstream_address, _) = upstream().await;
        let events = Arc::new(Events(Mutex::default()));
        let url = tcp_proxy(&upstream_address, events.clone(), None).await;
        let address = url.trim_start_matches("http://").to_owned();
        for requests in [2, 1] {
            let mut client = tokio::net::TcpStream::connect(&address).await.unwrap();
            for _ in 0..requests {
                client.write_all(b"request").await.unwrap();
                let mut answer = [0; 6];
                client.read_exact(&mut answer).await.unwrap();
            }
        }
        let expected = ["opened", "request", "answer", "request", "answer", "opened", "request", "answer"];
        assert_eq!(*events.0.lock().unwrap(), expected);

        // Through the delay proxy, a connection's first answer comes a round trip
        // for the opening and one for the request after the request was sent.
        let delay = Duration::from_millis(50);
        let proxy = delay_proxy(&upstream_address, delay).await;
        let mut client = tokio::net::TcpStream::connect(proxy.url.trim_start_matches("http://")).await.unwrap();
        let sent = std::time::Instant::now();
        client.write_all(b"request").await.unwrap();
        client.read_exact(&mut [0; 6]).await.unwrap();
        assert!(sent.elapsed() >= 2 * delay, "answered {:?} after the request was sent", sent.elapsed());
    }

    #[tokio::test]
    async fn the_delay_proxy_passes_a_connection_on_over_an_upstream_one_only_once_its_requests_are_answered() {
        let (upstream, counts) = upstream().await;
        let idle = Arc::new(IdleUpstreams::default());
        let relay = Arc::new(Delay { delay: Duration::ZERO, exchanges: Default::default() });
        let url = tcp_proxy(&upstream, relay, Some(idle.clone())).await;
        let address = url.trim_start_matches("http://").to_owned();
        // Each client sends one request and closes; then the upstream's connections so far.
        let cases: [(&[u8], usize); 5] =
            [(b"first", 1), (b"second", 1), (b"unanswered", 1), (b"after the unanswered one", 2), (b"last", 2)];
        for (request, connections) in cases {
            let (reads, closes) = (counts.read.load(Ordering::SeqCst), counts.closed.load(Ordering::SeqCst));
            let mut client = tokio::net::TcpStream::connect(&address).await.unwrap();
            client.write_all(request).await.unwrap();
            let answered = request != b"unanswered";
            if answered {
                let mut answer = [0; 6];
                client.read_exact(&mut answer).await.unwrap();
                assert_eq!(&answer, b"answer");
            } else {
                until("the upstream read the request", || counts.read.load(Ordering::SeqCst) > reads).await;
            }
            drop(client);
            // The proxy has seen the close: it put the upstream connection back, or
            // closed it.
            if answered {
                until("the proxy put the upstream connection back", || idle.len() == 1).await;
            } else {
                until("the proxy closed the upstream connection", || counts.closed.load(Ordering::SeqCst) > closes)
                    .await;
            }
            let request = String::from_utf8_lossy(request);
            assert_eq!(counts.accepted.load(Ordering::SeqCst), connections, "after {request:?}");
        }
    }

    /// What [`upstream`] has seen: connections accepted, requests read, connections closed.
    #[derive(Default)]
    struct Counts {
        accepted: AtomicUsize,
        read: AtomicUsize,
        closed: AtomicUsize,
    }

    /// An upstream on 127.0.0.1 that answers "answer" to every request but
    /// "unanswered"; its address, and what it has seen.
    async fn upstream() -> (String, Arc<Counts>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let counts = Arc::new(Counts::default());
        let upstream_counts = counts.clone();
        tokio::spawn(async move {
            while let Ok((mut connection, _)) = listener.accept().await {
                upstream_counts.accepted.fetch_add(1, Ordering::SeqCst);
                let counts = upstream_counts.clone();
                tokio::spawn(async move {
                    let mut request = [0; 64];
                    while let Ok(n @ 1..) = connection.read(&mut request).await {
                        counts.read.fetch_add(1, Ordering::SeqCst);
                        if &request[..n] != b"unanswered" {
                            connection.write_all(b"answer").await.unwrap();
                        }
                    }
                    counts.closed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        (address, counts)
    }

    /// Waits until `holds` does, for 10 s at most.
    async fn until(what: &str, holds: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !holds() {
            assert!(Instant::now() < deadline, "not within 10 s: {what}");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
