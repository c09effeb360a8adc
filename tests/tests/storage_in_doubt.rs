//! A write whose answer never comes (SPEC §2): the record may have been stored, so a
//! 503 says so, and an answer callbill can find out is the true one.

use std::time::Duration;

use callbill::PhoneNumber;
use callbill_tests::{StallingProxy, TestApi, endpoint, impatient_store, reply, request};
use serde_json::json;

#[tokio::test]
async fn a_stalled_write_is_found_stored_or_reported_as_maybe_stored() {
    let api = TestApi::new("in-doubt").await;
    let proxy = StallingProxy::start(&endpoint()).await;
    let stalling = impatient_store(&proxy.url, &api.config.table_name, Duration::from_millis(400)).await;
    let post = |body: serde_json::Value| request("POST", "/v1/call-records", &[], Some(&body.to_string()), &[]);
    let subscriber: PhoneNumber = "99988526423".parse().unwrap();
    let start = |id: u64, call_id: u64| {
        json!({"id": id, "call_id": call_id, "timestamp": "2017-12-12T15:07:13Z",
               "source": "99988526423", "destination": "9993468278"})
    };
    let end = |id: u64, call_id: u64| json!({"id": id, "type": "end", "call_id": call_id, "timestamp": "2017-12-12T15:14:56Z"});

    // The answers stall for a moment only: the write was applied, and reading the
    // call again shows it, so the truth is 201.
    assert_eq!(api.post("/v1/call-records", &start(1, 5)).await.0, 201);
    proxy.stall_from_next_write();
    let releaser = {
        let proxy = proxy.clone();
        tokio::spawn(async move { proxy.release_after(Duration::from_millis(600)).await })
    };
    let (status, body) = reply(call_records::handle(&stalling, &api.config, post(end(2, 5))).await.unwrap());
    releaser.await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(api.get("/v1/calls/5").await.1["status"], "completed");
    assert_eq!(api.store.bill_summary(&subscriber, "2017-12".parse().unwrap()).await.unwrap().0, 1);

    // The answers stall for good: callbill cannot know, and says so.
    assert_eq!(api.post("/v1/call-records", &start(3, 6)).await.0, 201);
    proxy.stall_from_next_write();
    let response = call_records::handle(&stalling, &api.config, post(end(4, 6))).await.unwrap();
    proxy.release();
    assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("1"));
    let (status, body) = reply(response);
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("unavailable")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("may have been stored"), "{message}");
    assert!(!message.contains("nothing was written"), "{message}");
    // It was stored; resending it is safe: a replay, counted once.
    assert_eq!(api.get("/v1/calls/6").await.1["status"], "completed");
    assert_eq!(api.post("/v1/call-records", &end(4, 6)).await.0, 200);
    assert_eq!(api.store.bill_summary(&subscriber, "2017-12".parse().unwrap()).await.unwrap().0, 2);
}
