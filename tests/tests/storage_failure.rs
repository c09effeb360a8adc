//! DynamoDB unreachable: 503 with Retry-After, and nothing half-written (SPEC §2).

use callbill::PhoneNumber;
use callbill_tests::{RequestCounter, TestApi, reply, request, store};
use serde_json::json;

#[tokio::test]
async fn an_unreachable_table_gives_503_with_retry_after_and_writes_nothing() {
    let api = TestApi::new("unreachable").await;
    let start = json!({"id": 1, "call_id": 5, "timestamp": "2017-12-12T15:07:13Z",
                       "source": "99988526423", "destination": "9993468278"});
    assert_eq!(api.post("/v1/call-records", &start).await.0, 201);

    // A port nothing listens on: every connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let broken = store(&format!("http://{closed}"), "any", &RequestCounter::default()).await;

    let end = json!({"id": 2, "type": "end", "call_id": 5, "timestamp": "2017-12-12T15:14:56Z"});
    let post = request("POST", "/v1/call-records", &[], Some(&end.to_string()), &[]);
    let response = call_records::handle(&broken, &api.config, post).await.unwrap();
    assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("1"));
    let (status, body) = reply(response);
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("unavailable")), "{body}");

    let response = call_records::handle(&broken, &api.config, callbill_tests::get("/v1/calls/5")).await.unwrap();
    assert_eq!(reply(response).0, 503);

    // Nothing of the failed record reached the table.
    let (_, call) = api.get("/v1/calls/5").await;
    assert_eq!((call["status"].as_str(), call["end"].is_null()), (Some("started"), true), "{call}");
    let subscriber: PhoneNumber = "99988526423".parse().unwrap();
    assert_eq!(api.store.bill_summary(&subscriber, "2017-12".parse().unwrap()).await.unwrap().0, 0);
    // The client's retry, once storage is back, completes the call once.
    assert_eq!(api.post("/v1/call-records", &end).await.0, 201);
    assert_eq!(api.store.bill_summary(&subscriber, "2017-12".parse().unwrap()).await.unwrap().0, 1);
}
