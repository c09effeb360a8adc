//! Every ingestion rule of SPEC §2 through the in-memory store: replays, conflicts
//! and their precedence, order-free completion, assigned call ids, and a race of
//! tokio tasks. The same rules run against DynamoDB Local in `tests/`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::memory::MemoryStore;
use super::*;
use crate::call::CallStatus;
use crate::ids::MAX_ID;
use crate::money::Cents;
use crate::pricing::price_call;
use crate::record::parse_record;

fn now() -> DateTime<Utc> {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

async fn post(store: &MemoryStore, body: Value) -> Result<Ingested, ErrorCode> {
    let tariffs = TariffSchedule::default_schedule();
    let record = parse_record(&body, now(), Tz::UTC).map_err(|e| e.code)?;
    ingest(store, record, &tariffs, Tz::UTC).await.map_err(|e| e.code)
}

async fn status(store: &MemoryStore, body: Value) -> Result<u16, ErrorCode> {
    post(store, body).await.map(|ingested| ingested.status())
}

fn start(id: u64, call_id: u64, at: &str) -> Value {
    json!({"id": id, "type": "start", "call_id": call_id, "timestamp": at, "source": "99988526423", "destination": "9993468278"})
}

fn end(id: u64, call_id: u64, at: &str) -> Value {
    json!({"id": id, "type": "end", "call_id": call_id, "timestamp": at})
}

#[tokio::test]
async fn each_conflict_has_its_code_and_changes_nothing() {
    let store = MemoryStore::default();
    assert_eq!(status(&store, start(1, 10, "2017-12-12T15:07:13Z")).await, Ok(201));
    assert_eq!(status(&store, end(2, 10, "2017-12-12T15:14:56Z")).await, Ok(201));
    let before = store.call(CallId(10)).unwrap();

    let mut no_id = end(0, 10, "2017-12-12T15:20:00Z");
    no_id.as_object_mut().unwrap().remove("id");
    let cases = [
        // The same id and call with other fields.
        (start(1, 10, "2017-12-12T15:07:14Z"), ErrorCode::DuplicateRecord),
        (end(2, 10, "2017-12-12T15:14:57Z"), ErrorCode::DuplicateRecord),
        // Another start or end for the call.
        (start(3, 10, "2017-12-12T15:07:13Z"), ErrorCode::CallAlreadyStarted),
        (end(4, 10, "2017-12-12T15:20:00Z"), ErrorCode::CallAlreadyEnded),
        (no_id, ErrorCode::CallAlreadyEnded),
        // A record id that belongs to another record.
        (start(1, 11, "2017-12-12T15:07:13Z"), ErrorCode::RecordIdTaken),
        (end(1, 13, "2017-12-12T15:14:56Z"), ErrorCode::RecordIdTaken),
        // A call's own records are checked first: id 1 is taken too, but the call has its end.
        (end(1, 10, "2017-12-12T15:14:56Z"), ErrorCode::CallAlreadyEnded),
        // The same for a start, whose first write does not read the call: id 2 is the end's.
        (start(2, 10, "2017-12-12T15:00:00Z"), ErrorCode::CallAlreadyStarted),
    ];
    for (body, code) in cases {
        assert_eq!(status(&store, body.clone()).await, Err(code), "{body}");
    }
    // Replays answer 200 with the stored record.
    let replay = post(&store, start(1, 10, "2017-12-12T15:07:13Z")).await.unwrap();
    assert_eq!(
        (replay.status(), serde_json::to_value(replay.record()).unwrap()),
        (200, start(1, 10, "2017-12-12T15:07:13Z"))
    );
    assert_eq!(status(&store, end(2, 10, "2017-12-12T15:14:56Z")).await, Ok(200));

    assert_eq!(store.call(CallId(10)).unwrap(), before, "nothing changed");
    assert_eq!(store.summary("99988526423", "2017-12"), (1, Cents(99)), "the call is billed once");
    // The record ids refused above were not reserved by the failed attempts.
    assert_eq!(status(&store, start(3, 12, "2017-12-12T16:00:00Z")).await, Ok(201));
    assert_eq!(status(&store, end(4, 13, "2017-12-12T16:00:00Z")).await, Ok(201));
}

#[tokio::test]
async fn an_end_earlier_than_its_start_is_refused_in_either_order() {
    let store = MemoryStore::default();
    assert_eq!(status(&store, start(1, 20, "2017-12-12T15:07:13Z")).await, Ok(201));
    assert_eq!(status(&store, end(2, 20, "2017-12-12T15:07:12Z")).await, Err(ErrorCode::EndBeforeStart));
    assert_eq!(store.call(CallId(20)).unwrap().state.status(), Some(CallStatus::Started));
    // The refused record's id stays free; an end at the start instant is a call of no length.
    assert_eq!(status(&store, end(2, 20, "2017-12-12T15:07:13Z")).await, Ok(201));

    assert_eq!(status(&store, end(3, 21, "2017-12-12T15:00:00Z")).await, Ok(201));
    assert_eq!(status(&store, start(4, 21, "2017-12-12T15:00:01Z")).await, Err(ErrorCode::EndBeforeStart));
    assert_eq!(store.call(CallId(21)).unwrap().state.status(), Some(CallStatus::EndedWithoutStart));
}

#[tokio::test]
async fn a_call_lasts_at_most_92_days_whichever_record_arrives_second() {
    let store = MemoryStore::default();
    // Exactly 92 days is accepted.
    assert_eq!(status(&store, start(1, 40, "2017-01-01T00:00:00Z")).await, Ok(201));
    assert_eq!(status(&store, end(2, 40, "2017-04-03T00:00:00Z")).await, Ok(201));
    // One second more is refused, in either order, and nothing of it is stored.
    assert_eq!(status(&store, start(3, 41, "2017-01-01T00:00:00Z")).await, Ok(201));
    assert_eq!(status(&store, end(4, 41, "2017-04-03T00:00:01Z")).await, Err(ErrorCode::CallTooLong));
    assert_eq!(store.call(CallId(41)).unwrap().state.status(), Some(CallStatus::Started));
    assert_eq!(status(&store, end(5, 42, "2023-01-01T00:00:00Z")).await, Ok(201));
    assert_eq!(status(&store, start(6, 42, "2017-01-01T00:00:00Z")).await, Err(ErrorCode::CallTooLong));
    assert_eq!(store.call(CallId(42)).unwrap().state.status(), Some(CallStatus::EndedWithoutStart));
    // 92 days of 960 standard minutes at 9 cents, plus the standing charge.
    assert_eq!(
        store.summary("99988526423", "2017-04"),
        (1, Cents(92 * 960 * 9 + 36)),
        "only the 92-day call is billed"
    );
    // The refused records' ids stay free.
    assert_eq!(status(&store, end(4, 41, "2017-01-01T00:10:00Z")).await, Ok(201));
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_found_or_reported_as_maybe_stored() {
    let store = MemoryStore::default();
    assert_eq!(status(&store, start(1, 50, "2017-12-12T15:07:13Z")).await, Ok(201));
    // Applied, answer lost, found on reading the call again: the truth is 201.
    store.lose_answers(1, 0);
    assert_eq!(status(&store, end(2, 50, "2017-12-12T15:14:56Z")).await, Ok(201));
    store.lose_answers(1, 0);
    let anonymous = json!({"source": "11991232344", "destination": "11994345337", "timestamp": "2017-12-12T15:00:00Z"});
    assert_eq!(status(&store, anonymous).await, Ok(201));
    assert_eq!(store.calls().len(), 2, "the start without call_id opened one call");
    // Applied, answer lost, and the call cannot be read: maybe stored, and it says so.
    assert_eq!(status(&store, start(3, 51, "2017-12-12T15:07:13Z")).await, Ok(201));
    store.lose_answers(1, 1);
    let tariffs = TariffSchedule::default_schedule();
    let record = parse_record(&end(4, 51, "2017-12-12T15:14:56Z"), now(), Tz::UTC).unwrap();
    let error = ingest(&store, record, &tariffs, Tz::UTC).await.unwrap_err();
    assert_eq!((error.code, error.retry_after), (ErrorCode::Unavailable, Some(1)));
    assert!(error.message.contains("may have been stored"), "{}", error.message);
    // It was; the resend is a replay, and each call is billed once.
    assert_eq!(status(&store, end(4, 51, "2017-12-12T15:14:56Z")).await, Ok(200));
    assert_eq!(store.summary("99988526423", "2017-12"), (2, Cents(2 * 99)));
    // An unreadable call before any write: nothing was written, and it says that.
    store.fail_reads(1);
    let error =
        ingest(&store, parse_record(&end(6, 52, "2017-12-12T15:14:56Z"), now(), Tz::UTC).unwrap(), &tariffs, Tz::UTC)
            .await
            .unwrap_err();
    assert!(error.message.contains("nothing was written"), "{}", error.message);
}

#[tokio::test]
async fn records_complete_their_call_in_any_order_priced_once() {
    let sample: Value = serde_json::from_str(include_str!("../../../tests/fixtures/sample-calls.json")).unwrap();
    let records = sample["records"].as_array().unwrap().clone();
    let mut shuffled = records.clone();
    fastrand::Rng::with_seed(7).shuffle(&mut shuffled);
    let twice: Vec<Value> = records.iter().flat_map(|r| [r.clone(), r.clone()]).collect();
    for order in [records.clone(), records.iter().rev().cloned().collect(), shuffled, twice] {
        let store = MemoryStore::default();
        let mut seen = std::collections::HashSet::new();
        for record in order {
            let ingested = post(&store, record.clone()).await.unwrap();
            let expected = if seen.insert(record["id"].clone()) { 201 } else { 200 };
            assert_eq!(ingested.status(), expected, "{record}");
            assert_eq!(serde_json::to_value(ingested.record()).unwrap(), record, "canonical form");
        }
        for want in sample["calls"].as_array().unwrap() {
            let call = store.call(CallId(want["call_id"].as_u64().unwrap())).unwrap();
            let charge = call.state.charge.expect("completed");
            assert_eq!(json!(charge.price), want["price_cents"]);
            assert_eq!(json!(charge.duration.seconds()), want["duration_seconds"]);
        }
        assert_eq!(store.summary("99988526423", "2017-12"), (6, Cents(9081)));
    }
}

#[tokio::test]
async fn the_server_assigns_call_ids_and_a_resent_start_is_a_replay() {
    let store = MemoryStore::default();
    let body =
        json!({"id": 500, "source": "11991232344", "destination": "11994345337", "timestamp": "2026-11-23T11:00:00Z"});
    let created = post(&store, body.clone()).await.unwrap();
    assert_eq!(created.status(), 201);
    let call_id = created.record().call_id;
    assert!(ASSIGNED_CALL_IDS.contains(&call_id.0) && call_id.0 <= MAX_ID);
    let again = post(&store, body).await.unwrap();
    assert_eq!((again.status(), again.record()), (200, created.record()));

    // The same record id on another start is taken, not a replay.
    let other =
        json!({"id": 500, "source": "11991232344", "destination": "2133334444", "timestamp": "2026-11-23T11:00:00Z"});
    assert_eq!(status(&store, other).await, Err(ErrorCode::RecordIdTaken));
    // The id of an end cannot open a new call either.
    assert_eq!(status(&store, end(501, call_id.0, "2026-11-23T11:10:00Z")).await, Ok(201));
    let reuse = json!({"id": 501, "source": "11991232344", "destination": "11994345337"});
    assert_eq!(status(&store, reuse).await, Err(ErrorCode::RecordIdTaken));

    // An end without timestamp is stamped on receipt; its retry is a replay.
    assert_eq!(status(&store, start(600, 77, "2026-11-23T11:00:00Z")).await, Ok(201));
    let stamped = json!({"id": 601, "type": "end", "call_id": 77});
    assert_eq!(status(&store, stamped.clone()).await, Ok(201));
    assert_eq!(status(&store, stamped).await, Ok(200));

    // Two starts without call_id or id are two calls.
    let anonymous = json!({"source": "11991232344", "destination": "11994345337"});
    let (first, second) = (post(&store, anonymous.clone()).await.unwrap(), post(&store, anonymous).await.unwrap());
    assert_ne!(first.record().call_id, second.record().call_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_tasks_store_each_record_once_and_price_each_call_once() {
    const CALLS: u64 = 300;
    let store = Arc::new(MemoryStore::default());
    let mut rng = fastrand::Rng::with_seed(2017);
    let month: DateTime<Utc> = "2017-12-01T00:00:00Z".parse().unwrap();
    let tariffs = TariffSchedule::default_schedule();
    let mut expected = HashMap::new();
    let mut posts = Vec::new();
    for call_id in 1..=CALLS {
        let start_at = month + TimeDelta::seconds(rng.i64(0..25 * 86_400));
        let end_at = start_at + TimeDelta::seconds(rng.i64(0..3 * 3600));
        let start_record = json!({"id": 2 * call_id - 1, "call_id": call_id, "timestamp": start_at.to_rfc3339(),
                                  "source": "11991230001", "destination": "2133334444"});
        let end_record =
            json!({"id": 2 * call_id, "type": "end", "call_id": call_id, "timestamp": end_at.to_rfc3339()});
        posts.extend([start_record.clone(), start_record, end_record.clone(), end_record]);
        expected.insert(CallId(call_id), price_call(start_at, end_at, tariffs.in_effect_at(start_at), Tz::UTC).total);
    }
    rng.shuffle(&mut posts);
    let tasks: Vec<_> = posts
        .chunks(posts.len() / 16)
        .map(|chunk| {
            let (store, chunk) = (store.clone(), chunk.to_vec());
            tokio::spawn(async move {
                let mut created = Vec::new();
                for record in chunk {
                    let ingested = post(&store, record.clone()).await.unwrap_or_else(|e| panic!("{record}: {e}"));
                    if ingested.status() == 201 {
                        created.push(record["id"].as_u64().unwrap());
                    }
                }
                created
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        created.extend(task.await.unwrap());
    }
    created.sort_unstable();
    assert_eq!(created, (1..=2 * CALLS).collect::<Vec<_>>(), "every record stored exactly once");
    let calls = store.calls();
    assert_eq!(calls.len() as u64, CALLS);
    for call in calls {
        let charge = call.state.charge.expect("every call completed");
        let call_id = call.state.start.unwrap().call_id;
        assert_eq!(charge.price, expected[&call_id], "call {call_id}");
    }
    let total: Cents = expected.values().copied().sum();
    assert_eq!(store.summary("11991230001", "2017-12"), (CALLS, total), "each call counted once");
}
