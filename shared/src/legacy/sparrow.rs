//! Seed 004, Sparrow: `POST /call_records/`, `GET /call_records/` and
//! `GET /call_records/telephone_bill/`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use serde_json::{Value, json};

use super::{BillApi, Posted, RecordApi, Repeated, Reply, all_messages, closed_period, json_object, one, phone_param};
use crate::bill::Bill;
use crate::duration::CallDuration;
use crate::error::{ApiError, ErrorCode};
use crate::http::unknown_parameter;
use crate::ingest::Ingested;
use crate::period::Period;
use crate::phone::PhoneNumber;
use crate::record::{CallRecord, Event};

const REQUIRED: [&str; 3] = ["type", "call_id", "timestamp"];

pub struct CallRecords;

impl RecordApi for CallRecords {
    fn record(&self, posted: &Posted<'_>) -> Result<Value, Reply> {
        let fields = json_object(posted.body).ok_or_else(|| {
            Reply::Json(400, json!({"non_field_errors": ["the body must be a JSON object of a call record"]}))
        })?;
        let missing: serde_json::Map<String, Value> = REQUIRED
            .iter()
            .filter(|name| fields.get(**name).is_none_or(Value::is_null))
            .map(|name| (name.to_string(), json!(["This field is required."])))
            .collect();
        if !missing.is_empty() {
            return Err(Reply::Json(400, Value::Object(missing)));
        }
        Ok(Value::Object(fields))
    }

    fn answer(&self, result: &Result<Ingested, ApiError>) -> Reply {
        match result {
            Ok(ingested) => Reply::Json(ingested.status(), record_view(ingested.record())),
            Err(error) => match error.code {
                // The (type, call_id) pair is taken: this call has a record of this type.
                ErrorCode::CallAlreadyStarted | ErrorCode::CallAlreadyEnded | ErrorCode::DuplicateRecord => {
                    Reply::Json(400, json!({"detail": "Call record already exists"}))
                }
                _ if error.fields.is_some() => Reply::Json(400, all_messages(error)),
                _ => Reply::Json(error.status(), json!({"detail": error.message})),
            },
        }
    }
}

/// A record as Sparrow shows it: `id` null when none was given, UTC seconds with `Z`.
pub fn record_view(record: &CallRecord) -> Value {
    let mut body = json!({
        "id": record.id,
        "call_id": record.call_id,
        "type": record.kind().as_str(),
        "timestamp": record.timestamp.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    });
    if let Event::Start { source, destination } = &record.event {
        body["source"] = json!(source);
        body["destination"] = json!(destination);
    }
    body
}

/// Records a page of `GET /call_records/` holds by default, and at most.
pub const LISTING_LIMIT: usize = 100;
pub const LISTING_MAX: usize = 1000;

/// `?limit=` of the listing, 1 to [`LISTING_MAX`]; `?cursor=` where it resumes.
pub fn listing_query(query: &QueryMap) -> Result<(usize, Option<crate::ids::CallId>), Reply> {
    let bad = |field: &str, message: &str| Reply::Json(400, json!({ field: [message] }));
    if let Some(name) = unknown_parameter(query, &["limit", "cursor"]) {
        return Err(bad(name, "unknown parameter; the listing takes limit and cursor"));
    }
    let limit = match one(query, "limit") {
        Ok(None) => LISTING_LIMIT,
        Ok(Some(text)) => crate::digits::parse_digits(text)
            .filter(|n| (1..=LISTING_MAX).contains(n))
            .ok_or_else(|| bad("limit", "Ensure this value is a whole number from 1 to 1000."))?,
        Err(Repeated) => return Err(bad("limit", "give it once")),
    };
    let cursor = match one(query, "cursor") {
        Ok(None) => None,
        Ok(Some(text)) => Some(crate::ids::CallId::parse(text).ok_or_else(|| bad("cursor", "Invalid cursor"))?),
        Err(Repeated) => return Err(bad("cursor", "give it once")),
    };
    Ok((limit, cursor))
}

/// One page of the listing from the calls a scan returned, in its order: up to
/// `limit` records, each call's records together, and the call to resume after
/// when calls were left over (or `scan_has_more`).
pub fn listing_page(
    calls: &[crate::ingest::StoredCall],
    limit: usize,
    scan_has_more: bool,
) -> (Vec<Value>, Option<crate::ids::CallId>) {
    let mut records = Vec::with_capacity(limit);
    let mut last = None;
    for call in calls {
        let held: Vec<&CallRecord> = call.state.start.iter().chain(call.state.end.iter()).collect();
        // A page takes at least one call, so that a listing always moves on.
        if !records.is_empty() && records.len() + held.len() > limit {
            return (records, last);
        }
        records.extend(held.iter().map(|record| record_view(record)));
        last = held.first().map(|record| record.call_id);
    }
    (records, last.filter(|_| scan_has_more))
}

pub struct TelephoneBill;

const PERIOD_FORMAT: &str = "Reference period should be in the YYYYMM format";

impl BillApi for TelephoneBill {
    fn query(
        &self,
        _: Option<&str>,
        query: &QueryMap,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Result<(PhoneNumber, Period), Reply> {
        let bad = |field: &str, message: String| Reply::Json(400, json!({ field: [message] }));
        if let Some(name) = unknown_parameter(query, &["subscriber", "reference_period"]) {
            return Err(bad(name, "unknown parameter; the bill takes subscriber and reference_period".to_owned()));
        }
        let subscriber =
            phone_param(query, "subscriber", "This field is required.").map_err(|e| bad("subscriber", e))?;
        let period = match one(query, "reference_period") {
            Ok(None) => None,
            // YYYYMM only: Period reads other spellings too, some of six characters.
            Ok(Some(text)) if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) => {
                Some(text.parse().map_err(|_| bad("reference_period", PERIOD_FORMAT.into()))?)
            }
            _ => return Err(bad("reference_period", PERIOD_FORMAT.to_owned())),
        };
        let period = closed_period(period, now, zone).map_err(|open| {
            Reply::Json(
                400,
                json!({"detail": format!("Reference period {:04}{:02} is not closed yet", open.year(), open.month())}),
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
        let call_records: Vec<Value> = bill
            .lines
            .iter()
            .map(|line| {
                let local = line.start.with_timezone(&zone);
                json!({
                    "destination": line.destination,
                    "duration": short_duration(line.duration),
                    "price": line.price.to_string(),
                    "start_date": local.format("%Y-%m-%d").to_string(),
                    "start_time": local.format("%H:%M:%S%:z").to_string().replace("+00:00", "Z"),
                })
            })
            .collect();
        Reply::Json(
            200,
            json!({
                "subscriber": bill.subscriber,
                "reference_period": format!("{:04}{:02}", bill.period.year(), bill.period.month()),
                "call_records": call_records,
            }),
        )
    }
}

/// Sparrow's durations leave out zero parts: `1h`, `7m43s`, `24h13m43s`, `0s`.
pub fn short_duration(duration: CallDuration) -> String {
    let (h, m, s) = duration.hms();
    let text: String =
        [(h, "h"), (m, "m"), (s, "s")].iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect();
    if text.is_empty() { "0s".to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_leave_out_zero_parts() {
        for (seconds, text) in
            [(3600, "1h"), (463, "7m43s"), (87_223, "24h13m43s"), (0, "0s"), (7_205, "2h5s"), (60, "1m")]
        {
            assert_eq!(short_duration(CallDuration(seconds)), text);
        }
    }
}
