//! The four earlier systems' APIs (SPEC §10) on their own routes, through the real
//! handlers against DynamoDB Local: each seed document's sample requests verbatim,
//! the sample data set through each API, every documented error, and records
//! crossing APIs.

use callbill_tests::{TestApi, reply, request, sample};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

/// Status and body of a response as text.
fn text(response: Response<Body>) -> (u16, String) {
    (response.status().as_u16(), String::from_utf8_lossy(response.body().as_ref()).into_owned())
}

async fn post(api: &TestApi, path: &str, body: &str) -> (u16, Value) {
    reply(api.send(request("POST", path, &[], Some(body), &[])).await)
}

async fn post_text(api: &TestApi, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, String) {
    text(api.send(request("POST", path, &[], Some(body), headers)).await)
}

async fn get(api: &TestApi, path: &str, query: &[(&str, &str)]) -> Response<Body> {
    api.send(request("GET", path, query, None, &[])).await
}

/// Each field the document shows is there with the document's value.
fn assert_fields(got: &Value, want: &Value, what: &str) {
    for (key, value) in want.as_object().unwrap() {
        assert_eq!(&got[key], value, "{what}: {key} in {got}");
    }
}

#[tokio::test]
async fn seed_000_002_samples_work_verbatim() {
    let api = TestApi::new("seed-002").await;
    // Sample calls of the document, bodies as written there.
    let start = r#"{
        "call_id": 71, "source": "99988526423",
        "timestamp": "2017-12-12T15:07:13Z", "destination": "9993468278",
        "id": 1, "type": "start"
    }"#;
    let end = r#"{
        "call_id": 71,
        "timestamp": "2017-12-13T15:07:13Z",
        "id": 2, "type": "end"
    }"#;
    let (status, body) = post(&api, "/api/v1/add_register/", start).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body,
        json!({"id": 1, "type": "start", "timestamp": "2017-12-12 15:07:13", "call_id": 71,
               "source": "99988526423", "destination": "9993468278"})
    );
    let (status, body) = post(&api, "/api/v1/add_register", end).await;
    assert_eq!(
        (status, body),
        (201, json!({"id": 2, "type": "end", "timestamp": "2017-12-13 15:07:13", "call_id": 71}))
    );
    assert_eq!(post(&api, "/api/v1/add_register/", end).await.0, 200, "an exact replay");

    // The bill sample: a call that makes it, then the document's URL.
    post(&api, "/api/v1/add_register/", r#"{"id": 3, "type": "start", "timestamp": "2018-03-12T15:07:13Z", "call_id": 72, "source": "99988526423", "destination": "9993468278"}"#).await;
    post(
        &api,
        "/api/v1/add_register/",
        r#"{"id": 4, "type": "end", "timestamp": "2018-03-12T17:10:13Z", "call_id": 72}"#,
    )
    .await;
    let response = get(&api, "/api/v1/get_phone_bill/", &[("source", "99988526423"), ("period", "03/2018")]).await;
    let (status, body) = text(response);
    assert_eq!(status, 200);
    assert!(body.ends_with(r#""amount":11.43}"#), "amount is a number with two decimals: {body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"source": "99988526423",
               "calls": [{"destination": "9993468278", "start_date": "12/03/2018", "start_time": "15:07:13",
                          "call_duration": "2h:3m:0s", "price": "R$ 11.43"}],
               "period": "3/2018", "amount": 11.43})
    );
}

#[tokio::test]
async fn seed_000_002_errors_are_the_documents() {
    let api = TestApi::new("seed-002-errors").await;
    let cases = [
        (
            r#"{"type": "start", "call_id": 1, "timestamp": "2017-12-12T15:07:13Z", "source": "99988526423", "destination": "9993468278"}"#,
            400,
            json!({"id": "This field is required."}),
        ),
        (
            r#"{"id": 1, "call_id": 1, "timestamp": "2017-12-12T15:07:13Z"}"#,
            400,
            json!({"type": "This field is required."}),
        ),
        (
            r#"{"id": 1, "type": "end", "timestamp": "2017-12-12T15:07:13Z"}"#,
            400,
            json!({"call_id": "This field is required."}),
        ),
        (
            r#"{"id": 1, "type": "start", "call_id": 1, "timestamp": "2017-12-12T15:07:13Z"}"#,
            400,
            json!({"error": "source and destination is required for this type"}),
        ),
        (
            r#"{"id": 1, "type": "start", "call_id": 1, "timestamp": "2017-12-12T15:07:13Z", "source": "123", "destination": "9993468278"}"#,
            400,
            json!({"source": "must be 10 or 11 digits (area code + 8 or 9 digits, no spaces or signs)"}),
        ),
    ];
    for (body, status, want) in cases {
        assert_eq!(post(&api, "/api/v1/add_register/", body).await, (status, want), "{body}");
    }
    let ok = r#"{"id": 1, "type": "start", "call_id": 1, "timestamp": "2017-12-12T15:07:13Z", "source": "99988526423", "destination": "9993468278"}"#;
    assert_eq!(post(&api, "/api/v1/add_register/", ok).await.0, 201);
    let taken = r#"{"id": 1, "type": "start", "call_id": 2, "timestamp": "2017-12-12T15:07:13Z", "source": "99988526423", "destination": "9993468278"}"#;
    assert_eq!(
        post(&api, "/api/v1/add_register/", taken).await,
        (409, json!({"id": "Already register exist with this id"}))
    );
    let again = r#"{"id": 5, "type": "start", "call_id": 1, "timestamp": "2017-12-12T15:07:13Z", "source": "99988526423", "destination": "9993468278"}"#;
    let (status, body) = post(&api, "/api/v1/add_register/", again).await;
    assert_eq!(status, 409);
    assert!(body["error"].as_str().unwrap().contains("already has a different start"), "{body}");

    for (query, field) in [
        (vec![("period", "12/2017")], "source"),
        (vec![("source", "99988526423"), ("period", "2017-12")], "period"),
        (vec![("source", "99988526423"), ("period", "13/2017")], "period"),
    ] {
        let (status, body) = reply(get(&api, "/api/v1/get_phone_bill/", &query).await);
        assert_eq!(status, 400, "{query:?}");
        assert!(body.get(field).is_some(), "{query:?}: {body}");
    }
    let (_, body) = reply(get(&api, "/api/v1/get_phone_bill/", &[("period", "12/2017")]).await);
    assert_eq!(body, json!({"source": "this is a required field"}));
    let (_, body) =
        reply(get(&api, "/api/v1/get_phone_bill/", &[("source", "99988526423"), ("period", "2017/12")]).await);
    assert_eq!(body, json!({"period": "The format field is MM/YYYY, please informe a valid month/year"}));
}

#[tokio::test]
async fn seed_001_samples_and_errors_are_the_documents() {
    let api = TestApi::new("seed-001").await;
    let start = r#"{"id": 35, "callType": "Start", "call_id": 19, "timestamp": "2018-01-04 17:31:38-03:00", "source": "11991232344", "destination": "1199434533"}"#;
    assert_eq!(post_text(&api, "/signaling/", start, &[]).await, (201, "signaling success".to_owned()));
    // The document's payload sample, with the comma its text lacks after 19.
    let payload = "{\n    \"id\": 36,\n    \"callType\": \"End\",\n    \"call_id\": 19,\n    \"timestamp\": \"2018-01-04 18:31:38-03:00\"\n}";
    assert_eq!(post_text(&api, "/signaling/", payload, &[]).await, (201, "signaling success".to_owned()));
    assert_eq!(post_text(&api, "/signaling", payload, &[]).await, (200, "signaling success".to_owned()), "a replay");
    let (_, call) = api.get("/v1/calls/19").await;
    // 20:31:38Z to 21:31:38Z: an hour at the standard rate, 36 + 60 × 9 centavos.
    assert_eq!((call["status"].as_str(), call["price"].as_str()), (Some("completed"), Some("R$ 5,76")));
    // Its form fields work too.
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let start_form =
        "id=40&callType=start&call_id=20&timestamp=2018-01-05+10%3A00%3A00Z&source=11991232344&destination=1199434533";
    assert_eq!(post_text(&api, "/signaling/", start_form, &form).await.0, 201);

    let lines = [
        (
            r#"{"id": "x", "callType": "Start", "call_id": 21, "timestamp": "2018-01-05T10:00:00Z"}"#,
            "id error - input id is not a number",
        ),
        (
            r#"{"id": -4, "callType": "Start", "call_id": 21, "timestamp": "2018-01-05T10:00:00Z"}"#,
            "id error - input id is negative",
        ),
        (
            r#"{"id": 35, "callType": "Start", "call_id": 21, "timestamp": "2018-01-05T10:00:00Z", "source": "11991232344", "destination": "1199434533"}"#,
            "id error - an id already exists",
        ),
        (
            r#"{"id": 50, "callType": "Middle", "call_id": 21, "timestamp": "2018-01-05T10:00:00Z"}"#,
            "callType error - invalid field",
        ),
        (
            r#"{"id": 50, "callType": "End", "call_id": "y", "timestamp": "2018-01-05T10:00:00Z"}"#,
            "call_id error - input call_id is not a number",
        ),
        (
            r#"{"id": 50, "callType": "End", "call_id": -1, "timestamp": "2018-01-05T10:00:00Z"}"#,
            "call_id error - input call_id is negative",
        ),
        (
            r#"{"id": 50, "callType": "Start", "call_id": 19, "timestamp": "2018-01-04T20:00:00Z", "source": "11991232344", "destination": "1199434533"}"#,
            "call_id error - Call already started",
        ),
        (
            r#"{"id": 50, "callType": "End", "call_id": 19, "timestamp": "2018-01-04T22:00:00Z"}"#,
            "call_id error - Call already finished",
        ),
        (
            r#"{"id": 50, "callType": "Start", "call_id": 21, "timestamp": "2018-01-05T10:00:00Z", "source": "1", "destination": "1199434533"}"#,
            "source error - Invalid source",
        ),
        (
            r#"{"id": 50, "callType": "Start", "call_id": 21, "timestamp": "2018-01-05T10:00:00Z", "source": "11991232344", "destination": "x"}"#,
            "destination error - Invalid destination",
        ),
        (
            r#"{"id": 50, "callType": "Start", "call_id": 21, "timestamp": "soon", "source": "11991232344", "destination": "1199434533"}"#,
            "timestamp error - Invalid timestamp",
        ),
        (
            r#"{"id": 50, "callType": "End", "call_id": 20, "timestamp": "2018-01-05T09:00:00Z"}"#,
            "timing error call timing error, cannot signal call end with a timestamp earlier than call start",
        ),
    ];
    for (body, line) in lines {
        assert_eq!(post_text(&api, "/signaling/", body, &[]).await, (400, line.to_owned()), "{body}");
    }
    // An end before its start is accepted, as on /v1.
    let early_end = r#"{"id": 60, "callType": "End", "call_id": 30, "timestamp": "2018-01-05T10:00:00Z"}"#;
    assert_eq!(post_text(&api, "/signaling/", early_end, &[]).await.0, 201);

    // The bill: the document's call sample (a month without calls), a month with one.
    let response = get(&api, "/billing/bill", &[("source", "1234567891"), ("year", "2018"), ("month", "2")]).await;
    assert_eq!(text(response), (200, "No calls recorded on period.".to_owned()));
    let (status, bill) =
        reply(get(&api, "/billing/bill", &[("source", "11991232344"), ("year", "2018"), ("month", "1")]).await);
    assert_eq!((status, bill["total"].as_str(), bill["call_count"].as_u64()), (200, Some("R$ 5,76"), Some(1)));
    for query in [
        vec![("year", "2018"), ("month", "1")],
        vec![("source", "11991232344"), ("year", "2018")],
        vec![("source", "11991232344"), ("year", "2999"), ("month", "1")],
    ] {
        assert_eq!(text(get(&api, "/billing/bill/", &query).await), (400, "Input error.".to_owned()), "{query:?}");
    }
}

#[tokio::test]
async fn seed_003_samples_and_errors_are_the_documents() {
    let api = TestApi::new("seed-003").await;
    // The document's examples, without their comments.
    let start = r#"{"type": "start", "timestamp": 1527001196, "call_id": 123, "source": "11991232344", "destination": "11994345337"}"#;
    let end = r#"{"type": "end", "timestamp": 1527001199, "call_id": 123}"#;
    let (status, body) = post(&api, "/v1/telephony/call-events/", start).await;
    assert_eq!(
        (status, body),
        (
            201,
            json!({"type": "start", "timestamp": 1527001196, "call_id": 123, "source": "11991232344", "destination": "11994345337"})
        )
    );
    let (status, body) = post(&api, "/v1/telephony/call-events", end).await;
    assert_eq!((status, body), (201, json!({"type": "end", "timestamp": 1527001199, "call_id": 123})));
    // null counts as absent: a start with server-assigned call_id and timestamp.
    let (status, body) = post(
        &api,
        "/v1/telephony/call-events/",
        r#"{"type": null, "timestamp": null, "call_id": null, "source": "11991232344", "destination": "11994345337"}"#,
    )
    .await;
    assert_eq!((status, body["type"].as_str()), (201, Some("start")), "{body}");
    assert!(body["call_id"].as_u64().unwrap() >= 1 << 52);

    let (status, body) = post(&api, "/v1/telephony/call-events/", r#"{"type": "end", "source": "1"}"#).await;
    assert_eq!(status, 400);
    assert!(body["call_id"][0].as_str().is_some() && body["source"][0].as_str().is_some(), "{body}");
    let (status, body) =
        post(&api, "/v1/telephony/call-events/", r#"{"type": "end", "timestamp": 1527001200, "call_id": 123}"#).await;
    assert_eq!(status, 409);
    assert!(body["detail"].as_str().unwrap().contains("already has a different end"), "{body}");

    // The bill report example, with the sample data set behind it.
    let (status, _) = api.post("/v1/call-records/batch", &json!({"records": sample()["records"]})).await;
    assert_eq!(status, 200);
    let (status, report) =
        reply(get(&api, "/v1/telephony/bill-report/99988526423/", &[("month", "12"), ("year", "2017")]).await);
    assert_eq!(status, 200);
    let want: Value = serde_json::from_str(r#"{"count": 6, "filters": {"month": 12, "year": 2017}, "objects": [
      {"destination": "9993468278", "start_date": "2017-12-12", "start_time": "15:07:13", "duration": "0h7m43s", "price": "R$ 0,99"},
      {"destination": "9993468278", "start_date": "2017-12-12", "start_time": "22:47:56", "duration": "0h3m0s", "price": "R$ 0,36"},
      {"destination": "9993468278", "start_date": "2017-12-12", "start_time": "21:57:13", "duration": "0h13m43s", "price": "R$ 0,54"},
      {"destination": "9993468278", "start_date": "2017-12-12", "start_time": "04:57:13", "duration": "1h13m43s", "price": "R$ 1,26"},
      {"destination": "9993468278", "start_date": "2017-12-12", "start_time": "21:57:13", "duration": "24h13m43s", "price": "R$ 86,94"},
      {"destination": "9993468278", "start_date": "2017-12-12", "start_time": "15:07:58", "duration": "0h4m58s", "price": "R$ 0,72"}]}"#).unwrap();
    assert_eq!((&report["count"], &report["filters"]), (&want["count"], &want["filters"]));
    // The document lists them in its storage order; callbill by start time, then call id.
    let sorted = |v: &Value| {
        let mut objects: Vec<String> = v["objects"].as_array().unwrap().iter().map(Value::to_string).collect();
        objects.sort();
        objects
    };
    assert_eq!(sorted(&report), sorted(&want));
    let (status, body) =
        reply(get(&api, "/v1/telephony/bill-report/99988526423/", &[("month", "11"), ("year", "2026")]).await);
    assert_eq!(status, 400);
    assert!(body["detail"].as_str().unwrap().contains("has not ended"), "{body}");
}

#[tokio::test]
async fn seed_004_sparrow_samples_and_errors_are_the_documents() {
    let api = TestApi::new("seed-004").await;
    let start = r#"{"id": 21, "call_id": 12, "type": "start", "timestamp": "2018-01-02T22:10:56Z", "source": "2111223344", "destination": "1111223344"}"#;
    let end = r#"{"id": 25, "call_id": 12, "type": "end", "timestamp": "2018-01-02T23:10:56Z"}"#;
    assert_eq!(post(&api, "/call_records/", start).await, (201, serde_json::from_str(start).unwrap()));
    assert_eq!(post(&api, "/call_records", end).await, (201, serde_json::from_str(end).unwrap()));
    let (status, listing) = reply(get(&api, "/call_records/", &[]).await);
    assert_eq!(
        (status, listing),
        (200, json!([serde_json::from_str::<Value>(start).unwrap(), serde_json::from_str::<Value>(end).unwrap()]))
    );
    let (status, body) =
        post(&api, "/call_records/", r#"{"call_id": 12, "type": "end", "timestamp": "2018-01-02T23:11:56Z"}"#).await;
    assert_eq!((status, body), (400, json!({"detail": "Call record already exists"})));
    let (status, body) =
        post(&api, "/call_records/", r#"{"call_id": 13, "type": "middle", "timestamp": "2018-01-02T23:11:56Z"}"#).await;
    assert_eq!(status, 400);
    assert!(body["type"][0].as_str().is_some(), "{body}");
    let (status, body) = post(&api, "/call_records/", r#"{"type": "end", "timestamp": "2018-01-02T23:11:56Z"}"#).await;
    assert_eq!((status, body), (400, json!({"call_id": ["This field is required."]})));
    let (_, created) =
        post(&api, "/call_records/", r#"{"call_id": 14, "type": "end", "timestamp": "2018-01-02T23:11:56Z"}"#).await;
    assert_eq!(created["id"], Value::Null, "no id given");

    // The bill example: three calls of 1122334455 in January 2018.
    for (i, (start, end)) in [
        ("2018-01-01T10:00:00Z", "2018-01-01T11:00:00Z"),
        ("2018-01-02T11:00:00Z", "2018-01-02T12:00:00Z"),
        ("2018-01-03T12:00:00Z", "2018-01-03T14:00:00Z"),
    ]
    .iter()
    .enumerate()
    {
        let call_id = 100 + i;
        post(&api, "/call_records/", &json!({"call_id": call_id, "type": "start", "timestamp": start, "source": "1122334455", "destination": "2199997777"}).to_string()).await;
        post(&api, "/call_records/", &json!({"call_id": call_id, "type": "end", "timestamp": end}).to_string()).await;
    }
    let (status, bill) = reply(
        get(&api, "/call_records/telephone_bill/", &[("subscriber", "1122334455"), ("reference_period", "201801")])
            .await,
    );
    assert_eq!(status, 200);
    let want: Value = serde_json::from_str(r#"{
        "subscriber": "1122334455",
        "reference_period": "201801",
        "call_records": [
            {"destination": "2199997777", "duration": "1h", "price": "R$ 5,76", "start_date": "2018-01-01", "start_time": "10:00:00Z"},
            {"destination": "2199997777", "duration": "1h", "price": "R$ 5,76", "start_date": "2018-01-02", "start_time": "11:00:00Z"},
            {"destination": "2199997777", "duration": "2h", "price": "R$ 11,16", "start_date": "2018-01-03", "start_time": "12:00:00Z"}
        ]
    }"#).unwrap();
    assert_eq!(bill, want);
    let (status, body) = reply(
        get(&api, "/call_records/telephone_bill", &[("subscriber", "1122334455"), ("reference_period", "202611")])
            .await,
    );
    assert_eq!((status, body), (400, json!({"detail": "Reference period 202611 is not closed yet"})));
    // Only YYYYMM: other spellings of a period, even of six characters, are refused.
    for spelling in ["2018-01", "1/2018", "01/2018", "2018-1"] {
        let (status, body) = reply(
            get(&api, "/call_records/telephone_bill", &[("subscriber", "1122334455"), ("reference_period", spelling)])
                .await,
        );
        assert_eq!(
            (status, body),
            (400, json!({"reference_period": ["Reference period should be in the YYYYMM format"]})),
            "{spelling}"
        );
    }
    let (status, body) = reply(get(&api, "/call_records/telephone_bill", &[("subscriber", "12")]).await);
    assert_eq!(status, 400);
    assert!(body["subscriber"][0].as_str().is_some(), "{body}");
}

#[tokio::test]
async fn the_listing_gives_every_record_once_in_pages() {
    let api = TestApi::new("sparrow-listing").await;
    let (status, _) = api.post("/v1/call-records/batch", &json!({"records": sample()["records"]})).await;
    assert_eq!(status, 200);
    let mut seen = Vec::new();
    let mut query = vec![("limit".to_owned(), "3".to_owned())];
    loop {
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let response = get(&api, "/call_records/", &pairs).await;
        let link = response.headers().get("link").map(|l| l.to_str().unwrap().to_owned());
        let (status, page) = reply(response);
        assert_eq!(status, 200);
        assert!(page.as_array().unwrap().len() <= 3);
        seen.extend(
            page.as_array()
                .unwrap()
                .iter()
                .map(|r| (r["call_id"].as_u64().unwrap(), r["type"].as_str().unwrap().to_owned())),
        );
        let Some(link) = link else { break };
        assert!(link.starts_with("</call_records/?") && link.ends_with(">; rel=\"next\""), "{link}");
        let url = link.trim_start_matches("</call_records/?").trim_end_matches(">; rel=\"next\"");
        query = url.split('&').map(|p| p.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).unwrap()).collect();
    }
    seen.sort();
    let mut want: Vec<(u64, String)> = sample()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["call_id"].as_u64().unwrap(), r["type"].as_str().unwrap().to_owned()))
        .collect();
    want.sort();
    assert_eq!(seen, want, "every record exactly once");
}

/// The sample data set through each API, in random order: each API's December 2017
/// bill of 99988526423 is the /v1 bill (R$ 90,81).
#[tokio::test]
async fn the_sample_through_each_api_gives_the_v1_bill() {
    let records = sample()["records"].as_array().unwrap().clone();
    for (name, path) in [
        ("olist", "/api/v1/add_register/"),
        ("signaling", "/signaling/"),
        ("telephony", "/v1/telephony/call-events/"),
        ("sparrow", "/call_records/"),
    ] {
        let api = TestApi::new(&format!("sample-{name}")).await;
        let mut shuffled = records.clone();
        fastrand::Rng::with_seed(name.len() as u64).shuffle(&mut shuffled);
        for record in shuffled {
            let mut body = record.clone();
            if name == "signaling" {
                let kind = body.as_object_mut().unwrap().remove("type").unwrap();
                body["callType"] = kind;
            }
            let (status, answer) = text(api.send(request("POST", path, &[], Some(&body.to_string()), &[])).await);
            assert_eq!(status, 201, "{name}: {body} -> {answer}");
        }
        let (_, v1) = api.get("/v1/bills/99988526423?period=2017-12").await;
        assert_eq!((v1["total"].as_str(), v1["call_count"].as_u64()), (Some("R$ 90,81"), Some(6)), "{name}");
        let v1_prices: Vec<String> =
            v1["calls"].as_array().unwrap().iter().map(|c| c["price"].as_str().unwrap().to_owned()).collect();
        let lines = |bill: &Value, key: &str| -> Vec<String> {
            bill[key].as_array().unwrap().iter().map(|c| c["price"].as_str().unwrap().replace('.', ",")).collect()
        };
        let (_, olist) =
            reply(get(&api, "/api/v1/get_phone_bill/", &[("source", "99988526423"), ("period", "12/2017")]).await);
        assert_eq!((lines(&olist, "calls"), olist["amount"].as_f64()), (v1_prices.clone(), Some(90.81)), "{name}");
        let (_, signaling) =
            reply(get(&api, "/billing/bill", &[("source", "99988526423"), ("year", "2017"), ("month", "12")]).await);
        assert_eq!(signaling["calls"], v1["calls"], "{name}");
        assert_eq!(signaling["total"], "R$ 90,81");
        let (_, telephony) =
            reply(get(&api, "/v1/telephony/bill-report/99988526423/", &[("month", "12"), ("year", "2017")]).await);
        assert_eq!(lines(&telephony, "objects"), v1_prices, "{name}");
        let (_, sparrow) = reply(
            get(
                &api,
                "/call_records/telephone_bill/",
                &[("subscriber", "99988526423"), ("reference_period", "201712")],
            )
            .await,
        );
        assert_eq!(lines(&sparrow, "call_records"), v1_prices, "{name}");
    }
}

#[tokio::test]
async fn a_start_through_one_api_and_its_end_through_another_is_one_call() {
    let api = TestApi::new("cross-api").await;
    let start = r#"{"id": 7, "callType": "start", "call_id": 55, "timestamp": "2017-12-12T15:07:13Z", "source": "99988526423", "destination": "9993468278"}"#;
    assert_eq!(post_text(&api, "/signaling/", start, &[]).await.0, 201);
    let end = r#"{"id": 8, "call_id": 55, "type": "end", "timestamp": "2017-12-12T15:14:56Z"}"#;
    assert_eq!(post(&api, "/call_records/", end).await.0, 201);
    let (_, call) = api.get("/v1/calls/55").await;
    assert_eq!((call["status"].as_str(), call["price_cents"].as_i64()), (Some("completed"), Some(99)));
    // Seen by every API: a replay through 000's route, the same price on every bill.
    let replay = r#"{"id": 8, "type": "end", "call_id": 55, "timestamp": "2017-12-12T15:14:56Z"}"#;
    assert_eq!(post(&api, "/api/v1/add_register/", replay).await.0, 200);
    let (_, bill) =
        reply(get(&api, "/api/v1/get_phone_bill/", &[("source", "99988526423"), ("period", "12/2017")]).await);
    assert_eq!(bill["calls"][0]["price"], "R$ 0.99");
    assert_fields(&bill, &json!({"amount": 0.99, "period": "12/2017"}), "000 bill");
}
