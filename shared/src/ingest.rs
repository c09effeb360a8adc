//! What a new record does to its call (SPEC §2): decided from the call's stored
//! state alone, so the store can apply it in one conditional write.

use chrono_tz::Tz;

use crate::call::{CallState, PricedCall, complete_call};
use crate::error::{ApiError, ErrorCode};
use crate::record::{CallRecord, RecordKind};
use crate::tariff::TariffSchedule;

/// The effect of a valid record on its call.
#[derive(Debug)]
pub enum Outcome<'t> {
    /// The call already holds this record: nothing changes.
    Replay(CallRecord),
    /// Store the record; when it completes the call, with its price.
    Store(Option<PricedCall<'t>>),
}

/// Decides what `record` does to a call in `state`. `timestamp_defaulted` says the
/// client sent no timestamp, so a retry differs from the stored record in it alone.
pub fn decide<'t>(
    state: &CallState,
    record: &CallRecord,
    timestamp_defaulted: bool,
    tariffs: &'t TariffSchedule,
    zone: Tz,
) -> Result<Outcome<'t>, ApiError> {
    let (same_kind, other_kind) = match record.kind() {
        RecordKind::Start => (&state.start, &state.end),
        RecordKind::End => (&state.end, &state.start),
    };
    if let Some(stored) = same_kind {
        return if is_replay(stored, record, timestamp_defaulted) {
            Ok(Outcome::Replay(stored.clone()))
        } else {
            Err(conflict(stored, record))
        };
    }
    match other_kind {
        None => Ok(Outcome::Store(None)),
        Some(other) => {
            let (start, end) = match record.kind() {
                RecordKind::Start => (record, other),
                RecordKind::End => (other, record),
            };
            complete_call(start, end, tariffs, zone).map(|call| Outcome::Store(Some(call)))
        }
    }
}

/// The same record sent again: equal in every field, or in all but the timestamp
/// when the retry left it to the server.
pub fn is_replay(stored: &CallRecord, record: &CallRecord, timestamp_defaulted: bool) -> bool {
    stored == record
        || (timestamp_defaulted
            && stored.id == record.id
            && stored.call_id == record.call_id
            && stored.event == record.event)
}

fn conflict(stored: &CallRecord, record: &CallRecord) -> ApiError {
    let call = record.call_id;
    if stored.id.is_some() && stored.id == record.id {
        let id = record.id.expect("checked above");
        return ApiError::new(
            ErrorCode::DuplicateRecord,
            format!(
                "record {id} is already stored for call {call} with other fields; a record id names one record, \
                 so resend it unchanged or use a new id"
            ),
        );
    }
    let (code, what) = match record.kind() {
        RecordKind::Start => (ErrorCode::CallAlreadyStarted, "start"),
        RecordKind::End => (ErrorCode::CallAlreadyEnded, "end"),
    };
    ApiError::new(code, format!("call {call} already has a different {what} record; a call has one {what}"))
}

/// `record_id_taken`: the id belongs to a record of another call or type.
pub fn record_id_taken(record: &CallRecord) -> ApiError {
    let id = record.id.map(|id| id.to_string()).unwrap_or_default();
    ApiError::new(
        ErrorCode::RecordIdTaken,
        format!("record id {id} already belongs to another record; record ids are unique across all records"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{CallId, RecordId};
    use crate::record::Event;
    use chrono::TimeDelta;

    fn start(id: u64, at: &str) -> CallRecord {
        CallRecord {
            id: Some(RecordId(id)),
            call_id: CallId(7),
            timestamp: at.parse().unwrap(),
            event: Event::Start { source: "99988526423".parse().unwrap(), destination: "9993468278".parse().unwrap() },
        }
    }

    fn end(id: u64, at: &str) -> CallRecord {
        CallRecord { id: Some(RecordId(id)), call_id: CallId(7), timestamp: at.parse().unwrap(), event: Event::End }
    }

    fn outcome(state: &CallState, record: &CallRecord, defaulted: bool) -> Result<&'static str, ErrorCode> {
        let tariffs = TariffSchedule::default_schedule();
        match decide(state, record, defaulted, &tariffs, Tz::UTC) {
            Ok(Outcome::Replay(_)) => Ok("replay"),
            Ok(Outcome::Store(None)) => Ok("store"),
            Ok(Outcome::Store(Some(call))) if call.duration.seconds() == 92 * 86_400 => Ok("long"),
            Ok(Outcome::Store(Some(call))) => {
                assert_eq!(call.price.total.0, 99, "15:07:13 to 15:14:56 costs R$ 0,99");
                Ok("complete")
            }
            Err(e) => Err(e.code),
        }
    }

    #[test]
    fn decides_every_case() {
        let s = start(1, "2017-12-12T15:07:13Z");
        let e = end(2, "2017-12-12T15:14:56Z");
        let empty = CallState::default();
        let started = CallState { start: Some(s.clone()), ..CallState::default() };
        let ended = CallState { end: Some(e.clone()), ..CallState::default() };
        let done = CallState { start: Some(s.clone()), end: Some(e.clone()), charge: None };
        let later = |r: &CallRecord| CallRecord { timestamp: r.timestamp + TimeDelta::seconds(5), ..r.clone() };
        let other_id = |r: &CallRecord| CallRecord { id: Some(RecordId(99)), ..r.clone() };

        let cases = [
            (&empty, &s, false, Ok("store")),
            (&empty, &e, false, Ok("store")),
            (&started, &e, false, Ok("complete")),
            (&ended, &s, false, Ok("complete")),
            (&started, &s, false, Ok("replay")),
            (&done, &e, false, Ok("replay")),
            (&started, &later(&s), true, Ok("replay")), // a retry that let the server stamp it
            (&started, &later(&s), false, Err(ErrorCode::DuplicateRecord)),
            (&started, &other_id(&s), false, Err(ErrorCode::CallAlreadyStarted)),
            (&done, &other_id(&e), false, Err(ErrorCode::CallAlreadyEnded)),
            (&ended, &other_id(&later(&e)), false, Err(ErrorCode::CallAlreadyEnded)),
            (&started, &end(2, "2017-12-12T15:07:12Z"), false, Err(ErrorCode::EndBeforeStart)),
            (&ended, &start(1, "2017-12-12T15:14:57Z"), false, Err(ErrorCode::EndBeforeStart)),
        ];
        for (i, (state, record, defaulted, expected)) in cases.into_iter().enumerate() {
            assert_eq!(outcome(state, record, defaulted), expected, "case {i}");
        }
    }
}
