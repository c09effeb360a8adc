//! `GET /v1/bills/{subscriber}` against DynamoDB Local through the real handlers (SPEC §4).

use std::sync::Arc;

use callbill::Period;
use callbill_tests::{TestApi, get, load_calls, request, sample};
use chrono::{Datelike, Utc};
use serde_json::{Value, json};

/// A table holding the whole sample data set.
async fn sample_api(name: &str) -> TestApi {
    let api = TestApi::new(name).await;
    let (status, reply) = api.post("/v1/call-records/batch", &json!({"records": sample()["records"]})).await;
    assert_eq!(status, 200);
    assert!(reply["results"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{reply}");
    api
}

#[tokio::test]
async fn the_sample_bills_are_exactly_the_listed_ones() {
    let api = sample_api("sample-bills").await;
    let bills = sample()["bills"].as_array().unwrap().clone();
    assert_eq!(bills.len(), 5);
    for want in bills {
        let (status, bill) = api
            .get(&format!(
                "/v1/bills/{}?period={}",
                want["subscriber"].as_str().unwrap(),
                want["period"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, 200, "{bill}");
        for key in ["subscriber", "period", "call_count", "total_cents", "total", "calls"] {
            assert_eq!(bill[key], want[key], "{} {}: {key}", want["subscriber"], want["period"]);
        }
        assert_eq!((bill["currency"].as_str(), &bill["next_cursor"]), (Some("BRL"), &Value::Null));
    }
}

#[tokio::test]
async fn every_period_spelling_gives_the_same_bill() {
    let api = sample_api("spellings").await;
    let base = "/v1/bills/99988526423";
    for (spellings, count) in [
        (vec!["period=2017-12", "period=201712", "period=12/2017", "year=2017&month=12"], 6),
        (
            vec![
                "period=2018-03",
                "period=201803",
                "period=03/2018",
                "period=3/2018",
                "year=2018&month=3",
                "year=2018&month=03",
            ],
            1,
        ),
    ] {
        let bills: Vec<Value> = bills_at(&api, spellings.iter().map(|q| format!("{base}?{q}")).collect()).await;
        assert_eq!(bills[0]["call_count"], count);
        assert!(bills.iter().all(|b| b == &bills[0]), "{bills:?}");
    }
}

async fn bills_at(api: &TestApi, paths: Vec<String>) -> Vec<Value> {
    let mut bills = Vec::new();
    for path in paths {
        let (status, bill) = api.get(&path).await;
        assert_eq!(status, 200, "{path}: {bill}");
        bills.push(bill);
    }
    bills
}

#[tokio::test]
async fn each_bad_query_has_its_code() {
    let api = sample_api("bad-queries").await;
    let now = Utc::now();
    let this_month = format!("{:04}-{:02}", now.year(), now.month());
    let (_, page) = api.get("/v1/bills/99988526423?period=2017-12&limit=2").await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let cases = [
        ("/v1/bills/123".to_owned(), "invalid_subscriber"),
        ("/v1/bills/9998852642a".to_owned(), "invalid_subscriber"),
        ("/v1/bills/99988526423?period=2017-13".to_owned(), "invalid_period"),
        ("/v1/bills/99988526423?period=december".to_owned(), "invalid_period"),
        ("/v1/bills/99988526423?period=2017-12&year=2017&month=12".to_owned(), "invalid_period"),
        ("/v1/bills/99988526423?year=2017".to_owned(), "invalid_period"),
        ("/v1/bills/99988526423?year=17&month=12".to_owned(), "invalid_period"),
        // A repeated parameter is ambiguous; API Gateway joins its values with commas.
        ("/v1/bills/99988526423?period=2017-12&period=2017-11".to_owned(), "invalid_period"),
        ("/v1/bills/99988526423?period=2017-12,2017-11".to_owned(), "invalid_period"),
        ("/v1/bills/99988526423?year=2017&month=12&month=11".to_owned(), "invalid_period"),
        ("/v1/bills/99988526423?period=2017-12&limit=1&limit=2".to_owned(), "invalid_query"),
        ("/v1/bills/99988526423?period=2017-12&format=csv&format=json".to_owned(), "invalid_query"),
        (format!("/v1/bills/99988526423?period=2017-12&cursor={cursor}&cursor={cursor}"), "invalid_cursor"),
        (format!("/v1/bills/99988526423?period={this_month}"), "period_not_closed"),
        ("/v1/bills/99988526423?period=2999-01".to_owned(), "period_not_closed"),
        ("/v1/bills/99988526423?period=2017-12&limit=0".to_owned(), "invalid_query"),
        ("/v1/bills/99988526423?period=2017-12&limit=1001".to_owned(), "invalid_query"),
        ("/v1/bills/99988526423?period=2017-12&limit=ten".to_owned(), "invalid_query"),
        ("/v1/bills/99988526423?period=2017-12&limit=+5".to_owned(), "invalid_query"),
        ("/v1/bills/99988526423?period=2017-12&format=xml".to_owned(), "invalid_query"),
        ("/v1/bills/99988526423?period=2017-12&cursor=garbage".to_owned(), "invalid_cursor"),
        (format!("/v1/bills/9993468278?period=2017-12&cursor={cursor}"), "invalid_cursor"),
        (format!("/v1/bills/99988526423?period=2016-02&cursor={cursor}"), "invalid_cursor"),
        (format!("/v1/bills/99988526423?period=2017-12&cursor={}x", &cursor[..cursor.len() - 1]), "invalid_cursor"),
    ];
    for (path, code) in cases {
        let (status, reply) = api.get(&path).await;
        assert_eq!((status, reply["error"]["code"].as_str()), (400, Some(code)), "{path}: {reply}");
        assert!(!reply["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, reply) =
        callbill_tests::reply(api.send(request("POST", "/v1/bills/99988526423", &[], None, &[])).await);
    assert_eq!((status, reply["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn the_default_period_is_the_previous_month_and_empty_bills_are_zero() {
    let api = TestApi::new("default-period").await;
    let now = Utc::now();
    let previous = Period::last_closed(now, chrono_tz::Tz::UTC);
    let start = format!("{previous}-10T10:00:00Z");
    let records = json!({"records": [
        {"id": 1, "call_id": 1, "timestamp": start, "source": "21987654321", "destination": "2133334444"},
        {"id": 2, "type": "end", "call_id": 1, "timestamp": format!("{previous}-10T10:02:00Z")},
    ]});
    assert_eq!(api.post("/v1/call-records/batch", &records).await.0, 200);
    let (status, bill) = api.get("/v1/bills/21987654321").await;
    assert_eq!(status, 200);
    assert_eq!((bill["period"].as_str(), bill["call_count"].as_u64()), (Some(previous.to_string().as_str()), Some(1)));
    assert_eq!(bill["total"], "R$ 0,54");

    let (status, empty) = api.get("/v1/bills/2133334444").await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            empty["call_count"].as_u64(),
            empty["total"].as_str(),
            empty["total_cents"].as_i64(),
            empty["calls"].as_array().map(Vec::len)
        ),
        (Some(0), Some("R$ 0,00"), Some(0), Some(0))
    );
}

#[tokio::test]
async fn a_call_completed_late_appears_in_its_period() {
    let api = sample_api("late").await;
    let start = json!({"id": 100, "call_id": 80, "timestamp": "2017-12-01T08:00:00Z",
                       "source": "99988526423", "destination": "1133334444"});
    assert_eq!(api.post("/v1/call-records", &start).await.0, 201);
    let (_, before) = api.get("/v1/bills/99988526423?period=2017-12").await;
    assert_eq!(before["call_count"], 6, "a started call is not billed");
    let end = json!({"id": 101, "type": "end", "call_id": 80, "timestamp": "2017-12-31T23:59:59Z"});
    assert_eq!(api.post("/v1/call-records", &end).await.0, 201);
    let (_, after) = api.get("/v1/bills/99988526423?period=2017-12").await;
    assert_eq!(after["call_count"], 7);
    // It started before every other December call, so it is the first line.
    assert_eq!(after["calls"][0]["call_id"], 80);
    let price = after["calls"][0]["price_cents"].as_i64().unwrap();
    assert_eq!(after["total_cents"].as_i64().unwrap(), 9081 + price);
    assert_eq!(after["calls"].as_array().unwrap()[1..], before["calls"].as_array().unwrap()[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_of_2500_calls_concatenate_to_the_whole_bill_in_json_and_csv() {
    let api = Arc::new(TestApi::new("pages").await);
    let expected = load_calls(&api, "21912345678", 2500).await;
    let total: i64 = expected.iter().map(|(_, _, price)| price).sum();

    let mut lines = Vec::new();
    let mut csv_lines = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    let mut json_requests = 0;
    loop {
        let query = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let path = format!("/v1/bills/21912345678?period=2017-11&limit=1000{query}");
        let before = api.requests.get();
        let (status, page) = api.get(&path).await;
        json_requests += api.requests.get() - before;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            (page["call_count"].as_u64(), page["total_cents"].as_i64()),
            (Some(2500), Some(total)),
            "every page"
        );
        lines.extend(page["calls"].as_array().unwrap().iter().cloned());

        let mut csv_request = get(&path);
        csv_request.headers_mut().insert("accept", "text/csv".parse().unwrap());
        let csv = api.send(csv_request).await;
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let next_in_header = csv.headers().get("x-next-cursor").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(next_in_header.as_deref(), page["next_cursor"].as_str());
        let mut reader = csv::Reader::from_reader(csv.body().as_ref());
        assert_eq!(
            reader.headers().unwrap(),
            vec![
                "call_id",
                "destination",
                "start_date",
                "start_time",
                "duration",
                "duration_seconds",
                "price",
                "price_cents"
            ]
        );
        for row in reader.records() {
            csv_lines.push(row.unwrap().iter().map(str::to_owned).collect::<Vec<_>>());
        }

        pages += 1;
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3, "1000 + 1000 + 500 lines");
    assert_eq!(json_requests, 3 * 2, "a query and the totals on each page: a listing is one bill");
    let order: Vec<u64> = lines.iter().map(|l| l["call_id"].as_u64().unwrap()).collect();
    let want: Vec<u64> = expected.iter().map(|(_, id, _)| *id).collect();
    assert_eq!(order, want, "by start time, then call id, across pages");
    for (line, (_, _, price)) in lines.iter().zip(&expected) {
        assert_eq!(line["price_cents"].as_i64(), Some(*price));
    }
    // CSV says the same as JSON, field by field.
    assert_eq!(csv_lines.len(), lines.len());
    for (row, line) in csv_lines.iter().zip(&lines) {
        let json_fields: Vec<String> = [
            "call_id",
            "destination",
            "start_date",
            "start_time",
            "duration",
            "duration_seconds",
            "price",
            "price_cents",
        ]
        .iter()
        .map(|k| match &line[*k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
        assert_eq!(row, &json_fields);
    }
}

/// SPEC §4: the pages of one listing are one bill. A call completed between two
/// pages makes the next page `409 bill_changed`; a listing begun again is whole.
#[tokio::test]
async fn a_bill_that_changes_between_pages_answers_bill_changed() {
    let api = sample_api("changed").await;
    let (status, first) = api.get("/v1/bills/99988526423?period=2017-12&limit=4").await;
    assert_eq!(status, 200);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let late = [
        json!({"id": 200, "call_id": 90, "timestamp": "2017-12-20T08:00:00Z", "source": "99988526423", "destination": "1133334444"}),
        json!({"id": 201, "type": "end", "call_id": 90, "timestamp": "2017-12-20T08:01:00Z"}),
    ];
    for record in &late {
        assert_eq!(api.post("/v1/call-records", record).await.0, 201);
    }
    let (status, second) = api.get(&format!("/v1/bills/99988526423?period=2017-12&limit=4&cursor={cursor}")).await;
    assert_eq!((status, second["error"]["code"].as_str()), (409, Some("bill_changed")), "{second}");

    // From the first page again: every page agrees with the totals they all show.
    let mut lines = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = api.get(&format!("/v1/bills/99988526423?period=2017-12&limit=4{cursor}")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!((page["call_count"].as_u64(), page["total_cents"].as_i64()), (Some(7), Some(9081 + 36 + 9)));
        lines.extend(page["calls"].as_array().unwrap().clone());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(lines.len(), 7);
    assert_eq!(lines.iter().map(|l| l["price_cents"].as_i64().unwrap()).sum::<i64>(), 9081 + 45);
}

/// A cursor holds a position, not totals: whatever a client does to it, the totals
/// it sees are the bill's.
#[tokio::test]
async fn a_forged_cursor_shows_no_forged_totals() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let api = sample_api("forged").await;
    let (_, first) = api.get("/v1/bills/99988526423?period=2017-12&limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).unwrap()).unwrap();
    let fields: Vec<&str> = text.split('|').collect();
    // Every number in it changed in turn, its checksum recomputed: the answer is the
    // bill's own totals, an invalid_cursor or a bill_changed, never a forged total.
    for (i, field) in fields.iter().enumerate() {
        if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) || i == 1 {
            continue;
        }
        for forged_value in ["1", "999999999"] {
            let mut forged = fields.clone();
            forged[i] = forged_value;
            let body = forged[..forged.len() - 1].join("|");
            let forged = URL_SAFE_NO_PAD.encode(format!("{body}|{:08x}", crc32fast::hash(body.as_bytes())));
            let (status, page) =
                api.get(&format!("/v1/bills/99988526423?period=2017-12&limit=2&cursor={forged}")).await;
            match status {
                200 => assert_eq!((page["call_count"].as_u64(), page["total_cents"].as_i64()), (Some(6), Some(9081))),
                400 | 409 => {
                    assert!(["invalid_cursor", "bill_changed"].contains(&page["error"]["code"].as_str().unwrap()))
                }
                other => panic!("field {i} = {forged_value}: {other} {page}"),
            }
        }
    }
    // The format of last turn, totals and all, is no cursor at all now.
    let old = "v1|99988526423|2017-12#2017-12-12T15:07:13.000000000Z#0000000000000071|1|999999999";
    let old = URL_SAFE_NO_PAD.encode(format!("{old}|{:08x}", crc32fast::hash(old.as_bytes())));
    let (status, page) = api.get(&format!("/v1/bills/99988526423?period=2017-12&limit=2&cursor={old}")).await;
    assert_eq!((status, page["error"]["code"].as_str()), (400, Some("invalid_cursor")), "{page}");
}

/// SPEC §4: a strong ETag that changes with the bill; If-None-Match answers 304.
#[tokio::test]
async fn bills_carry_an_etag_and_answer_304_to_if_none_match() {
    let api = sample_api("etag").await;
    let path = "/v1/bills/99988526423";
    let query = [("period", "2017-12")];
    let response = api.send(request("GET", path, &query, None, &[])).await;
    let etag = response.headers().get("etag").expect("an ETag").to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"), "strong: {etag}");
    let again = api.send(request("GET", path, &query, None, &[])).await;
    assert_eq!(again.headers()["etag"], etag.as_str(), "the same bill, the same tag");
    let csv = api.send(request("GET", path, &[("period", "2017-12"), ("format", "csv")], None, &[])).await;
    assert_ne!(csv.headers()["etag"], etag.as_str(), "another representation, another tag");

    for header in [etag.clone(), format!("\"other\", {etag}"), "*".to_owned(), format!("W/{etag}")] {
        let cached = api.send(request("GET", path, &query, None, &[("if-none-match", &header)])).await;
        assert_eq!(cached.status(), 304, "{header}");
        assert!(cached.body().is_empty());
        assert_eq!(cached.headers()["etag"], etag.as_str());
    }
    let other = api.send(request("GET", path, &query, None, &[("if-none-match", "\"other\"")])).await;
    assert_eq!(other.status(), 200);

    // A late call changes the bill, and its tag.
    let late = [
        json!({"id": 300, "call_id": 91, "timestamp": "2017-12-20T08:00:00Z", "source": "99988526423", "destination": "1133334444"}),
        json!({"id": 301, "type": "end", "call_id": 91, "timestamp": "2017-12-20T08:01:00Z"}),
    ];
    for record in &late {
        assert_eq!(api.post("/v1/call-records", record).await.0, 201);
    }
    let changed = api.send(request("GET", path, &query, None, &[("if-none-match", &etag)])).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], etag.as_str());
}
