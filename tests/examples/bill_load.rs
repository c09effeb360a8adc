//! The bill load run (issues 4 and 13): one subscriber-month of 10,000 calls, loaded
//! through the call-records handler into DynamoDB Local, then fetched whole
//! (`limit=1000`, following `next_cursor`) from the release bills binary run as
//! Lambda runs it (`callbill_tests::runtime_api`), several times. Prints the median
//! time and the bills function's mean CPU time per whole bill (/proc) and its read
//! capacity units. Run it with `make bench` (or `make bench-bill`), which builds the
//! binary as `sam build` does. `BILLS_BIN` names another binary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use callbill_tests::runtime_api::Function;
use callbill_tests::{TestApi, event, load_calls, median};
use serde_json::Value;

const CALLS: u64 = 10_000;
const RUNS: usize = 20;
const SUBSCRIBER: &str = "21912345678";

#[tokio::main]
async fn main() {
    let binary = std::env::var_os("BILLS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/bills"));
    let api = Arc::new(TestApi::new("bench-bill").await);
    let loading = Instant::now();
    let expected = load_calls(&api, SUBSCRIBER, CALLS).await;
    println!("loaded {CALLS} calls ({} records) in {:.1?}", 2 * CALLS, loading.elapsed());

    let endpoint = callbill_tests::endpoint();
    let table = api.config.table_name.clone();
    let mut function = Function::start(
        &binary,
        "bills",
        &[
            ("TABLE_NAME", &table),
            ("AWS_ENDPOINT_URL_DYNAMODB", &endpoint),
            ("BILLING_TIMEZONE", "UTC"),
            // TestApi's credentials: DynamoDB Local keeps each access key's tables apart.
            ("AWS_ACCESS_KEY_ID", "ANOTREAL"),
            ("AWS_REGION", "us-east-1"),
        ],
    )
    .await;
    function.init_time().await;
    let (mut wall, mut reads) = (Vec::new(), Vec::new());
    // /proc counts CPU in ticks of 10 ms: the runs' total, divided, is the figure.
    let mut cpu = Duration::ZERO;
    for run in 0..=RUNS {
        let (started, cpu_started, capacity) = (Instant::now(), function.cpu_time(), function.capacity().await);
        let mut cursor: Option<String> = None;
        let (mut lines, mut pages) = (0, 0);
        loop {
            let mut query = vec![("period", "2017-11"), ("limit", "1000")];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor));
            }
            let answer = function.invoke(&event("GET", &format!("/v1/bills/{SUBSCRIBER}"), &query, None, &[])).await;
            assert_eq!(answer.response["statusCode"], 200, "{}", answer.response);
            let page: Value = serde_json::from_str(answer.response["body"].as_str().unwrap()).unwrap();
            lines += page["calls"].as_array().unwrap().len();
            pages += 1;
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!((lines, pages), (expected.len(), 10));
        // The first run warms the function and DynamoDB Local; it is not counted.
        if run > 0 {
            wall.push(started.elapsed());
            cpu += function.cpu_time() - cpu_started;
            reads.push(function.capacity().await.read - capacity.read);
        }
    }
    let (wall, cpu) = (median(&mut wall), cpu / RUNS as u32);
    println!("bill of {CALLS} calls, {RUNS} runs, limit=1000, from {}:", binary.display());
    println!("  median wall time per whole bill: {wall:.1?} ({:.1?} a page)", wall / 10);
    println!("  mean bills-function CPU per whole bill: {cpu:.1?} ({:.2?} per 1,000 lines)", cpu / 10);
    println!("  read capacity units per whole bill: {reads:?}");
}
