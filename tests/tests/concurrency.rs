//! Many writers racing on the same calls: every call priced exactly once (SPEC §2).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use callbill::{PhoneNumber, TariffSchedule, price_call};
use callbill_tests::TestApi;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde_json::json;

const CALLS: u64 = 500;
const TASKS: usize = 32;
const SUBSCRIBERS: [&str; 4] = ["11991230001", "11991230002", "11991230003", "11991230004"];

struct Call {
    subscriber: &'static str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_starts_ends_and_replays_price_every_call_once() {
    let api = Arc::new(TestApi::new("race").await);
    let mut rng = fastrand::Rng::with_seed(2017);
    let month_start: DateTime<Utc> = "2017-12-01T00:00:00Z".parse().unwrap();
    let mut calls = HashMap::new();
    let mut posts = Vec::new();
    for call_id in 1..=CALLS {
        let start = month_start + TimeDelta::seconds(rng.i64(0..25 * 86_400));
        let end = start + TimeDelta::seconds(rng.i64(0..3 * 3600));
        let subscriber = SUBSCRIBERS[rng.usize(..SUBSCRIBERS.len())];
        let start_record = json!({"id": 2 * call_id - 1, "call_id": call_id, "timestamp": start.to_rfc3339(),
                                  "source": subscriber, "destination": "2133334444"});
        let end_record = json!({"id": 2 * call_id, "type": "END", "call_id": call_id.to_string(),
                                "timestamp": end.to_rfc3339()});
        // Each record twice: one must be stored, the other must be a replay.
        posts.extend([start_record.clone(), start_record, end_record.clone(), end_record]);
        calls.insert(call_id, Call { subscriber, start, end });
    }
    rng.shuffle(&mut posts);

    let queue = Arc::new(Mutex::new(posts));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (api, queue) = (api.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            loop {
                let Some(record) = queue.lock().unwrap().pop() else { break };
                let (status, body) = api.post("/v1/call-records", &record).await;
                statuses.push((record["id"].as_u64().unwrap(), status, body));
            }
            statuses
        }));
    }
    let mut created: HashMap<u64, usize> = HashMap::new();
    for task in tasks {
        for (id, status, body) in task.await.unwrap() {
            assert!(status == 201 || status == 200, "record {id}: {status} {body}");
            if status == 201 {
                *created.entry(id).or_default() += 1;
            }
        }
    }
    assert_eq!(created.len() as u64, 2 * CALLS, "every record stored");
    assert!(created.values().all(|&n| n == 1), "no record stored twice");

    let tariffs = TariffSchedule::default_schedule();
    let mut expected_totals: HashMap<&str, (u64, i64)> = HashMap::new();
    for (call_id, call) in &calls {
        let price = price_call(call.start, call.end, tariffs.in_effect_at(call.start), Tz::UTC).total.0;
        let (status, stored) = api.get(&format!("/v1/calls/{call_id}")).await;
        assert_eq!((status, stored["status"].as_str()), (200, Some("completed")), "{stored}");
        assert_eq!(stored["price_cents"], json!(price), "call {call_id}");
        let total = expected_totals.entry(call.subscriber).or_default();
        *total = (total.0 + 1, total.1 + price);
    }
    for subscriber in SUBSCRIBERS {
        let number: PhoneNumber = subscriber.parse().unwrap();
        let (count, total) = api.store.bill_summary(&number, "2017-12".parse().unwrap()).await.unwrap();
        assert_eq!((count, total.0), expected_totals[subscriber], "{subscriber}: each call counted exactly once");
    }
}
