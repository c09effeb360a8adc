//! `POST /v1/call-records`, `POST /v1/call-records/batch`, `GET /v1/calls/{call_id}`,
//! `GET /v1/calls` (the unmatched-records report) and `POST /v1/quote`.

use std::sync::Arc;
use std::time::Instant;

use callbill::call::ChargeView;
use callbill::http::{
    RouteResult, about_call, body_within, into_response, json_body, json_response, log_request, no_route, path_segments,
};
use callbill::ingest::CallStore;
use callbill::ingest::ingest_batch;
use callbill::legacy::olist::AddRegister;
use callbill::legacy::signaling::Signaling;
use callbill::legacy::sparrow::{self, CallRecords};
use callbill::legacy::telephony::CallEvents;
use callbill::legacy::{Posted, RecordApi, is_storage_failure};
use callbill::log;
use callbill::metrics::{self, Metric};
use callbill::quote::quote_body;
use callbill::store::Store;
use callbill::unmatched::{ReportQuery, report_page};
use callbill::{ApiError, CallId, CallRecord, Config, ErrorCode, FieldErrors, Ingested, ingest, parse_record};
use chrono::{DateTime, Utc};
use lambda_http::http::header::{CONTENT_TYPE, LINK};
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue, Method};
use lambda_http::lambda_runtime::layers::trace::request_span;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Body, Context, Error, LambdaEvent, Request, RequestExt, Response, Service, service_fn};
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

/// Largest body of one record (SPEC §2).
pub const RECORD_BODY_LIMIT: usize = 16 * 1024;
/// Largest body of a batch.
pub const BATCH_BODY_LIMIT: usize = 1024 * 1024;
/// Most records in one batch.
pub const BATCH_RECORDS_LIMIT: usize = 100;

const ROUTES: &str = "POST /v1/call-records, POST /v1/call-records/batch, GET /v1/calls, GET /v1/calls/{call_id}, \
     POST /v1/quote, POST /api/v1/add_register/, POST /signaling/, POST /v1/telephony/call-events/, \
     POST /call_records/, GET /call_records/";

pub async fn handle(store: &Store, config: &Config, request: Request) -> Result<Response<Body>, Error> {
    let started = Instant::now();
    let now = Utc::now();
    // Boxed: the routes' futures together are large, and a request's should not sit on the stack.
    let ((route, result), counts) = Box::pin(metrics::measured(async {
        match (request.method(), path_segments(&request).as_slice()) {
            (&Method::POST, ["v1", "call-records"]) => ("post_record", post_record(store, config, &request, now).await),
            (&Method::POST, ["v1", "call-records", "batch"]) => {
                ("post_batch", post_batch(store, config, &request, now).await)
            }
            (&Method::GET, ["v1", "calls"]) => ("get_unmatched", get_unmatched(store, config, &request, now).await),
            (&Method::GET, ["v1", "calls", call_id]) => ("get_call", get_call(store, call_id).await),
            (&Method::POST, ["v1", "quote"]) => ("post_quote", post_quote(config, &request, now)),
            // The earlier systems' record routes (SPEC §10), with or without the trailing slash.
            (&Method::POST, ["api", "v1", "add_register"]) => {
                ("add_register", Ok(legacy_record(&AddRegister, store, config, &request, now).await))
            }
            (&Method::POST, ["signaling"]) => {
                ("signaling", Ok(legacy_record(&Signaling, store, config, &request, now).await))
            }
            (&Method::POST, ["v1", "telephony", "call-events"]) => {
                ("call_events", Ok(legacy_record(&CallEvents, store, config, &request, now).await))
            }
            (&Method::POST, ["call_records"]) => {
                ("sparrow_post", Ok(legacy_record(&CallRecords, store, config, &request, now).await))
            }
            (&Method::GET, ["call_records"]) => ("sparrow_list", list_call_records(store, &request).await),
            _ => ("none", Err(no_route(&request, ROUTES))),
        }
    }))
    .await;
    let mut response = into_response(result);
    log_request(route, &mut response, counts, started);
    Ok(response)
}

/// The POSTs start-up answers to itself (path, body): a quote of a nine-hour call,
/// priced in both bands, and a start record refused for its destination before
/// anything is stored.
const WARM_UP_REQUESTS: [(&str, &str); 2] = [
    ("/v1/quote", r#"{"start": "2017-12-12T15:07:13Z", "end": "2017-12-13T00:07:13Z"}"#),
    (
        "/v1/call-records",
        r#"{"type": "start", "call_id": 1, "timestamp": "2017-12-12T15:07:13Z", "source": "2199999999", "destination": "none"}"#,
    ),
];

/// Answers [`WARM_UP_REQUESTS`] at start-up as the runtime answers an event: each is
/// read from an API Gateway event's bytes, gets a context made from the Runtime
/// API's headers, goes through lambda_http's adapter (the request made from the
/// event, the handler, the response made for API Gateway) inside the runtime's
/// request span, which its log lines carry, and its response is written as the JSON
/// the runtime posts, all with the log held back. The first request then runs on
/// code and memory they have already brought in, and on stack already mapped,
/// closer to the second's time (issue 13; BENCHMARKS.md has what is left). Neither
/// stores anything, and the held-back log writes nothing. The JSON of their
/// responses comes back, for the tests to show they went the whole way.
pub async fn warm_up(store: &Store, config: &Config) -> Result<Vec<Vec<u8>>, Error> {
    let mut service = Adapter::from(service_fn(|request| handle(store, config, request)));
    let headers = warm_up_headers();
    let mut answers = Vec::new();
    for (path, body) in WARM_UP_REQUESTS {
        let event = serde_json::json!({
            "version": "2.0",
            "rawPath": path,
            "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {"http": {"method": "POST", "path": path}},
            "body": body,
            "isBase64Encoded": false,
        });
        let event: LambdaRequest = serde_json::from_slice(&serde_json::to_vec(&event)?)?;
        let context = Context::new("warm-up", Arc::default(), &headers)?;
        let span = request_span(&context);
        let response = log::held_back(service.call(LambdaEvent::new(event, context)).instrument(span)).await?;
        answers.push(serde_json::to_vec(&response)?);
    }
    map_stack();
    Ok(answers)
}

/// The headers the Runtime API sends with an event, which the runtime makes the
/// event's context and request span from.
fn warm_up_headers() -> HeaderMap {
    HeaderMap::from_iter([
        (HeaderName::from_static("lambda-runtime-deadline-ms"), HeaderValue::from_static("0")),
        (
            HeaderName::from_static("lambda-runtime-invoked-function-arn"),
            HeaderValue::from_static("arn:aws:lambda:us-east-1:000000000000:function:call-records"),
        ),
        (
            HeaderName::from_static("lambda-runtime-trace-id"),
            HeaderValue::from_static("Root=1-00000000-000000000000000000000000;Sampled=0"),
        ),
    ])
}

/// How much of the stack start-up maps. The runtime polls a request about 100 KiB
/// down the main thread's stack (`/proc/<pid>/smaps`), 20 KiB deeper than start-up
/// reaches, and each page touched for the first time is a page fault: five in the
/// first request (`perf record -e page-faults`), none in the second.
const STACK_MAPPED_AT_START_UP: usize = 256 * 1024;

/// Writes [`STACK_MAPPED_AT_START_UP`] bytes of stack below this frame, so that the
/// kernel maps those pages now instead of during the first request.
#[inline(never)]
fn map_stack() {
    let pages = [0u8; STACK_MAPPED_AT_START_UP];
    std::hint::black_box(&pages);
}

async fn post_record(store: &Store, config: &Config, request: &Request, now: DateTime<Utc>) -> RouteResult {
    let body = json_body(request, RECORD_BODY_LIMIT)?;
    let ingested = ingest_one(store, config, &body, now).await?;
    let call_id = ingested.record().call_id;
    Ok(about_call(json_response(ingested.status(), ingested.record()), call_id))
}

async fn ingest_one(store: &Store, config: &Config, body: &Value, now: DateTime<Utc>) -> Result<Ingested, ApiError> {
    let ingested = match parse_record(body, now, config.zone) {
        Ok(record) => ingest(store, record, &config.tariffs, config.zone).await,
        Err(error) => Err(error),
    };
    count_outcome(&ingested);
    ingested
}

fn count_outcome(ingested: &Result<Ingested, ApiError>) {
    match ingested {
        Ok(Ingested::Created(_)) => metrics::count(Metric::RecordsCreated),
        Ok(Ingested::Replayed(_)) => metrics::count(Metric::RecordsReplayed),
        // A 5xx refuses nothing: it is counted as Unavailable with its answer.
        Err(error) if error.status() < 500 => metrics::count(Metric::RecordsRefused(error.code)),
        Err(_) => {}
    }
}

/// One record's result in a batch answer.
#[derive(Serialize)]
struct BatchResult<'a> {
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'a CallRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ApiError>,
}

#[derive(Serialize)]
struct BatchAnswer<'a> {
    results: Vec<BatchResult<'a>>,
}

/// Each record on its own, as if in order (one failing does not stop the others);
/// records of different calls are stored at once.
async fn post_batch(store: &Store, config: &Config, request: &Request, now: DateTime<Utc>) -> RouteResult {
    let records = batch_records(json_body(request, BATCH_BODY_LIMIT)?)?;
    let parsed = records.iter().map(|body| parse_record(body, now, config.zone)).collect();
    let outcomes = ingest_batch(store, parsed, &config.tariffs, config.zone).await;
    outcomes.iter().for_each(count_outcome);
    let results = outcomes
        .iter()
        .map(|outcome| match outcome {
            Ok(ingested) => BatchResult { status: ingested.status(), record: Some(ingested.record()), error: None },
            Err(error) => BatchResult { status: error.status(), record: None, error: Some(error) },
        })
        .collect();
    Ok(json_response(200, &BatchAnswer { results }))
}

/// The records of a batch body `{"records": [...]}`, 1 to [`BATCH_RECORDS_LIMIT`].
fn batch_records(body: Value) -> Result<Vec<Value>, ApiError> {
    let Value::Object(object) = body else {
        return Err(ApiError::new(ErrorCode::InvalidRecord, "a batch must be a JSON object: {\"records\": [...]}"));
    };
    let mut errors = FieldErrors::new();
    let mut records = None;
    for (name, value) in object {
        match (name.as_str(), value) {
            ("records", Value::Array(list)) if (1..=BATCH_RECORDS_LIMIT).contains(&list.len()) => records = Some(list),
            ("records", _) => errors.add(&name, format!("must be an array of 1 to {BATCH_RECORDS_LIMIT} records")),
            _ => errors.add(&name, "unknown field; a batch has only records"),
        }
    }
    if records.is_none() && !errors.contains_key("records") {
        errors.add("records", "required");
    }
    match records {
        Some(records) if errors.is_empty() => Ok(records),
        _ => Err(ApiError::invalid_record(errors)),
    }
}

/// The unmatched-records report: calls with only a start or only an end.
async fn get_unmatched(store: &Store, config: &Config, request: &Request, now: DateTime<Utc>) -> RouteResult {
    let query = ReportQuery::parse(&request.query_string_parameters(), now, config.zone)?;
    Ok(json_response(200, &report_page(store, &query).await?))
}

/// The price a call would get, read and priced as a completing pair is; no storage.
fn post_quote(config: &Config, request: &Request, now: DateTime<Utc>) -> RouteResult {
    let body = json_body(request, RECORD_BODY_LIMIT)?;
    let charge = quote_body(&body, now, &config.tariffs, config.zone)?;
    Ok(json_response(200, &ChargeView::from(&charge)))
}

/// An earlier API's record route: its adapter reads the request into a /v1 record,
/// the domain stores it, and the adapter answers in its own shapes. Storage
/// failures keep the /v1 envelope and `Retry-After`.
async fn legacy_record(
    api: &impl RecordApi,
    store: &Store,
    config: &Config,
    request: &Request,
    now: DateTime<Utc>,
) -> Response<Body> {
    let body = match body_within(request, RECORD_BODY_LIMIT) {
        Ok(body) => body,
        Err(error) => return into_response(Err(error)),
    };
    let content_type = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let posted = Posted { body, form: content_type.starts_with("application/x-www-form-urlencoded") };
    let v1_record = match api.record(&posted) {
        Ok(v1_record) => v1_record,
        Err(reply) => return reply.into_response(),
    };
    let result = ingest_one(store, config, &v1_record, now).await;
    match &result {
        Err(error) if is_storage_failure(error) => into_response(Err(error.clone())),
        Ok(ingested) => about_call(api.answer(&result).into_response(), ingested.record().call_id),
        Err(_) => api.answer(&result).into_response(),
    }
}

/// Sparrow's `GET /call_records/`: every stored record once, in the table's order,
/// with the next page in a `Link` header.
async fn list_call_records(store: &Store, request: &Request) -> RouteResult {
    let (limit, after) = match sparrow::listing_query(&request.query_string_parameters()) {
        Ok(query) => query,
        Err(reply) => return Ok(reply.into_response()),
    };
    let (calls, more) = store.scan_calls(after, limit).await?;
    let (records, resume_after) = sparrow::listing_page(&calls, limit, more);
    let mut response = json_response(200, &records);
    if let Some(call_id) = resume_after {
        let link = format!("</call_records/?limit={limit}&cursor={call_id}>; rel=\"next\"");
        response.headers_mut().insert(LINK, HeaderValue::from_str(&link).expect("ASCII"));
    }
    Ok(response)
}

async fn get_call(store: &Store, call_id: &str) -> RouteResult {
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("there is no call {call_id}"));
    let id: CallId = CallId::parse(call_id).ok_or_else(not_found)?;
    let call = store.read_call(id).await?.ok_or_else(not_found)?;
    Ok(about_call(json_response(200, &call.state.view(id)), id))
}
