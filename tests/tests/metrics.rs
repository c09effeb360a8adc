//! The functions' metrics (CloudWatch Embedded Metric Format): the lines real
//! handler calls write, checked against the EMF specification and their values.

use callbill::http::MetricLines;
use callbill::metrics::{Metric, NAMESPACE};
use callbill_tests::{TestApi, request};
use serde_json::{Value, json};

/// The EMF lines a request wrote, each checked against the specification: an
/// `_aws` object with a millisecond `Timestamp` and `CloudWatchMetrics`
/// directives whose dimension names hold strings and whose metric names hold
/// numbers at the line's root.
async fn emf_lines(api: &TestApi, method: &str, path: &str, body: Option<Value>) -> Vec<Value> {
    let body = body.map(|b| b.to_string());
    let response = api.send(request(method, path, &[], body.as_deref(), &[])).await;
    let lines = response.extensions().get::<MetricLines>().expect("every response carries its metric lines").0.clone();
    lines
        .iter()
        .map(|line| {
            let line: Value = serde_json::from_str(line).expect("an EMF line is one JSON object");
            let aws = &line["_aws"];
            assert!(aws["Timestamp"].as_i64().is_some_and(|t| t > 1_600_000_000_000), "{line}");
            let directives = aws["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics");
            assert!(!directives.is_empty());
            for directive in directives {
                assert_eq!(directive["Namespace"], NAMESPACE);
                for set in directive["Dimensions"].as_array().unwrap() {
                    let set = set.as_array().unwrap();
                    assert!(!set.is_empty() && set.len() <= 30);
                    for name in set {
                        assert!(line[name.as_str().unwrap()].is_string(), "dimension {name} in {line}");
                    }
                }
                for metric in directive["Metrics"].as_array().unwrap() {
                    let name = metric["Name"].as_str().unwrap();
                    assert!(Metric::NAMES.contains(&name), "{name}");
                    assert!(["Count", "None"].contains(&metric["Unit"].as_str().unwrap()));
                    assert!(line[name].is_number(), "value of {name} in {line}");
                }
            }
            assert_eq!(line["Function"], "local", "the function's name (AWS_LAMBDA_FUNCTION_NAME on Lambda)");
            line
        })
        .collect()
}

fn start(id: u64, call_id: u64) -> Value {
    json!({"id": id, "call_id": call_id, "timestamp": "2017-12-12T15:07:13Z", "source": "99988526423", "destination": "9993468278"})
}

#[tokio::test]
async fn each_request_writes_its_counts_as_emf() {
    let api = TestApi::new("metrics").await;
    let lines = emf_lines(&api, "POST", "/v1/call-records", Some(start(1, 10))).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["RecordsCreated"], 1);
    assert!(lines[0].get("CallsCompleted").is_none());
    // The capacity DynamoDB reports: a transactional write of two items (the guard
    // and the call, with the call's index entry).
    assert!(lines[0]["WriteCapacityUnits"].as_f64().unwrap() >= 4.0, "{}", lines[0]);

    // A batch: a completion with its centavos, a replay, and two refusals of two codes.
    let batch = json!({"records": [
        {"id": 2, "type": "end", "call_id": 10, "timestamp": "2017-12-12T15:14:56Z"},
        start(1, 10),
        {"type": "end"},
        start(3, 10),
    ]});
    let lines = emf_lines(&api, "POST", "/v1/call-records/batch", Some(batch)).await;
    let counts = &lines[0];
    assert_eq!((counts["RecordsCreated"].as_u64(), counts["RecordsReplayed"].as_u64()), (Some(1), Some(1)));
    assert_eq!((counts["CallsCompleted"].as_u64(), counts["CentsBilled"].as_u64()), (Some(1), Some(99)));
    let mut refused: Vec<(String, u64)> = lines[1..]
        .iter()
        .map(|l| (l["ErrorCode"].as_str().unwrap().to_owned(), l["RecordsRefused"].as_u64().unwrap()))
        .collect();
    refused.sort();
    assert_eq!(refused, [("call_already_started".to_owned(), 1), ("invalid_record".to_owned(), 1)]);
    for line in &lines[1..] {
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([["Function", "ErrorCode"]]));
    }

    // A bill page served; a read of a call counts its capacity units only.
    let lines = emf_lines(&api, "GET", "/v1/bills/99988526423?period=2017-12", None).await;
    assert_eq!(lines[0]["BillPagesServed"], 1);
    assert!(lines[0]["ReadCapacityUnits"].as_f64().unwrap() > 0.0, "{}", lines[0]);
    let lines = emf_lines(&api, "GET", "/v1/calls/10", None).await;
    assert_eq!(lines.len(), 1);
    let metrics = lines[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap();
    assert_eq!(metrics, &[json!({"Name": "ReadCapacityUnits", "Unit": "None"})]);
    assert_eq!(lines[0]["ReadCapacityUnits"], 1.0, "one strongly consistent read of a small item");
}

#[tokio::test]
async fn a_503_is_counted() {
    let api = TestApi::new("metrics-503").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let counter = callbill_tests::RequestCounter::default();
    let broken = callbill_tests::store(&format!("http://{closed}"), "any", &counter).await;
    let post = request("POST", "/v1/call-records", &[], Some(&start(1, 5).to_string()), &[]);
    let response = call_records::handle(&broken, &api.config, post).await.unwrap();
    assert_eq!(response.status(), 503);
    let lines = &response.extensions().get::<MetricLines>().unwrap().0;
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["Unavailable"], 1);
    assert!(line.get("RecordsRefused").is_none(), "a 503 refuses nothing");
}
