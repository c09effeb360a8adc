//! The bill load run (issue 4): one subscriber-month of 10,000 calls, fetched whole
//! (`limit=1000`, following `next_cursor`) through the bills handler from DynamoDB
//! Local, several times. Prints the median time, the process CPU time (the handler,
//! the SDK and JSON; DynamoDB Local runs in its own process) and the DynamoDB
//! requests. Run it with `make bench-bill`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use callbill_tests::{TestApi, load_calls};
use cpu_time::ProcessTime;

const CALLS: u64 = 10_000;
const RUNS: usize = 7;
const SUBSCRIBER: &str = "21912345678";

#[tokio::main]
async fn main() {
    let api = Arc::new(TestApi::new("bench-bill").await);
    let loading = Instant::now();
    let expected = load_calls(&api, SUBSCRIBER, CALLS).await;
    println!("loaded {CALLS} calls ({} records) in {:.1?}", 2 * CALLS, loading.elapsed());

    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..RUNS {
        let (started, cpu_started, before) = (Instant::now(), ProcessTime::now(), api.requests.get());
        let mut cursor: Option<String> = None;
        let mut lines = 0;
        loop {
            let query = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let (status, page) = api.get(&format!("/v1/bills/{SUBSCRIBER}?period=2017-11&limit=1000{query}")).await;
            assert_eq!(status, 200, "{page}");
            lines += page["calls"].as_array().unwrap().len();
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(lines, expected.len());
        wall.push(started.elapsed());
        cpu.push(cpu_started.elapsed());
        requests.push(api.requests.get() - before);
    }
    let median = |samples: &mut Vec<Duration>| {
        samples.sort();
        samples[samples.len() / 2]
    };
    let (wall, cpu) = (median(&mut wall), median(&mut cpu));
    println!("bill of {CALLS} calls, {RUNS} runs, limit=1000:");
    println!("  median wall time per whole bill: {wall:.1?} ({:.1?} a page)", wall / 10);
    println!("  median process CPU per whole bill: {cpu:.1?} ({:.2?} per 1,000 lines)", cpu / 10);
    println!("  DynamoDB requests per whole bill: {requests:?} (each page reads its totals and its lines)");
}
