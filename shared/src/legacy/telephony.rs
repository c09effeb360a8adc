//! Seed 003: `POST /v1/telephony/call-events/`,
//! `GET /v1/telephony/bill-report/{number}/`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use serde_json::{Value, json};

use super::{BillApi, Posted, RecordApi, Repeated, Reply, all_messages, closed_period, json_object, one};
use crate::bill::Bill;
use crate::error::ApiError;
use crate::http::unknown_parameter;
use crate::ingest::Ingested;
use crate::period::Period;
use crate::phone::PhoneNumber;
use crate::record::Event;

pub struct CallEvents;

impl RecordApi for CallEvents {
    /// The document's fields are /v1's, with the same defaults.
    fn record(&self, posted: &Posted<'_>) -> Result<Value, Reply> {
        json_object(posted.body).map(Value::Object).ok_or_else(|| {
            Reply::Json(400, json!({"non_field_errors": ["the body must be a JSON object of a call event"]}))
        })
    }

    fn answer(&self, result: &Result<Ingested, ApiError>) -> Reply {
        match result {
            Ok(ingested) => {
                let record = ingested.record();
                let mut body = json!({
                    "type": record.kind().as_str(),
                    "timestamp": record.timestamp.timestamp(),
                    "call_id": record.call_id,
                });
                if let Event::Start { source, destination } = &record.event {
                    body["source"] = json!(source);
                    body["destination"] = json!(destination);
                }
                Reply::Json(ingested.status(), body)
            }
            Err(error) if error.fields.is_some() => Reply::Json(400, all_messages(error)),
            Err(error) => Reply::Json(error.status(), json!({"detail": error.message})),
        }
    }
}

pub struct BillReport;

impl BillApi for BillReport {
    fn query(
        &self,
        number: Option<&str>,
        query: &QueryMap,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Result<(PhoneNumber, Period), Reply> {
        let bad = |field: &str, message: String| Reply::Json(400, json!({ field: [message] }));
        if let Some(name) = unknown_parameter(query, &["month", "year"]) {
            return Err(bad(name, "unknown filter; the report takes month and year".to_owned()));
        }
        let number = number.unwrap_or_default();
        let subscriber: PhoneNumber = number.parse().map_err(|e: &str| bad("number", e.to_owned()))?;
        let param = |name| one(query, name).map_err(|Repeated| bad(name, "give it once".to_owned()));
        let period = Period::from_query(None, param("year")?, param("month")?)
            .map_err(|e| Reply::Json(400, json!({"detail": e.message})))?;
        let period = closed_period(period, now, zone).map_err(|open| {
            Reply::Json(
                400,
                json!({"detail": format!("{}/{} has not ended yet: a bill report covers a month that has ended",
                    open.month(), open.year())}),
            )
        })?;
        Ok((subscriber, period))
    }

    fn answer(&self, bill: Result<Bill, ApiError>, zone: Tz) -> Reply {
        let bill = match bill {
            Ok(bill) => bill,
            // 400 for a bill too large to list at once, 409 for one that changed while read.
            Err(error) => return Reply::Json(error.status(), json!({"detail": error.message})),
        };
        let objects: Vec<Value> = bill
            .lines
            .iter()
            .map(|line| {
                let local = line.start.with_timezone(&zone);
                json!({
                    "destination": line.destination,
                    "start_date": local.format("%Y-%m-%d").to_string(),
                    "start_time": local.format("%H:%M:%S").to_string(),
                    "duration": line.duration.to_string(),
                    "price": line.price.to_string(),
                })
            })
            .collect();
        Reply::Json(
            200,
            json!({
                "count": objects.len(),
                "filters": {"month": bill.period.month(), "year": bill.period.year()},
                "objects": objects,
            }),
        )
    }
}
