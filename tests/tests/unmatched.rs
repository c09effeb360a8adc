//! `GET /v1/calls?status=...` (SPEC §3): the unmatched-records report, against
//! DynamoDB Local through the real handler.

use callbill_tests::TestApi;
use serde_json::{Value, json};

fn start(id: u64, call_id: u64, at: &str) -> Value {
    json!({"id": id, "call_id": call_id, "timestamp": at, "source": "99988526423", "destination": "9993468278"})
}

fn end(id: u64, call_id: u64, at: &str) -> Value {
    json!({"id": id, "type": "end", "call_id": call_id, "timestamp": at})
}

async fn post_all(api: &TestApi, records: &[Value]) {
    for chunk in records.chunks(100) {
        let (status, reply) = api.post("/v1/call-records/batch", &json!({"records": chunk})).await;
        assert_eq!(status, 200);
        assert!(reply["results"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{reply}");
    }
}

/// Every page of a report, concatenated: the call ids in order.
async fn report(api: &TestApi, query: &str) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = api.get(&format!("/v1/calls?{query}{cursor}")).await;
        assert_eq!(status, 200, "{page}");
        ids.extend(page["calls"].as_array().unwrap().iter().map(|c| c["call_id"].as_u64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return ids,
        }
    }
}

const WINDOW: &str = "after=2017-12-01T00:00:00Z&before=2018-01-01T00:00:00Z";

#[tokio::test]
async fn a_call_is_in_the_report_while_it_has_one_record() {
    let api = TestApi::new("unmatched").await;
    post_all(
        &api,
        &[
            start(1, 10, "2017-12-10T10:00:00Z"), // started
            end(2, 11, "2017-12-10T11:00:00Z"),   // ended without start
            start(3, 12, "2017-12-10T12:00:00Z"), // completed
            end(4, 12, "2017-12-10T12:05:00Z"),
            end(5, 13, "2017-12-10T13:05:00Z"), // completed, end first
            start(6, 13, "2017-12-10T13:00:00Z"),
        ],
    )
    .await;
    let (status, page) = api.get(&format!("/v1/calls?status=started&{WINDOW}")).await;
    assert_eq!(status, 200);
    // The stored record in canonical form, as GET /v1/calls/{id} shows it.
    let mut started = start(1, 10, "2017-12-10T10:00:00Z");
    started["type"] = json!("start");
    assert_eq!(page, json!({"calls": [{"call_id": 10, "status": "started", "start": started}], "next_cursor": null}));
    let (_, page) = api.get(&format!("/v1/calls?status=ended_without_start&{WINDOW}")).await;
    assert_eq!(page["calls"][0]["end"], end(2, 11, "2017-12-10T11:00:00Z"));
    assert_eq!(page["calls"].as_array().unwrap().len(), 1);
    assert!(page["calls"][0].get("start").is_none());

    // Its missing record arrives: the call leaves the report in the same write.
    post_all(&api, &[end(7, 10, "2017-12-10T10:30:00Z"), start(8, 11, "2017-12-10T10:59:00Z")]).await;
    assert_eq!(report(&api, &format!("status=started&{WINDOW}")).await, Vec::<u64>::new());
    assert_eq!(report(&api, &format!("status=ended_without_start&{WINDOW}")).await, Vec::<u64>::new());
}

#[tokio::test]
async fn the_window_keeps_after_and_leaves_out_before() {
    let api = TestApi::new("unmatched-window").await;
    post_all(
        &api,
        &[
            start(1, 1, "2017-11-30T23:59:59Z"),
            start(2, 2, "2017-12-01T00:00:00Z"),
            start(3, 3, "2017-12-31T23:59:59.999Z"),
            start(4, 4, "2018-01-01T00:00:00Z"),
        ],
    )
    .await;
    assert_eq!(report(&api, &format!("status=started&{WINDOW}")).await, [2, 3]);
    // Unix seconds mean the same instants.
    assert_eq!(report(&api, "status=started&after=1512086400&before=1514764800").await, [2, 3]);
    // The default window ends 24 hours ago and is 93 days long: none of these.
    assert_eq!(report(&api, "status=started").await, Vec::<u64>::new());
}

#[tokio::test]
async fn pages_cross_shards_and_times_in_order() {
    let api = TestApi::new("unmatched-pages").await;
    // 300 starts over 150 instants (two calls each), on every shard; 100 of them completed.
    let mut records = Vec::new();
    let mut expected = Vec::new();
    for i in 0..300u64 {
        let call_id = 1000 + i * 37 % 300;
        let at = format!("2017-12-{:02}T{:02}:00:00Z", 1 + (i / 2) / 24 % 28, (i / 2) % 24);
        records.push(start(call_id, call_id, &at));
        if i % 3 == 0 {
            records.push(end(100_000 + call_id, call_id, &at));
        } else {
            expected.push((at, call_id));
        }
    }
    post_all(&api, &records).await;
    expected.sort();
    let want: Vec<u64> = expected.iter().map(|(_, id)| *id).collect();
    assert_eq!(want.len(), 200);
    for limit in [7, 64, 100, 1000] {
        assert_eq!(report(&api, &format!("status=started&{WINDOW}&limit={limit}")).await, want, "limit {limit}");
    }
    // 64 queries a page, one per shard, whatever the page's size.
    let before = api.requests.get();
    api.get(&format!("/v1/calls?status=started&{WINDOW}&limit=10")).await;
    assert_eq!(api.requests.get() - before, 64);

    // Calls completed while the report is paged leave the pages not yet read, and
    // the order of what is left stays.
    let (_, first) = api.get(&format!("/v1/calls?status=started&{WINDOW}&limit=50")).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let completed: Vec<u64> = want[50..60].to_vec();
    let ends: Vec<Value> = completed.iter().map(|id| end(200_000 + id, *id, "2017-12-31T00:00:00Z")).collect();
    post_all(&api, &ends).await;
    let mut rest = Vec::new();
    let mut next = format!("&cursor={cursor}");
    loop {
        let (status, page) = api.get(&format!("/v1/calls?status=started&{WINDOW}&limit=50{next}")).await;
        assert_eq!(status, 200, "{page}");
        rest.extend(page["calls"].as_array().unwrap().iter().map(|c| c["call_id"].as_u64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(rest, want[60..].to_vec());
}

#[tokio::test]
async fn bad_report_queries_get_their_codes() {
    let api = TestApi::new("unmatched-bad").await;
    let (_, page) = api.get(&format!("/v1/calls?status=started&{WINDOW}&limit=1")).await;
    assert_eq!(page["next_cursor"], Value::Null);
    post_all(&api, &[start(1, 1, "2017-12-02T00:00:00Z"), start(2, 2, "2017-12-03T00:00:00Z")]).await;
    let (_, page) = api.get(&format!("/v1/calls?status=started&{WINDOW}&limit=1")).await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    for (query, code) in [
        ("".to_owned(), "invalid_query"),
        ("status=completed".to_owned(), "invalid_query"),
        ("status=started&state=x".to_owned(), "invalid_query"),
        ("status=started&status=started".to_owned(), "invalid_query"),
        ("status=started&before=2017-12-01T00:00:00Z&after=2017-12-01T00:00:00Z".to_owned(), "invalid_query"),
        ("status=started&before=yesterday".to_owned(), "invalid_query"),
        ("status=started&limit=0".to_owned(), "invalid_query"),
        ("status=started&limit=1001".to_owned(), "invalid_query"),
        ("status=started&cursor=abc".to_owned(), "invalid_cursor"),
        (format!("status=ended_without_start&{WINDOW}&cursor={cursor}"), "invalid_cursor"),
        (
            format!("status=started&after=2017-12-02T00:00:00Z&before=2018-01-01T00:00:00Z&cursor={cursor}"),
            "invalid_cursor",
        ),
    ] {
        let (status, reply) = api.get(&format!("/v1/calls?{query}")).await;
        assert_eq!((status, reply["error"]["code"].as_str()), (400, Some(code)), "{query}: {reply}");
    }
    // The cursor alone carries its window.
    let (status, page) = api.get(&format!("/v1/calls?status=started&cursor={cursor}")).await;
    assert_eq!((status, page["calls"][0]["call_id"].as_u64()), (200, Some(2)), "{page}");
}
