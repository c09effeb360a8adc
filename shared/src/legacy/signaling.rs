//! Seed 001: `POST /signaling/` (JSON or form fields) and `GET /billing/bill`.
//! Every failure is `400` with one line of text in the document's words.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use serde_json::{Map, Value, json};

use super::{BillApi, Posted, RecordApi, Repeated, Reply, closed_period, json_object, one};
use crate::bill::Bill;
use crate::error::{ApiError, ErrorCode};
use crate::http::unknown_parameter;
use crate::ingest::Ingested;
use crate::period::Period;
use crate::phone::PhoneNumber;

pub struct Signaling;

const FIELDS: [&str; 6] = ["id", "callType", "call_id", "timestamp", "source", "destination"];

impl RecordApi for Signaling {
    fn record(&self, posted: &Posted<'_>) -> Result<Value, Reply> {
        let fields = if posted.form { Some(form_fields(posted.body)) } else { json_object(posted.body) }
            .ok_or_else(|| text("id error - input id is not a number"))?;
        if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(Reply::Text(400, format!("{unknown} error - invalid field")));
        }
        let field = |name| fields.get(name).filter(|v| !v.is_null());
        // The document checks in this order and names the first fault.
        for name in ["id", "call_id"] {
            if let Some(message) = number_fault(field(name)) {
                return Err(Reply::Text(400, format!("{name} error - input {name} {message}")));
            }
            if name == "id" && !field("callType").and_then(Value::as_str).is_some_and(is_call_type) {
                return Err(text("callType error - invalid field"));
            }
        }
        if field("timestamp").is_none() {
            return Err(text("timestamp error - Invalid timestamp"));
        }
        let mut record = Map::new();
        for (name, v1) in [("id", "id"), ("callType", "type"), ("call_id", "call_id"), ("timestamp", "timestamp")] {
            record.insert(v1.to_owned(), field(name).cloned().unwrap_or(Value::Null));
        }
        for name in ["source", "destination"] {
            if let Some(value) = field(name) {
                record.insert(name.to_owned(), value.clone());
            }
        }
        Ok(Value::Object(record))
    }

    fn answer(&self, result: &Result<Ingested, ApiError>) -> Reply {
        let error = match result {
            Ok(ingested) => return Reply::Text(ingested.status(), "signaling success".to_owned()),
            Err(error) => error,
        };
        let line = match error.code {
            ErrorCode::RecordIdTaken | ErrorCode::DuplicateRecord => "id error - an id already exists",
            ErrorCode::CallAlreadyStarted => "call_id error - Call already started",
            ErrorCode::CallAlreadyEnded => "call_id error - Call already finished",
            ErrorCode::EndBeforeStart => {
                "timing error call timing error, cannot signal call end with a timestamp earlier than call start"
            }
            ErrorCode::InvalidRecord => {
                let at_fault = |name| error.fields.as_ref().is_some_and(|f| f.contains_key(name));
                match () {
                    _ if at_fault("id") => "id error - input id is not a number",
                    _ if at_fault("type") => "callType error - invalid field",
                    _ if at_fault("call_id") => "call_id error - input call_id is not a number",
                    _ if at_fault("source") => "source error - Invalid source",
                    _ if at_fault("destination") => "destination error - Invalid destination",
                    _ => "timestamp error - Invalid timestamp",
                }
            }
            _ => return Reply::Text(400, format!("timing error - {}", error.message)),
        };
        text(line)
    }
}

fn text(line: &str) -> Reply {
    Reply::Text(400, line.to_owned())
}

fn is_call_type(text: &str) -> bool {
    text.eq_ignore_ascii_case("start") || text.eq_ignore_ascii_case("end")
}

/// The document's two number faults: not a number, or negative (or zero).
fn number_fault(value: Option<&Value>) -> Option<&'static str> {
    let text = match value {
        None => return Some("is not a number"),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Some("is not a number"),
    };
    match text.parse::<i128>() {
        Ok(n) if n < 1 => Some("is negative"),
        Ok(_) if text.bytes().all(|b| b.is_ascii_digit()) => None,
        _ => Some("is not a number"),
    }
}

/// `application/x-www-form-urlencoded` fields as JSON strings.
fn form_fields(body: &[u8]) -> Map<String, Value> {
    form_urlencoded::parse(body).map(|(name, value)| (name.into_owned(), Value::String(value.into_owned()))).collect()
}

pub struct BillingBill;

impl BillApi for BillingBill {
    fn query(
        &self,
        _: Option<&str>,
        query: &QueryMap,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Result<(PhoneNumber, Period), Reply> {
        let input_error = || text("Input error.");
        if unknown_parameter(query, &["source", "year", "month"]).is_some() {
            return Err(input_error());
        }
        let param = |name| one(query, name).map_err(|Repeated| input_error());
        let source: PhoneNumber = param("source")?.ok_or_else(input_error)?.parse().map_err(|_| input_error())?;
        let period = Period::from_query(None, param("year")?, param("month")?).map_err(|_| input_error())?;
        let period = closed_period(period, now, zone).map_err(|_| input_error())?;
        Ok((source, period))
    }

    fn answer(&self, bill: Result<Bill, ApiError>, zone: Tz) -> Reply {
        match bill {
            Ok(bill) if bill.lines.is_empty() => Reply::Text(200, "No calls recorded on period.".to_owned()),
            Ok(bill) => Reply::Json(200, json!(bill.view(zone))),
            // A bill that changed while read is a conflict, not an input error.
            Err(error) if error.code == ErrorCode::BillChanged => Reply::Text(409, error.message),
            Err(_) => text("Input error."),
        }
    }
}
