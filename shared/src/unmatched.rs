//! The unmatched-records report (SPEC §3): calls that have only a start, or only
//! an end, whose one record lies in a time window. A switch that lost an end left
//! such a call, never billed; this is how an operator finds it.
//!
//! The calls are spread over [`SHARDS`] partitions of a sparse index by call id, so
//! that no partition takes more than a small share of the writes. A page queries
//! every shard for its first `limit + 1` calls after the cursor and merges them in
//! report order: the page's `limit` calls are among those, whichever shards they
//! come from.

use std::fmt;
use std::future::Future;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use serde::Serialize;

use crate::call::{CallState, CallStatus};
use crate::cursor::{seal, unseal};
use crate::digits::parse_digits;
use crate::error::{ApiError, ErrorCode};
use crate::http::{refuse_unknown, single};
use crate::ids::{CallId, MAX_ID};
use crate::ingest::StoredCall;
use crate::record::CallRecord;
use crate::timestamp::{format_timestamp, from_unix_seconds, parse_timestamp};

/// Partitions per status of the unmatched index.
pub const SHARDS: u32 = 64;
/// Most calls on one page.
pub const MAX_LIMIT: usize = 1000;
pub const DEFAULT_LIMIT: usize = 100;
/// The default `before`: records younger than this may still be matched.
pub const DEFAULT_AGE: TimeDelta = TimeDelta::hours(24);
/// The default window: 93 days, the 92 a call may last and one more.
pub const DEFAULT_WINDOW: TimeDelta = TimeDelta::days(93);
/// The query parameters the report takes.
pub const PARAMETERS: [&str; 5] = ["status", "before", "after", "limit", "cursor"];

/// The shard of a call's entry.
pub fn shard_of(call_id: CallId) -> u32 {
    (call_id.0 % u64::from(SHARDS)) as u32
}

/// A call's place in the report: the time of its one record, then its id. As text,
/// `<RFC 3339 with nanoseconds>#<call id, 16 digits>`, whose order is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportKey {
    pub at: DateTime<Utc>,
    pub call_id: CallId,
}

const AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.9fZ";

impl fmt::Display for ReportKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{:016}", self.at.format(AT_FORMAT), self.call_id.0)
    }
}

impl FromStr for ReportKey {
    type Err = String;

    fn from_str(text: &str) -> Result<ReportKey, String> {
        let invalid = || format!("{text:?} is not a report key");
        let (at, call_id) = text.split_once('#').ok_or_else(invalid)?;
        let key = ReportKey {
            at: NaiveDateTime::parse_from_str(at, AT_FORMAT).map_err(|_| invalid())?.and_utc(),
            call_id: CallId(parse_digits(call_id).filter(|_| call_id.len() == 16).ok_or_else(invalid)?),
        };
        if key.to_string() != text {
            return Err(invalid());
        }
        Ok(key)
    }
}

/// Where an unmatched call stands in the report; `None` for a completed call.
pub fn report_place(call_id: CallId, state: &CallState) -> Option<(CallStatus, ReportKey)> {
    let status = state.status()?;
    let record = match status {
        CallStatus::Started => state.start.as_ref()?,
        CallStatus::EndedWithoutStart => state.end.as_ref()?,
        CallStatus::Completed => return None,
    };
    Some((status, ReportKey { at: record.timestamp, call_id }))
}

/// One page of the report, as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub status: CallStatus,
    /// The oldest record time listed (included).
    pub after: DateTime<Utc>,
    /// Records older than this are listed.
    pub before: DateTime<Utc>,
    pub limit: usize,
    /// The place of the last call already listed.
    pub resume_after: Option<ReportKey>,
}

impl ReportQuery {
    pub fn parse(query: &QueryMap, now: DateTime<Utc>, zone: Tz) -> Result<ReportQuery, ApiError> {
        refuse_unknown(query, &PARAMETERS, "the unmatched-records report")?;
        let param = |name| single(query, name, ErrorCode::InvalidQuery);
        let status = match param("status")? {
            Some("started") => CallStatus::Started,
            Some("ended_without_start") => CallStatus::EndedWithoutStart,
            Some(other) => {
                return Err(invalid_query(format!("status {other:?} is not started or ended_without_start")));
            }
            None => return Err(invalid_query("status is required: started or ended_without_start".to_owned())),
        };
        let instant = |name| -> Result<Option<DateTime<Utc>>, ApiError> {
            param(name)?
                .map(|text| match parse_digits::<i64>(text) {
                    Some(seconds) => from_unix_seconds(seconds),
                    None => parse_timestamp(text, zone),
                })
                .transpose()
                .map_err(|e| invalid_query(format!("{name}: {e}")))
        };
        let (before, after) = (instant("before")?, instant("after")?);
        let limit = match param("limit")? {
            None => DEFAULT_LIMIT,
            Some(text) => parse_digits(text)
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| invalid_query(format!("limit {text:?} must be a whole number from 1 to {MAX_LIMIT}")))?,
        };
        let cursor = single(query, "cursor", ErrorCode::InvalidCursor)?.map(ReportCursor::decode).transpose()?;
        // A listing keeps the window its first page had: defaults move with the clock.
        let before = before.or(cursor.map(|c| c.before)).unwrap_or(now - DEFAULT_AGE);
        let after = after.or(cursor.map(|c| c.after)).unwrap_or(before - DEFAULT_WINDOW);
        if after >= before {
            return Err(invalid_query(format!(
                "after {} must be earlier than before {}",
                format_timestamp(after),
                format_timestamp(before)
            )));
        }
        if let Some(cursor) = cursor
            && (cursor.status, cursor.after, cursor.before) != (status, after, before)
        {
            return Err(ApiError::new(
                ErrorCode::InvalidCursor,
                "the cursor belongs to another report: pass next_cursor back with the same status, before and after",
            ));
        }
        Ok(ReportQuery { status, after, before, limit, resume_after: cursor.map(|c| c.position) })
    }

    /// The first and last keys of the window.
    pub fn bounds(&self) -> (ReportKey, ReportKey) {
        let first = ReportKey { at: self.after, call_id: CallId(0) };
        let last = ReportKey { at: self.before - TimeDelta::nanoseconds(1), call_id: CallId(MAX_ID) };
        (first, last)
    }
}

fn invalid_query(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message)
}

/// Where the next page of a report starts, bound to the report's status and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ReportCursor {
    status: CallStatus,
    after: DateTime<Utc>,
    before: DateTime<Utc>,
    position: ReportKey,
}

impl ReportCursor {
    fn encode(&self) -> String {
        seal(&format!(
            "u1|{}|{}|{}|{}",
            self.status.as_str(),
            self.after.timestamp_nanos_opt().unwrap_or_default(),
            self.before.timestamp_nanos_opt().unwrap_or_default(),
            self.position
        ))
    }

    fn decode(text: &str) -> Result<ReportCursor, ApiError> {
        let invalid = || {
            ApiError::new(
                ErrorCode::InvalidCursor,
                "the cursor is not one this report issued: pass next_cursor back unchanged",
            )
        };
        let body = unseal(text).ok_or_else(invalid)?;
        let fields: Vec<&str> = body.split('|').collect();
        let ["u1", status, after, before, position] = fields.as_slice() else {
            return Err(invalid());
        };
        let status = match *status {
            "started" => CallStatus::Started,
            "ended_without_start" => CallStatus::EndedWithoutStart,
            _ => return Err(invalid()),
        };
        let nanos = |text: &str| parse_digits::<i64>(text).map(DateTime::from_timestamp_nanos);
        Ok(ReportCursor {
            status,
            after: nanos(after).ok_or_else(invalid)?,
            before: nanos(before).ok_or_else(invalid)?,
            position: position.parse().map_err(|_| invalid())?,
        })
    }
}

/// The storage the report is read from.
pub trait UnmatchedStore {
    /// Up to `limit` calls of one shard of `status`, in report order, from `first` to
    /// `last` (both included) and after `resume_after`.
    fn unmatched_calls(
        &self,
        status: CallStatus,
        shard: u32,
        window: (ReportKey, ReportKey),
        resume_after: Option<ReportKey>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredCall>, ApiError>> + Send;
}

/// One page of the report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub calls: Vec<ReportLine>,
    pub next_cursor: Option<String>,
}

/// An unmatched call with its one record.
#[derive(Debug, Serialize)]
pub struct ReportLine {
    pub call_id: CallId,
    pub status: CallStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<CallRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<CallRecord>,
}

/// The page `query` asks for: every shard read, merged in report order.
pub async fn report_page<S: UnmatchedStore + Sync>(store: &S, query: &ReportQuery) -> Result<Report, ApiError> {
    let window = query.bounds();
    let reads = (0..SHARDS)
        .map(|shard| store.unmatched_calls(query.status, shard, window, query.resume_after, query.limit + 1));
    let mut calls: Vec<(ReportKey, CallState)> = Vec::new();
    for shard in futures::future::try_join_all(reads).await? {
        for stored in shard {
            let call_id = stored.state.start.as_ref().or(stored.state.end.as_ref()).map(|r| r.call_id);
            if let Some((status, place)) = call_id.and_then(|id| report_place(id, &stored.state))
                && status == query.status
            {
                calls.push((place, stored.state));
            }
        }
    }
    calls.sort_by_key(|(place, _)| *place);
    let more = calls.len() > query.limit;
    calls.truncate(query.limit);
    let next_cursor = more.then(|| {
        let position = calls.last().expect("limit is at least 1").0;
        ReportCursor { status: query.status, after: query.after, before: query.before, position }.encode()
    });
    let calls = calls
        .into_iter()
        .map(|(place, state)| ReportLine {
            call_id: place.call_id,
            status: query.status,
            start: state.start,
            end: state.end,
        })
        .collect();
    Ok(Report { calls, next_cursor })
}
