//! `POST /v1/call-records`, `POST /v1/call-records/batch` and `GET /v1/calls/{call_id}`.

use std::time::Instant;

use callbill::digits::parse_digits;
use callbill::http::{error_response, json_body, json_response, log_request, no_route, path_segments};
use callbill::store::{Ingested, Store};
use callbill::{ApiError, CallId, Config, ErrorCode, FieldErrors, parse_record};
use chrono::{DateTime, Utc};
use lambda_http::http::Method;
use lambda_http::{Body, Error, Request, Response};
use serde_json::{Value, json};

/// Largest body of one record (SPEC §2).
pub const RECORD_BODY_LIMIT: usize = 16 * 1024;
/// Largest body of a batch.
pub const BATCH_BODY_LIMIT: usize = 1024 * 1024;
/// Most records in one batch.
pub const BATCH_RECORDS_LIMIT: usize = 100;

const ROUTES: &str = "POST /v1/call-records, POST /v1/call-records/batch, GET /v1/calls/{call_id}";

pub async fn handle(store: &Store, config: &Config, request: Request) -> Result<Response<Body>, Error> {
    let started = Instant::now();
    let now = Utc::now();
    let (route, (response, call_id)) = match (request.method(), path_segments(&request).as_slice()) {
        (&Method::POST, ["v1", "call-records"]) => ("post_record", post_record(store, config, &request, now).await),
        (&Method::POST, ["v1", "call-records", "batch"]) => {
            ("post_batch", post_batch(store, config, &request, now).await)
        }
        (&Method::GET, ["v1", "calls", call_id]) => ("get_call", get_call(store, call_id).await),
        _ => ("none", (error_response(&no_route(&request, ROUTES)), None)),
    };
    log_request(route, &response, call_id, started);
    Ok(response)
}

type Handled = (Response<Body>, Option<CallId>);

async fn post_record(store: &Store, config: &Config, request: &Request, now: DateTime<Utc>) -> Handled {
    let ingested = match json_body(request, RECORD_BODY_LIMIT) {
        Ok(body) => ingest(store, config, &body, now).await,
        Err(error) => Err(error),
    };
    match ingested {
        Ok(Ingested::Created(record)) => (json_response(201, &record), Some(record.call_id)),
        Ok(Ingested::Replayed(record)) => (json_response(200, &record), Some(record.call_id)),
        Err(error) => (error_response(&error), None),
    }
}

async fn ingest(store: &Store, config: &Config, body: &Value, now: DateTime<Utc>) -> Result<Ingested, ApiError> {
    let record = parse_record(body, now, config.zone)?;
    store.ingest(record, &config.tariffs, config.zone).await
}

/// Each record in order, on its own: one failing does not stop the others.
async fn post_batch(store: &Store, config: &Config, request: &Request, now: DateTime<Utc>) -> Handled {
    let records = match json_body(request, BATCH_BODY_LIMIT).and_then(batch_records) {
        Ok(records) => records,
        Err(error) => return (error_response(&error), None),
    };
    let mut results = Vec::with_capacity(records.len());
    for body in &records {
        results.push(match ingest(store, config, body, now).await {
            Ok(Ingested::Created(record)) => json!({"status": 201, "record": record}),
            Ok(Ingested::Replayed(record)) => json!({"status": 200, "record": record}),
            Err(error) => json!({"status": error.status(), "error": error}),
        });
    }
    (json_response(200, &json!({"results": results})), None)
}

fn batch_records(body: Value) -> Result<Vec<Value>, ApiError> {
    let mut fields = FieldErrors::new();
    let mut records = None;
    match body {
        Value::Object(object) => {
            for (name, value) in object {
                match (name.as_str(), value) {
                    ("records", Value::Array(list)) if (1..=BATCH_RECORDS_LIMIT).contains(&list.len()) => {
                        records = Some(list);
                    }
                    ("records", _) => {
                        fields.insert(name, vec![format!("must be an array of 1 to {BATCH_RECORDS_LIMIT} records")]);
                    }
                    _ => {
                        fields.insert(name, vec!["unknown field; a batch has only records".to_owned()]);
                    }
                }
            }
        }
        _ => {
            return Err(ApiError::new(ErrorCode::InvalidRecord, "a batch must be a JSON object: {\"records\": [...]}"));
        }
    }
    if records.is_none() {
        fields.entry("records".to_owned()).or_insert_with(|| vec!["required".to_owned()]);
    }
    match records {
        Some(records) if fields.is_empty() => Ok(records),
        _ => Err(ApiError::invalid_record(fields)),
    }
}

async fn get_call(store: &Store, call_id: &str) -> Handled {
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("there is no call {call_id}"));
    let Some(id) = parse_digits(call_id).filter(|id| (1..=callbill::call::MAX_ID).contains(id)).map(CallId) else {
        return (error_response(&not_found()), None);
    };
    match store.call(id).await {
        Ok(Some(call)) => (json_response(200, &call.view(id)), Some(id)),
        Ok(None) => (error_response(&not_found()), Some(id)),
        Err(error) => (error_response(&error), Some(id)),
    }
}
