//! `POST /v1/call-records`, the batch and `GET /v1/calls/{id}` against DynamoDB Local
//! through the real handler (SPEC §2, §3).

use callbill::{Period, PhoneNumber};
use callbill_tests::{TestApi, request, sample};
use serde_json::{Value, json};

fn records() -> Vec<Value> {
    sample()["records"].as_array().unwrap().clone()
}

/// Every call of the data set is completed and priced as the data set says.
async fn assert_sample_calls_priced(api: &TestApi) {
    for want in sample()["calls"].as_array().unwrap() {
        let (status, call) = api.get(&format!("/v1/calls/{}", want["call_id"])).await;
        assert_eq!(status, 200, "{call}");
        assert_eq!(call["status"], "completed", "{call}");
        for key in ["price", "price_cents", "duration", "duration_seconds", "period"] {
            assert_eq!(call[key], want[key], "call {}: {key}", want["call_id"]);
        }
        let segments: i64 =
            call["breakdown"]["segments"].as_array().unwrap().iter().map(|s| s["cents"].as_i64().unwrap()).sum();
        assert_eq!(
            call["breakdown"]["standing_charge"].as_i64().unwrap() + segments,
            want["price_cents"].as_i64().unwrap()
        );
        assert_eq!(call["tariff_id"], "standard-2016");
        assert_eq!(call["start"]["timestamp"], want["start"]);
        assert_eq!(call["end"]["timestamp"], want["end"]);
    }
}

#[tokio::test]
async fn the_sample_posted_in_order_reverse_shuffled_and_twice_is_priced_exactly() {
    let mut shuffled = records();
    fastrand::Rng::with_seed(7).shuffle(&mut shuffled);
    let mut twice: Vec<Value> = records().into_iter().flat_map(|r| [r.clone(), r]).collect();
    twice.extend(records());
    let orders = [
        ("in-order", records()),
        ("reverse", records().into_iter().rev().collect()),
        ("shuffled", shuffled),
        ("twice", twice),
    ];
    for (name, order) in orders {
        let api = TestApi::new(name).await;
        let mut seen = std::collections::HashSet::new();
        for record in &order {
            let (status, body) = api.post("/v1/call-records", record).await;
            let expected = if seen.insert(record["id"].clone()) { 201 } else { 200 };
            assert_eq!(status, expected, "{name}: {record} -> {body}");
            assert_eq!(&body, record, "{name}: the stored record in canonical form");
        }
        assert_sample_calls_priced(&api).await;
        // Each call counted once in its bill summary, whatever the order.
        let subscriber: PhoneNumber = "99988526423".parse().unwrap();
        let (count, total) = api.store.bill_summary(&subscriber, "2017-12".parse::<Period>().unwrap()).await.unwrap();
        assert_eq!((count, total.0), (6, 9081), "{name}");
    }
}

async fn expect_error(api: &TestApi, body: Value, status: u16, code: &str) -> Value {
    let (got, reply) = api.post("/v1/call-records", &body).await;
    assert_eq!((got, reply["error"]["code"].as_str().unwrap_or_default()), (status, code), "{body} -> {reply}");
    assert!(reply["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{reply}");
    reply
}

fn start(id: u64, call_id: u64, at: &str) -> Value {
    json!({"id": id, "type": "start", "call_id": call_id, "timestamp": at, "source": "99988526423", "destination": "9993468278"})
}

fn end(id: u64, call_id: u64, at: &str) -> Value {
    json!({"id": id, "type": "end", "call_id": call_id, "timestamp": at})
}

#[tokio::test]
async fn each_conflict_has_its_code_and_changes_nothing() {
    let api = TestApi::new("conflicts").await;
    assert_eq!(api.post("/v1/call-records", &start(1, 10, "2017-12-12T15:07:13Z")).await.0, 201);
    assert_eq!(api.post("/v1/call-records", &end(2, 10, "2017-12-12T15:14:56Z")).await.0, 201);
    let (_, before) = api.get("/v1/calls/10").await;

    // The same id and call with other fields.
    expect_error(&api, start(1, 10, "2017-12-12T15:07:14Z"), 409, "duplicate_record").await;
    expect_error(&api, end(2, 10, "2017-12-12T15:14:57Z"), 409, "duplicate_record").await;
    // Another start or end for the call.
    expect_error(&api, start(3, 10, "2017-12-12T15:07:13Z"), 409, "call_already_started").await;
    expect_error(&api, end(4, 10, "2017-12-12T15:20:00Z"), 409, "call_already_ended").await;
    let mut no_id = end(0, 10, "2017-12-12T15:20:00Z");
    no_id.as_object_mut().unwrap().remove("id");
    expect_error(&api, no_id, 409, "call_already_ended").await;
    // A record id that belongs to another record.
    expect_error(&api, start(1, 11, "2017-12-12T15:07:13Z"), 409, "record_id_taken").await;
    expect_error(&api, end(1, 13, "2017-12-12T15:14:56Z"), 409, "record_id_taken").await;
    // A call's own records are checked first: this id is taken too, but the call has its end.
    expect_error(&api, end(1, 10, "2017-12-12T15:14:56Z"), 409, "call_already_ended").await;
    // The same for a start, whose first write does not read the call: id 2 is the end's.
    expect_error(&api, start(2, 10, "2017-12-12T15:00:00Z"), 409, "call_already_started").await;

    // Replays answer 200 with the stored record.
    let (status, body) = api.post("/v1/call-records", &start(1, 10, "2017-12-12T15:07:13Z")).await;
    assert_eq!((status, body), (200, start(1, 10, "2017-12-12T15:07:13Z")));
    assert_eq!(api.post("/v1/call-records", &end(2, 10, "2017-12-12T15:14:56Z")).await.0, 200);

    let (_, after) = api.get("/v1/calls/10").await;
    assert_eq!(before, after, "nothing changed");
    let subscriber: PhoneNumber = "99988526423".parse().unwrap();
    let (count, total) = api.store.bill_summary(&subscriber, "2017-12".parse().unwrap()).await.unwrap();
    assert_eq!((count, total.0), (1, 99), "the call is billed once");
    // The record ids refused above were not reserved by the failed attempts.
    assert_eq!(api.post("/v1/call-records", &start(3, 12, "2017-12-12T16:00:00Z")).await.0, 201);
}

#[tokio::test]
async fn an_end_earlier_than_its_start_is_refused_in_either_order() {
    let api = TestApi::new("end-before-start").await;
    assert_eq!(api.post("/v1/call-records", &start(1, 20, "2017-12-12T15:07:13Z")).await.0, 201);
    let reply = expect_error(&api, end(2, 20, "2017-12-12T15:07:12Z"), 409, "end_before_start").await;
    assert!(reply["error"]["message"].as_str().unwrap().contains("cannot be earlier"), "{reply}");
    assert_eq!(api.get("/v1/calls/20").await.1["status"], "started");
    // The refused record's id stays free.
    assert_eq!(api.post("/v1/call-records", &end(2, 20, "2017-12-12T15:07:13Z")).await.0, 201);

    assert_eq!(api.post("/v1/call-records", &end(3, 21, "2017-12-12T15:00:00Z")).await.0, 201);
    expect_error(&api, start(4, 21, "2017-12-12T15:00:01Z"), 409, "end_before_start").await;
    let (_, call) = api.get("/v1/calls/21").await;
    assert_eq!((call["status"].as_str(), call["start"].is_null()), (Some("ended_without_start"), true));
}

#[tokio::test]
async fn bad_bodies_get_400_and_413() {
    let api = TestApi::new("bad-bodies").await;
    for body in ["{", "", "not json", "{\"id\": 1,}"] {
        let response = api.send(request("POST", "/v1/call-records", &[], Some(body), &[])).await;
        let (status, reply) = callbill_tests::reply(response);
        assert_eq!((status, reply["error"]["code"].as_str()), (400, Some("invalid_json")), "{body:?}");
    }
    // Bytes that are not UTF-8 reach the function base64-encoded.
    let (status, reply) =
        callbill_tests::reply(api.send(callbill_tests::binary_post("/v1/call-records", b"\xff\xfe{\x00")).await);
    assert_eq!((status, reply["error"]["code"].as_str()), (400, Some("invalid_json")), "{reply}");
    let reply = expect_error(&api, json!({"type": "end", "source": "12", "extra": true}), 400, "invalid_record").await;
    let fields = reply["error"]["fields"].as_object().unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["call_id", "extra", "source"], "every invalid field at once");
    assert_eq!(reply["error"]["message"], "3 fields are invalid");
    expect_error(&api, json!([start(1, 1, "2017-12-12T15:07:13Z")]), 400, "invalid_record").await;

    let big = json!({"source": "9".repeat(17 * 1024)});
    expect_error(&api, big, 413, "payload_too_large").await;
    let batch = json!({"records": vec![json!({"source": "9".repeat(1024)}); 1100]});
    let (status, reply) = api.post("/v1/call-records/batch", &batch).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (413, Some("payload_too_large")));
}

#[tokio::test]
async fn unknown_calls_and_routes_are_404() {
    let api = TestApi::new("not-found").await;
    let (status, _) = api.post("/v1/call-records", &start(1, 71, "2017-12-12T15:07:13Z")).await;
    assert_eq!(status, 201);
    for path in ["/v1/calls/71", "/v1/calls/0071"] {
        assert_eq!(api.get(path).await.0, 200, "{path}");
    }
    let not_calls = ["/v1/calls/999", "/v1/calls/abc", "/v1/calls/0", "/v1/calls/99999999999999999999"];
    // Only ASCII digits name a call: `+71`, ` 71` and `71 ` are not call 71.
    let not_ids = ["/v1/calls/+71", "/v1/calls/%2071", "/v1/calls/71%20"];
    for path in not_calls.into_iter().chain(not_ids).chain(["/v1/nothing"]) {
        let (status, reply) = api.get(path).await;
        assert_eq!((status, reply["error"]["code"].as_str()), (404, Some("not_found")), "{path}");
    }
    // Without an id, /v1/calls/ is the unmatched-records report, which needs a status.
    let (status, reply) = api.get("/v1/calls/").await;
    assert_eq!((status, reply["error"]["code"].as_str()), (400, Some("invalid_query")));
    let (status, reply) = callbill_tests::reply(api.send(request("DELETE", "/v1/call-records", &[], None, &[])).await);
    assert_eq!((status, reply["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn the_server_assigns_call_ids_and_defaults_timestamps_safely() {
    let api = TestApi::new("defaults").await;
    // A start without call_id gets one from the server; resending it (same record id) is a replay.
    let an_hour_ago = chrono::Utc::now().timestamp() - 3600;
    let body = json!({"id": 500, "source": "11991232344", "destination": "11994345337", "timestamp": an_hour_ago});
    let (status, created) = api.post("/v1/call-records", &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["type"], "start");
    let call_id = created["call_id"].as_u64().unwrap();
    assert!(call_id >= 1 << 52, "assigned ids are kept apart from switch-numbered ones");
    let (status, again) = api.post("/v1/call-records", &body).await;
    assert_eq!((status, &again), (200, &created));

    // An end without timestamp is stamped with the time of receipt; a retry is a replay.
    let end_now = json!({"id": 501, "type": "end", "call_id": call_id});
    let (status, ended) = api.post("/v1/call-records", &end_now).await;
    assert_eq!(status, 201, "{ended}");
    let stamped: chrono::DateTime<chrono::Utc> = ended["timestamp"].as_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now() - stamped).num_seconds().abs() < 60);
    let (status, replayed) = api.post("/v1/call-records", &end_now).await;
    assert_eq!((status, &replayed), (200, &ended));
    assert_eq!(api.get(&format!("/v1/calls/{call_id}")).await.1["status"], "completed");

    // Two starts without call_id and without id are two calls.
    let anonymous = json!({"source": "11991232344", "destination": "11994345337"});
    let (first, second) =
        (api.post("/v1/call-records", &anonymous).await, api.post("/v1/call-records", &anonymous).await);
    assert_eq!((first.0, second.0), (201, 201));
    assert_ne!(first.1["call_id"], second.1["call_id"]);
}

#[tokio::test]
async fn a_batch_is_processed_in_order_record_by_record() {
    let api = TestApi::new("batch").await;
    let batch = json!({"records": [
        start(1, 30, "2017-12-12T15:07:13Z"),
        {"type": "end"},
        end(2, 30, "2017-12-12T15:14:56Z"),
        start(1, 30, "2017-12-12T15:07:13Z"),
        start(3, 30, "2017-12-12T15:07:13Z"),
    ]});
    let (status, reply) = api.post("/v1/call-records/batch", &batch).await;
    assert_eq!(status, 200, "{reply}");
    let results = reply["results"].as_array().unwrap();
    let statuses: Vec<u64> = results.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [201, 400, 201, 200, 409]);
    assert_eq!(results[0]["record"], start(1, 30, "2017-12-12T15:07:13Z"));
    assert_eq!(results[1]["error"]["code"], "invalid_record");
    assert_eq!(results[4]["error"]["code"], "call_already_started");
    assert_eq!(api.get("/v1/calls/30").await.1["price_cents"], 99);

    let too_many = json!({"records": vec![start(1, 30, "2017-12-12T15:07:13Z"); 101]});
    for (body, field) in [
        (json!({"records": []}), "records"),
        (too_many, "records"),
        (json!({"records": {}}), "records"),
        (json!({}), "records"),
        (json!({"records": [start(9, 31, "2017-12-12T15:07:13Z")], "extra": 1}), "extra"),
    ] {
        let (status, reply) = api.post("/v1/call-records/batch", &body).await;
        assert_eq!((status, reply["error"]["code"].as_str()), (400, Some("invalid_record")), "{reply}");
        let fields = reply["error"]["fields"].as_object().unwrap();
        assert_eq!(fields.keys().collect::<Vec<_>>(), [field], "only the field at fault: {reply}");
    }
    assert_eq!(api.get("/v1/calls/31").await.0, 404, "a refused batch stores nothing");
}

/// A batch writes its calls' first records together in one transaction; a record
/// refused there (its call or its record id already taken) is answered on its own,
/// and the records written beside it are stored all the same.
#[tokio::test]
async fn a_refused_record_in_a_batch_leaves_its_neighbours_stored() {
    let api = TestApi::new("batch-neighbours").await;
    for record in [start(1, 1, "2017-12-12T15:07:13Z"), start(4, 4, "2017-12-12T15:07:13Z")] {
        assert_eq!(api.post("/v1/call-records", &record).await.0, 201);
    }
    let batch = json!({"records": [
        start(10, 1, "2017-12-12T16:00:00Z"),
        start(11, 2, "2017-12-12T15:07:13Z"),
        start(1, 3, "2017-12-12T15:07:13Z"),
        end(12, 4, "2017-12-12T15:14:56Z"),
        start(4, 4, "2017-12-12T15:07:13Z"),
        start(13, 5, "2017-12-12T15:07:13Z"),
    ]});
    let (status, reply) = api.post("/v1/call-records/batch", &batch).await;
    assert_eq!(status, 200, "{reply}");
    let outcomes: Vec<(u64, &str)> = reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].as_u64().unwrap(), r["error"]["code"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        outcomes,
        [(409, "call_already_started"), (201, ""), (409, "record_id_taken"), (201, ""), (200, ""), (201, "")],
        "{reply}"
    );
    for (call, status) in [("1", "started"), ("2", "started"), ("4", "completed"), ("5", "started")] {
        let (got, body) = api.get(&format!("/v1/calls/{call}")).await;
        assert_eq!((got, body["status"].as_str()), (200, Some(status)), "call {call}: {body}");
    }
    assert_eq!(api.get("/v1/calls/3").await.0, 404, "a refused record stores nothing");
    let (_, bill) = api.get("/v1/bills/99988526423?period=2017-12").await;
    assert_eq!(bill["call_count"], 1, "{bill}");
}

/// SPEC §8: the start-up probe of either path proves the table and writes nothing.
#[tokio::test]
async fn the_start_up_probe_proves_the_table_and_writes_nothing() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use callbill::store::schema::{PARTITION_KEY, probe_key};
    use callbill::store::{ProbePath, StartupError};
    let api = TestApi::new("probe").await;
    for path in [ProbePath::Reads, ProbePath::Writes, ProbePath::Writes] {
        api.store.probe(path).await.unwrap_or_else(|e| panic!("{path:?}: {e}"));
    }
    let (calls, _) = api.store.scan_calls(None, 100).await.unwrap();
    assert!(calls.is_empty(), "{calls:?}");
    let scanned = api.store.client().scan().table_name(&api.config.table_name).send().await.unwrap();
    assert_eq!(scanned.count(), 0, "the table holds nothing: {:?}", scanned.items());
    // An item at the probe's key fails the probe's condition, which says so.
    let key = AttributeValue::S(probe_key());
    let put = api.store.client().put_item().table_name(&api.config.table_name).item(PARTITION_KEY, key);
    put.send().await.unwrap();
    let held = api.store.probe(ProbePath::Writes).await;
    let said = held.as_ref().err().map(ToString::to_string).unwrap_or_default();
    assert!(
        matches!(held, Err(StartupError::ProbeKeyHeld(_))) && said.contains(&format!("{:?}", probe_key())),
        "{held:?}"
    );
    let missing = callbill_tests::store(&callbill_tests::endpoint(), "no-such-table", &Default::default()).await;
    for path in [ProbePath::Reads, ProbePath::Writes] {
        let refused = missing.probe(path).await;
        assert!(matches!(refused, Err(StartupError::NoTable(ref t)) if t == "no-such-table"), "{path:?}: {refused:?}");
    }
}

/// A batch's starts are tried as opening their calls; those whose end came first
/// learn so from the failed write and complete their calls in a second round.
#[tokio::test]
async fn a_batch_of_starts_completes_the_calls_whose_ends_came_first() {
    let api = TestApi::new("batch-late-starts").await;
    for call in 1..=5 {
        assert_eq!(api.post("/v1/call-records", &end(100 + call, call, "2017-12-12T15:14:56Z")).await.0, 201);
    }
    let starts: Vec<Value> = (1..=6).map(|call| start(call, call, "2017-12-12T15:07:13Z")).collect();
    let (status, reply) = api.post("/v1/call-records/batch", &json!({ "records": starts })).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply["results"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{reply}");
    for call in 1..=6 {
        let (_, body) = api.get(&format!("/v1/calls/{call}")).await;
        let expected = if call <= 5 { "completed" } else { "started" };
        assert_eq!(body["status"], expected, "call {call}: {body}");
    }
    let (_, bill) = api.get("/v1/bills/99988526423?period=2017-12").await;
    assert_eq!((bill["call_count"].as_u64(), bill["total_cents"].as_i64()), (Some(5), Some(5 * 99)), "{bill}");
}
