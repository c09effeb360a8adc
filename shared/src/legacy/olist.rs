//! Seeds 000/002: `POST /api/v1/add_register/`, `GET /api/v1/get_phone_bill/`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{BillApi, Posted, RecordApi, Reply, closed_period, first_messages, json_object, one, phone_param};
use crate::bill::Bill;
use crate::error::{ApiError, ErrorCode};
use crate::http::unknown_parameter;
use crate::ingest::Ingested;
use crate::period::Period;
use crate::phone::PhoneNumber;
use crate::record::{CallRecord, Event};

const REQUIRED: [&str; 4] = ["id", "type", "call_id", "timestamp"];

pub struct AddRegister;

impl RecordApi for AddRegister {
    fn record(&self, posted: &Posted<'_>) -> Result<Value, Reply> {
        let fields = json_object(posted.body)
            .ok_or_else(|| Reply::Json(400, json!({"error": "the body must be a JSON object of a call record"})))?;
        let missing: serde_json::Map<String, Value> = REQUIRED
            .iter()
            .filter(|name| fields.get(**name).is_none_or(Value::is_null))
            .map(|name| (name.to_string(), json!("This field is required.")))
            .collect();
        if !missing.is_empty() {
            return Err(Reply::Json(400, Value::Object(missing)));
        }
        let is_start = fields.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("start"));
        let has = |name| fields.get(name).is_some_and(|v| !v.is_null());
        if is_start && !(has("source") && has("destination")) {
            return Err(Reply::Json(400, json!({"error": "source and destination is required for this type"})));
        }
        Ok(Value::Object(fields))
    }

    fn answer(&self, result: &Result<Ingested, ApiError>) -> Reply {
        match result {
            Ok(ingested) => Reply::Json(ingested.status(), register(ingested.record())),
            Err(error) => match error.code {
                ErrorCode::RecordIdTaken | ErrorCode::DuplicateRecord => {
                    Reply::Json(409, json!({"id": "Already register exist with this id"}))
                }
                ErrorCode::InvalidRecord | ErrorCode::InvalidJson if error.fields.is_some() => {
                    Reply::Json(400, Value::Object(first_messages(error)))
                }
                _ => Reply::Json(error.status(), json!({"error": error.message})),
            },
        }
    }
}

/// A record as the document shows it: `timestamp` as `YYYY-MM-DD HH:MM:SS` in UTC.
fn register(record: &CallRecord) -> Value {
    let mut body = json!({
        "id": record.id,
        "type": record.kind().as_str(),
        "timestamp": record.timestamp.format("%Y-%m-%d %H:%M:%S").to_string(),
        "call_id": record.call_id,
    });
    if let Event::Start { source, destination } = &record.event {
        body["source"] = json!(source);
        body["destination"] = json!(destination);
    }
    body
}

pub struct GetPhoneBill;

const PERIOD_FORMAT: &str = "The format field is MM/YYYY, please informe a valid month/year";

impl BillApi for GetPhoneBill {
    fn query(
        &self,
        _: Option<&str>,
        query: &QueryMap,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Result<(PhoneNumber, Period), Reply> {
        let bad = |field: &str, message: String| Reply::Json(400, json!({ field: message }));
        if let Some(name) = unknown_parameter(query, &["source", "period"]) {
            return Err(bad(
                name,
                format!("unknown parameter; this bill takes only source and period ({PERIOD_FORMAT})"),
            ));
        }
        let source = phone_param(query, "source", "this is a required field").map_err(|e| bad("source", e))?;
        let period = match one(query, "period") {
            Ok(None) => None,
            Ok(Some(text)) if text.contains('/') => {
                Some(text.parse().map_err(|_| bad("period", PERIOD_FORMAT.into()))?)
            }
            _ => return Err(bad("period", PERIOD_FORMAT.to_owned())),
        };
        let period = closed_period(period, now, zone).map_err(|open| {
            bad(
                "period",
                format!("{}/{} has not ended yet: a bill covers a month that has ended", open.month(), open.year()),
            )
        })?;
        Ok((source, period))
    }

    fn answer(&self, bill: Result<Bill, ApiError>, zone: Tz) -> Reply {
        let bill = match bill {
            Ok(bill) => bill,
            // 400 for a bill too large to list at once, 409 for one that changed while read.
            Err(error) => return Reply::Json(error.status(), json!({"error": error.message})),
        };
        let calls = bill
            .lines
            .iter()
            .map(|line| {
                let local = line.start.with_timezone(&zone);
                let (h, m, s) = line.duration.hms();
                PhoneBillCall {
                    destination: &line.destination,
                    start_date: local.format("%d/%m/%Y").to_string(),
                    start_time: local.format("%H:%M:%S").to_string(),
                    call_duration: format!("{h}h:{m}m:{s}s"),
                    price: format!("R$ {}", line.price.decimal()),
                }
            })
            .collect();
        let body = PhoneBill {
            source: &bill.subscriber,
            period: format!("{}/{}", bill.period.month(), bill.period.year()),
            calls,
            // A JSON number with two decimals, written from integer centavos.
            amount: RawValue::from_string(bill.total.decimal()).expect("a decimal is a JSON number"),
        };
        Reply::JsonText(200, serde_json::to_string(&body).expect("a bill serializes"))
    }
}

#[derive(Serialize)]
struct PhoneBill<'a> {
    source: &'a PhoneNumber,
    period: String,
    calls: Vec<PhoneBillCall<'a>>,
    amount: Box<RawValue>,
}

#[derive(Serialize)]
struct PhoneBillCall<'a> {
    destination: &'a PhoneNumber,
    start_date: String,
    start_time: String,
    call_duration: String,
    price: String,
}
