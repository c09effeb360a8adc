//! The four earlier systems' APIs (SPEC §10): adapters at the edge, one module
//! each, that translate their requests into the domain's record and bill query and
//! the domain's results into their own shapes. They hold no rule: validation,
//! replays, conflicts, pricing and periods are the domain's, as on /v1.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::Value;

use crate::bill::Bill;
use crate::error::{ApiError, ErrorCode};
use crate::ingest::Ingested;
use crate::period::Period;
use crate::phone::PhoneNumber;

pub mod olist;
pub mod signaling;
pub mod sparrow;
pub mod telephony;

/// An earlier API's answer: JSON or one line of text.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Json(u16, Value),
    /// JSON already written out, for numbers a `Value` would turn into floats.
    JsonText(u16, String),
    Text(u16, String),
}

impl Reply {
    pub fn into_response(self) -> Response<Body> {
        let (status, content_type, body) = match self {
            Reply::Json(status, value) => (status, "application/json", value.to_string()),
            Reply::JsonText(status, text) => (status, "application/json", text),
            Reply::Text(status, text) => (status, "text/plain; charset=utf-8", text),
        };
        let mut response = Response::new(Body::Text(body));
        *response.status_mut() = StatusCode::from_u16(status).expect("standard status codes");
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    }
}

/// A request body as an earlier API's record route received it.
pub struct Posted<'a> {
    pub body: &'a [u8],
    /// `application/x-www-form-urlencoded` rather than JSON.
    pub form: bool,
}

/// An earlier API's record route.
pub trait RecordApi {
    /// The /v1 record (SPEC §2) the request stands for, or the API's own answer when
    /// the request cannot be one (its required fields, its body format).
    fn record(&self, posted: &Posted<'_>) -> Result<Value, Reply>;

    /// The API's answer to what the domain did with the record (never a storage
    /// failure: see [`is_storage_failure`]).
    fn answer(&self, result: &Result<Ingested, ApiError>) -> Reply;
}

/// An earlier API's bill route.
pub trait BillApi {
    /// Whose bill and which period; the period defaults to the last closed month and
    /// must be closed. `number` is the subscriber when the API puts it in the path.
    fn query(
        &self,
        number: Option<&str>,
        query: &QueryMap,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Result<(PhoneNumber, Period), Reply>;

    /// The API's answer with the whole month's bill, or to the error reading it
    /// (never a storage failure).
    fn answer(&self, bill: Result<Bill, ApiError>, zone: Tz) -> Reply;
}

/// Storage failures keep the /v1 envelope, status and `Retry-After` on every API:
/// the handlers answer them before an adapter sees them, since a 5xx tells the truth.
pub fn is_storage_failure(error: &ApiError) -> bool {
    matches!(error.code, ErrorCode::Unavailable | ErrorCode::Internal)
}

/// The first message for each field at fault, as `{"<field>": "<message>"}`.
pub fn first_messages(error: &ApiError) -> serde_json::Map<String, Value> {
    error
        .fields
        .iter()
        .flat_map(|fields| fields.iter())
        .map(|(field, messages)| (field.clone(), Value::String(messages.first().cloned().unwrap_or_default())))
        .collect()
}

/// Every message for each field at fault, as `{"<field>": ["<message>", ...]}`.
pub fn all_messages(error: &ApiError) -> Value {
    serde_json::to_value(error.fields.clone().unwrap_or_default()).expect("field errors serialize")
}

/// A JSON object body, or `None`.
pub fn json_object(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match crate::json::from_slice(body) {
        Ok(Value::Object(fields)) => Some(fields),
        _ => None,
    }
}

/// A query parameter given more than once: ambiguous, so refused.
#[derive(Debug)]
pub struct Repeated;

/// A query parameter given once, or `None`.
pub fn one<'q>(query: &'q QueryMap, name: &str) -> Result<Option<&'q str>, Repeated> {
    match query.all(name).as_deref() {
        None => Ok(None),
        Some([value]) => Ok(Some(value)),
        Some(_) => Err(Repeated),
    }
}

/// A telephone number given once as query parameter `name`; the error is the
/// message for that field (`required` when it is missing).
pub fn phone_param(query: &QueryMap, name: &str, required: &str) -> Result<PhoneNumber, String> {
    match one(query, name) {
        Ok(Some(text)) => text.parse().map_err(|e: &str| e.to_owned()),
        Ok(None) => Err(required.to_owned()),
        Err(Repeated) => Err("give it once".to_owned()),
    }
}

/// The period a bill defaults to, and the closed-period rule, as /v1 has them.
pub fn closed_period(period: Option<Period>, now: DateTime<Utc>, zone: Tz) -> Result<Period, Period> {
    let period = period.unwrap_or_else(|| Period::last_closed(now, zone));
    if period.is_closed(now, zone) { Ok(period) } else { Err(period) }
}
