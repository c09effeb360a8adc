//! Hostile input over both functions' handlers, against DynamoDB Local: arbitrary
//! bytes, deep JSON, huge numbers and strings, odd timestamps, unicode digits,
//! repeated and unknown parameters. No panic, no 5xx, every 4xx in the envelope.
//! `HOSTILE_CASES` sets the number of cases (10,000 in `make test`, 200,000 in
//! `make fuzz`).

use std::collections::HashMap;

use callbill::ErrorCode;
use callbill_tests::{TestApi, binary_post, request};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

/// Text an attacker or a broken client might send where a value goes.
fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("١٢٣٤٥٦٧٨٩٠".to_owned()),
        Just("99988526423".to_owned()),
        Just("+5511991232344".to_owned()),
        Just("2017-12-12T15:07:13Z".to_owned()),
        Just("0000-03-01T10:00:00Z".to_owned()),
        Just("9999-12-31T23:59:59-01:00".to_owned()),
        Just("2017-12-12T10:00:60Z".to_owned()),
        Just("2017-12-12  10:00:00".to_owned()),
        Just("2017-12".to_owned()),
        Just("12/2017".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("-1".to_owned()),
        Just("NaN".to_owned()),
        Just("\u{0}".to_owned()),
        Just("%00%ff".to_owned()),
        Just("start".to_owned()),
        Just("END".to_owned()),
        "\\PC{0,40}",
        "[0-9]{1,30}",
        ".{0,3000}".prop_map(|s| s.repeat(4)),
    ]
}

fn odd_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(1e300)),
        Just(json!(253_402_300_800_i64)),
        Just(json!(-100_000_000_000_i64)),
        Just(json!(9_007_199_254_740_992_u64)),
        odd_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::hash_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A record-like object: the real field names (and some others) with odd values.
fn record_like() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        Just("id"),
        Just("type"),
        Just("call_id"),
        Just("timestamp"),
        Just("source"),
        Just("destination"),
        Just("callType"),
        Just("records"),
    ];
    prop::collection::vec((name, odd_value()), 0..8)
        .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

/// A valid start or end, with some fields replaced by odd values or removed.
fn nearly_valid_record() -> impl Strategy<Value = Value> {
    let base = (1u64..50, 1u64..200, 0i64..86_400 * 120, any::<bool>()).prop_map(|(id, call_id, offset, is_start)| {
        let at = 1_483_228_800 + offset; // from 2017-01-01
        if is_start {
            json!({"id": id, "call_id": call_id, "timestamp": at, "source": "99988526423", "destination": "9993468278"})
        } else {
            json!({"id": id + 1000, "type": "end", "call_id": call_id, "timestamp": at})
        }
    });
    let field =
        prop_oneof![Just("id"), Just("type"), Just("call_id"), Just("timestamp"), Just("source"), Just("extra")];
    (base, prop::collection::vec((field, prop::option::of(odd_value())), 0..3)).prop_map(|(mut record, changes)| {
        let object = record.as_object_mut().unwrap();
        for (name, value) in changes {
            match value {
                Some(value) => object.insert(name.to_owned(), value),
                None => object.remove(name),
            };
        }
        record
    })
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Text(String),
    Bytes(Vec<u8>),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        1 => Just(Body::None),
        6 => nearly_valid_record().prop_map(|v| Body::Text(v.to_string())),
        2 => prop::collection::vec(nearly_valid_record(), 1..40).prop_map(|r| Body::Text(json!({"records": r}).to_string())),
        1 => record_like().prop_map(|v| Body::Text(v.to_string())),
        1 => prop::collection::vec(record_like(), 0..120).prop_map(|r| Body::Text(json!({"records": r}).to_string())),
        1 => odd_value().prop_map(|v| Body::Text(v.to_string())),
        1 => (1usize..5000).prop_map(|depth| Body::Text(format!("{}{}", "[".repeat(depth), "]".repeat(depth)))),
        1 => Just(Body::Text(r#"{"type":"end","type":"start","call_id":1}"#.to_owned())),
        1 => prop::collection::vec(any::<u8>(), 0..512).prop_map(Body::Bytes),
        1 => odd_text().prop_map(Body::Text),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        Just("v1".to_owned()),
        Just("call-records".to_owned()),
        Just("batch".to_owned()),
        Just("calls".to_owned()),
        Just("bills".to_owned()),
        Just("99988526423".to_owned()),
        "[0-9]{1,25}",
        "[a-zA-Z0-9_.~-]{0,20}",
    ];
    prop_oneof![
        Just("/v1/call-records".to_owned()),
        Just("/v1/call-records/batch".to_owned()),
        "[0-9]{1,25}".prop_map(|id| format!("/v1/calls/{id}")),
        Just("/v1/bills/99988526423".to_owned()),
        "[0-9]{1,14}".prop_map(|n| format!("/v1/bills/{n}")),
        prop::collection::vec(segment, 0..5).prop_map(|s| format!("/{}", s.join("/"))),
    ]
    .prop_map(|path: String| path)
}

fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        Just("period".to_owned()),
        Just("year".to_owned()),
        Just("month".to_owned()),
        Just("limit".to_owned()),
        Just("cursor".to_owned()),
        Just("format".to_owned()),
        Just("reference_period".to_owned()),
        "[a-z_]{1,10}",
    ];
    // API Gateway takes a request line and headers of at most 10,240 bytes.
    let value = odd_text().prop_map(|t| t.chars().filter(|c| *c != '&' && *c != '=').take(300).collect());
    prop::collection::vec((name, value), 0..5)
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let accept = prop_oneof![
        Just("text/csv".to_owned()),
        Just("text/csv;q=0".to_owned()),
        Just("*/*".to_owned()),
        Just("text/csv;q=abc, application/json;q=".to_owned()),
        "[ -~]{0,40}",
    ];
    let if_none_match = prop_oneof![Just("*".to_owned()), Just("W/\"x\"".to_owned()), "[ -~]{0,40}"];
    (prop::option::of(accept), prop::option::of(if_none_match)).prop_map(|(accept, tag)| {
        let mut headers = Vec::new();
        headers.extend(accept.map(|a| ("accept".to_owned(), a)));
        headers.extend(tag.map(|t| ("if-none-match".to_owned(), t)));
        headers
    })
}

fn check(status: u16, content_type: &str, body: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "status {status}: {}", String::from_utf8_lossy(body));
    if status >= 400 {
        prop_assert!(content_type.starts_with("application/json"), "{status} as {content_type}");
        let envelope: Value = serde_json::from_slice(body).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let code = envelope["error"]["code"].as_str().unwrap_or_default();
        prop_assert!(ErrorCode::ALL.iter().any(|c| c.as_str() == code), "unknown code in {envelope}");
        prop_assert!(envelope["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{envelope}");
    }
    Ok(())
}

#[test]
fn hostile_requests_never_panic_or_5xx_and_every_4xx_is_an_envelope() {
    let cases = std::env::var("HOSTILE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let api = runtime.block_on(TestApi::new("hostile"));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let statuses: std::cell::RefCell<HashMap<u16, u32>> = Default::default();
    // Mostly the method a path is served with, so that most cases reach the rules.
    let method = prop_oneof![8 => Just(None), 1 => prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE")].prop_map(Some)];
    let strategy = (method, path(), query(), body(), headers()).prop_map(|(method, path, query, body, headers)| {
        let method = method.unwrap_or(if path.starts_with("/v1/call-records") { "POST" } else { "GET" });
        (method, path, query, body, headers)
    });
    let outcome = runner.run(&strategy, |(method, path, query, body, headers)| {
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let request = match &body {
            Body::Bytes(bytes) if method == "POST" => binary_post(&path, bytes),
            Body::Text(text) => request(method, &path, &query, Some(text), &headers),
            _ => request(method, &path, &query, None, &headers),
        };
        let response = runtime.block_on(api.send(request));
        let status = response.status().as_u16();
        *statuses.borrow_mut().entry(status).or_default() += 1;
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        check(status, content_type, response.body().as_ref())
    });
    let mut seen: Vec<_> = statuses.into_inner().into_iter().collect();
    seen.sort_unstable();
    println!("hostile input: {cases} cases, statuses {seen:?}");
    outcome.unwrap();
    assert!(seen.iter().any(|(s, _)| *s == 201), "some hostile cases must be valid records: {seen:?}");
}
