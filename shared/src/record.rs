//! Call detail records: reading and validating what a switch posts (SPEC §2).

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::digits::parse_digits;
use crate::error::{ApiError, ErrorCode, FieldErrors};
use crate::ids::{CallId, MAX_ID, RecordId};
use crate::phone::PhoneNumber;
use crate::timestamp::{format_timestamp, from_unix_seconds, parse_timestamp};

/// The fields a record may have; any other is rejected.
pub const FIELDS: [&str; 6] = ["id", "type", "call_id", "timestamp", "source", "destination"];

/// How far ahead of the server's clock a timestamp may be (switch clocks drift).
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Start,
    End,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Start => "start",
            RecordKind::End => "end",
        }
    }
}

/// What a record says happened: a start carries both numbers, an end nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Start { source: PhoneNumber, destination: PhoneNumber },
    End,
}

impl Event {
    pub fn kind(&self) -> RecordKind {
        match self {
            Event::Start { .. } => RecordKind::Start,
            Event::End => RecordKind::End,
        }
    }
}

/// A valid record as received, before a start without `call_id` is given one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub id: Option<RecordId>,
    pub call_id: Option<CallId>,
    pub timestamp: DateTime<Utc>,
    /// The client sent no timestamp and the time of receipt was used: a retry of
    /// such a record carries another time and is still the same record.
    pub timestamp_defaulted: bool,
    pub event: Event,
}

impl NewRecord {
    /// The record with its call id: the one it came with, else `assigned`.
    pub fn into_record(self, assigned: CallId) -> CallRecord {
        CallRecord {
            id: self.id,
            call_id: self.call_id.unwrap_or(assigned),
            timestamp: self.timestamp,
            event: self.event,
        }
    }
}

/// A stored call detail record. Serializes to the canonical JSON form: lower-case
/// `type`, `timestamp` in UTC with `Z`, no `source`/`destination` on an end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub id: Option<RecordId>,
    pub call_id: CallId,
    pub timestamp: DateTime<Utc>,
    pub event: Event,
}

impl CallRecord {
    pub fn kind(&self) -> RecordKind {
        self.event.kind()
    }
}

impl Serialize for CallRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(id) = self.id {
            map.serialize_entry("id", &id)?;
        }
        map.serialize_entry("type", self.kind().as_str())?;
        map.serialize_entry("call_id", &self.call_id)?;
        map.serialize_entry("timestamp", &format_timestamp(self.timestamp))?;
        if let Event::Start { source, destination } = &self.event {
            map.serialize_entry("source", source)?;
            map.serialize_entry("destination", destination)?;
        }
        map.end()
    }
}

/// Reads a record posted as JSON, reporting every invalid field at once.
///
/// `now` is the time of receipt (the default timestamp and the limit for future
/// ones); `zone` reads timestamps that have no offset.
pub fn parse_record(body: &Value, now: DateTime<Utc>, zone: Tz) -> Result<NewRecord, ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::new(
            ErrorCode::InvalidRecord,
            format!("a record must be a JSON object with the fields {}", FIELDS.join(", ")),
        ));
    };
    let mut errors = FieldErrors::new();
    for name in fields.keys().filter(|name| !FIELDS.contains(&name.as_str())) {
        errors.add(name, format!("unknown field; a record has only {}", FIELDS.join(", ")));
    }
    let id = errors.check("id", parse_id(field(fields, "id")));
    let kind = errors.check("type", parse_kind(field(fields, "type")));
    let call_id = errors.check("call_id", parse_call_id(field(fields, "call_id"), kind));
    let timestamp = errors.check("timestamp", parse_record_timestamp(field(fields, "timestamp"), now, zone));
    let source = errors.check("source", parse_number(field(fields, "source"), kind));
    let destination = errors.check("destination", parse_number(field(fields, "destination"), kind));
    if !errors.is_empty() {
        return Err(ApiError::invalid_record(errors));
    }
    let event = match (kind, source, destination) {
        (Some(RecordKind::Start), Some(Some(source)), Some(Some(destination))) => Event::Start { source, destination },
        (Some(RecordKind::End), Some(None), Some(None)) => Event::End,
        _ => unreachable!("every other combination recorded a field error"),
    };
    Ok(NewRecord {
        id: id.flatten(),
        call_id: call_id.flatten(),
        timestamp: timestamp.expect("an invalid timestamp recorded a field error"),
        timestamp_defaulted: field(fields, "timestamp").is_none(),
        event,
    })
}

/// A field's value; `null` counts as absent.
fn field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|v| !v.is_null())
}

/// An id is an integer from 1 to [`MAX_ID`], or a string of its digits.
fn parse_id_value(value: Option<&Value>) -> Result<Option<u64>, String> {
    let id = match value {
        None => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => parse_digits(s),
        Some(_) => None,
    };
    match id {
        Some(id @ 1..=MAX_ID) => Ok(Some(id)),
        _ => Err(format!("must be an integer from 1 to {MAX_ID}, or a string of its digits")),
    }
}

fn parse_id(value: Option<&Value>) -> Result<Option<RecordId>, String> {
    parse_id_value(value).map(|id| id.map(RecordId))
}

/// `type` is `start` (the default) or `end`, in any case.
fn parse_kind(value: Option<&Value>) -> Result<RecordKind, String> {
    match value {
        None => Ok(RecordKind::Start),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("start") => Ok(RecordKind::Start),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("end") => Ok(RecordKind::End),
        Some(_) => Err("must be \"start\" or \"end\"".to_owned()),
    }
}

/// An end names its call; a start without one gets a call id from the server.
fn parse_call_id(value: Option<&Value>, kind: Option<RecordKind>) -> Result<Option<CallId>, String> {
    match (parse_id_value(value)?, kind) {
        (None, Some(RecordKind::End)) => Err("required for an end record".to_owned()),
        (id, _) => Ok(id.map(CallId)),
    }
}

/// RFC 3339 text or Unix seconds, not too far ahead of `now`; absent means `now`.
fn parse_record_timestamp(value: Option<&Value>, now: DateTime<Utc>, zone: Tz) -> Result<DateTime<Utc>, String> {
    match value {
        None => Ok(now),
        Some(value) => parse_timestamp_value(value, now, zone),
    }
}

/// A timestamp as a record carries it (SPEC §2): RFC 3339 text or Unix seconds, not
/// more than [`MAX_CLOCK_SKEW`] ahead of `now`.
pub fn parse_timestamp_value(value: &Value, now: DateTime<Utc>, zone: Tz) -> Result<DateTime<Utc>, String> {
    let timestamp = match value {
        Value::String(text) => parse_timestamp(text, zone)?,
        Value::Number(n) => match n.as_i64() {
            Some(seconds) => from_unix_seconds(seconds)?,
            None => return Err("Unix seconds must be a whole number".to_owned()),
        },
        _ => {
            return Err("must be an RFC 3339 string like 2017-12-12T15:07:13Z or integer Unix seconds".to_owned());
        }
    };
    if timestamp > now + MAX_CLOCK_SKEW {
        return Err(format!(
            "{} is more than {} minutes in the future (server time {})",
            format_timestamp(timestamp),
            MAX_CLOCK_SKEW.num_minutes(),
            format_timestamp(now)
        ));
    }
    Ok(timestamp)
}

/// `source` and `destination`: required on a start, not allowed on an end.
fn parse_number(value: Option<&Value>, kind: Option<RecordKind>) -> Result<Option<PhoneNumber>, String> {
    match (kind, value) {
        (Some(RecordKind::Start), None) => Err("required for a start record".to_owned()),
        (Some(RecordKind::End), Some(_)) => Err("not allowed on an end record".to_owned()),
        (_, None) => Ok(None),
        (_, Some(Value::String(s))) => s.parse().map(Some).map_err(|e: &str| e.to_owned()),
        (_, Some(_)) => Err(format!("must be a string: {}", crate::phone::PHONE_FORMAT)),
    }
}
