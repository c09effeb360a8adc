//! What a record costs in DynamoDB requests (issue target: 1 for a start, at most 2
//! for the record that completes a call). The figures are quoted in the README.

use callbill_tests::TestApi;
use serde_json::{Value, json};

fn start(id: u64, call_id: u64) -> Value {
    json!({"id": id, "call_id": call_id, "timestamp": "2017-12-12T15:07:13Z",
           "source": "99988526423", "destination": "9993468278"})
}

fn end(id: u64, call_id: u64) -> Value {
    json!({"id": id, "type": "end", "call_id": call_id, "timestamp": "2017-12-12T15:14:56Z"})
}

#[tokio::test]
async fn requests_per_ingested_record() {
    let api = TestApi::new("cost").await;
    let cases: [(&str, Value, u16, usize); 8] = [
        ("start of a new call", start(1, 1), 201, 1),
        ("end that completes the call", end(2, 1), 201, 2),
        ("end before its start", end(3, 2), 201, 2),
        ("start that completes the call", start(4, 2), 201, 2),
        ("start without call_id", json!({"source": "99988526423", "destination": "9993468278"}), 201, 1),
        ("replayed start", start(1, 1), 200, 1),
        ("replayed end", end(2, 1), 200, 1),
        ("conflicting start", start(5, 1), 409, 1),
    ];
    for (what, record, status, requests) in cases {
        let before = api.requests.get();
        let (got, body) = api.post("/v1/call-records", &record).await;
        let used = api.requests.get() - before;
        eprintln!("{what:<32} {used} request(s)");
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(used, requests, "{what}");
    }
}

/// A batch reads the calls its ends need in one request and writes its calls'
/// first records in as few transactions as they fit (issue 13).
#[tokio::test]
async fn a_batch_of_different_calls_costs_a_few_requests() {
    let api = TestApi::new("cost-batch").await;
    let starts: Vec<Value> = (1..=100).map(|call| start(call, call)).collect();
    let ends: Vec<Value> = (1..=100).map(|call| end(1000 + call, call)).collect();
    let cases = [
        // Starts are tried as opening their calls: 100 guards and 100 calls in two
        // transactions of 100 actions.
        ("100 starts of 100 new calls", starts, 2),
        // One read of the 100 calls, then the same with the subscriber's summary
        // once in each transaction: 49, 49 and 2 records.
        ("100 ends completing 100 calls of one subscriber", ends, 4),
    ];
    for (what, records, requests) in cases {
        let before = api.requests.get();
        let (status, reply) = api.post("/v1/call-records/batch", &json!({ "records": records })).await;
        let used = api.requests.get() - before;
        eprintln!("{what:<50} {used} request(s)");
        assert_eq!(status, 200, "{reply}");
        assert!(reply["results"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{what}: {reply}");
        assert_eq!(used, requests, "{what}");
    }
    let (_, bill) = api.get("/v1/bills/99988526423?period=2017-12").await;
    assert_eq!(bill["call_count"], 100, "{bill}");
}
