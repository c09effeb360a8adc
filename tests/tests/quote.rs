//! `POST /v1/quote` (SPEC §3): the price a pair would get, exactly as the completed
//! call shows it, with no DynamoDB request at all.

use callbill_tests::{TestApi, sample};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

const CHARGE_FIELDS: [&str; 7] =
    ["duration", "duration_seconds", "price", "price_cents", "period", "tariff_id", "breakdown"];

fn same_charge(quote: &Value, call: &Value) -> Result<(), String> {
    for field in CHARGE_FIELDS {
        if quote[field] != call[field] {
            return Err(format!("{field}: quote {} vs call {}", quote[field], call[field]));
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_sample_quotes_are_its_expected_prices_without_storage() {
    let api = TestApi::new("quote-sample").await;
    let before = api.requests.get();
    let mut quotes = Vec::new();
    for want in sample()["calls"].as_array().unwrap() {
        let (status, quote) = api.post("/v1/quote", &json!({"start": want["start"], "end": want["end"]})).await;
        assert_eq!(status, 200, "{quote}");
        for key in ["price", "price_cents", "duration", "duration_seconds", "period"] {
            assert_eq!(quote[key], want[key], "call {}: {key}", want["call_id"]);
        }
        quotes.push((want["call_id"].clone(), quote));
    }
    assert_eq!(api.requests.get(), before, "a quote sends no DynamoDB request");

    // Posted, each call shows exactly the quoted charge.
    let (status, _) = api.post("/v1/call-records/batch", &json!({"records": sample()["records"]})).await;
    assert_eq!(status, 200);
    for (call_id, quote) in quotes {
        let (_, call) = api.get(&format!("/v1/calls/{call_id}")).await;
        same_charge(&quote, &call).unwrap();
    }
    let (status, refused) =
        api.post("/v1/quote", &json!({"start": "2017-12-12T15:07:13Z", "end": "2017-12-12T15:07:12Z"})).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("end_before_start")));
}

/// Start-up's warm-up (issue 13) must go the whole way requests go, to the JSON the
/// runtime posts: a quote the handler prices, and a record it refuses on its fields,
/// without a DynamoDB request.
#[tokio::test]
async fn the_start_up_warm_up_is_a_priced_quote_and_a_refused_record_without_storage() {
    let api = TestApi::new("quote-warm-up").await;
    let before = api.requests.get();
    let answers: Vec<(u16, Value)> = call_records::warm_up(&api.store, &api.config)
        .await
        .unwrap()
        .into_iter()
        .map(|posted| {
            let posted: Value = serde_json::from_slice(&posted).unwrap();
            let status = posted["statusCode"].as_u64().and_then(|status| u16::try_from(status).ok());
            let body = posted["body"].as_str().map(|body| serde_json::from_str(body).unwrap());
            (status.unwrap_or_else(|| panic!("a status: {posted}")), body.unwrap_or_else(|| panic!("a body: {posted}")))
        })
        .collect();
    let [(quoted, quote), (refused, refusal)] = &answers[..] else { panic!("two answers: {answers:?}") };
    assert_eq!(*quoted, 200, "{quote}");
    assert!(quote["price_cents"].as_u64().is_some_and(|cents| cents > 0), "{quote}");
    assert!(quote["breakdown"]["segments"].as_array().is_some_and(|segments| segments.len() > 1), "{quote}");
    assert_eq!((*refused, refusal["error"]["code"].as_str()), (400, Some("invalid_record")), "{refusal}");
    assert!(refusal["error"]["fields"]["destination"].is_array(), "{refusal}");
    assert_eq!(api.requests.get(), before, "the warm-up sends no DynamoDB request");
    assert!(callbill::log::is_open(), "the log is written again after the warm-up");
}

#[test]
fn a_quote_equals_the_price_stored_when_the_pair_is_posted() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let api = runtime.block_on(TestApi::new("quote-property"));
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    let next_call = std::cell::Cell::new(1u64);
    // Starts over 2017, lengths up to 3 days, with fractions of a second.
    let pairs = (1_483_228_800i64..1_514_764_800, 0i64..3 * 86_400, 0u32..1_000_000_000);
    runner
        .run(&pairs, |(start, length, nanos)| {
            let call_id = next_call.get();
            next_call.set(call_id + 1);
            let at = |seconds: i64| {
                chrono::DateTime::from_timestamp(seconds, nanos)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
            };
            let (start, end) = (at(start), at(start + length));
            let (status, quote) = runtime.block_on(api.post("/v1/quote", &json!({"start": start, "end": end})));
            prop_assert_eq!(status, 200);
            let records = json!({"records": [
                {"call_id": call_id, "timestamp": start, "source": "11991230001", "destination": "2133334444"},
                {"type": "end", "call_id": call_id, "timestamp": end},
            ]});
            runtime.block_on(api.post("/v1/call-records/batch", &records));
            let (_, call) = runtime.block_on(api.get(&format!("/v1/calls/{call_id}")));
            prop_assert_eq!(&call["status"], "completed");
            same_charge(&quote, &call).map_err(TestCaseError::fail)?;
            Ok(())
        })
        .unwrap();
}
