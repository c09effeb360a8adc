//! Calls: identifiers, and pairing a start with an end into a priced call.

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::duration::CallDuration;
use crate::error::{ApiError, ErrorCode};
use crate::period::Period;
use crate::phone::PhoneNumber;
use crate::pricing::{Price, price_call};
use crate::record::{CallRecord, Event};
use crate::tariff::TariffSchedule;

/// The longest call accepted. Switches split longer calls into several records;
/// a longer pairing is a wrong start or end, and its breakdown would outgrow the
/// 400 KB a stored call may hold.
pub const MAX_CALL_DURATION: chrono::TimeDelta = chrono::TimeDelta::days(92);

/// The largest id accepted: ids stay exact in every JSON client (2^53 - 1).
pub const MAX_ID: u64 = (1 << 53) - 1;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a call: its start and end records share it.
    CallId
);
id_type!(
    /// A record's own id, unique across all records.
    RecordId
);

/// A completed call with the price fixed when it completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedCall<'t> {
    pub call_id: CallId,
    pub source: PhoneNumber,
    pub destination: PhoneNumber,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub duration: CallDuration,
    /// The month, in the billing zone, in which the call ended.
    pub period: Period,
    pub price: Price<'t>,
}

/// Pairs a call's start and end records and prices the call with the tariff in
/// effect at its start.
pub fn complete_call<'t>(
    start: &CallRecord,
    end: &CallRecord,
    tariffs: &'t TariffSchedule,
    zone: Tz,
) -> Result<PricedCall<'t>, ApiError> {
    let Event::Start { source, destination } = &start.event else {
        return Err(ApiError::internal());
    };
    if end.timestamp < start.timestamp {
        return Err(ApiError::new(
            ErrorCode::EndBeforeStart,
            format!(
                "call {} ends at {} but started at {}: an end cannot be earlier than its start",
                start.call_id,
                crate::timestamp::format_timestamp(end.timestamp),
                crate::timestamp::format_timestamp(start.timestamp),
            ),
        ));
    }
    let price = price_call(start.timestamp, end.timestamp, tariffs.in_effect_at(start.timestamp), zone);
    Ok(PricedCall {
        call_id: start.call_id,
        source: source.clone(),
        destination: destination.clone(),
        start: start.timestamp,
        end: end.timestamp,
        duration: price.duration(),
        period: Period::containing(end.timestamp, zone),
        price,
    })
}

/// Where a call stands, from the records stored for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Started,
    EndedWithoutStart,
    Completed,
}

/// What is stored of a completed call's price: fixed when it completed, never recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub duration: CallDuration,
    pub price: crate::money::Cents,
    pub period: Period,
    pub tariff_id: String,
    /// The [`Price`] with its segments, as JSON.
    pub breakdown: serde_json::Value,
}

impl From<&PricedCall<'_>> for Charge {
    fn from(call: &PricedCall<'_>) -> Charge {
        Charge {
            duration: call.duration,
            price: call.price.total,
            period: call.period,
            tariff_id: call.price.tariff_id.to_owned(),
            breakdown: serde_json::to_value(&call.price).expect("a price always serializes"),
        }
    }
}

/// A call's records and, once both are in, its charge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallState {
    pub start: Option<CallRecord>,
    pub end: Option<CallRecord>,
    pub charge: Option<Charge>,
}

impl CallState {
    /// `None` while neither record is stored.
    pub fn status(&self) -> Option<CallStatus> {
        match (&self.start, &self.end) {
            (Some(_), Some(_)) => Some(CallStatus::Completed),
            (Some(_), None) => Some(CallStatus::Started),
            (None, Some(_)) => Some(CallStatus::EndedWithoutStart),
            (None, None) => None,
        }
    }

    /// The body of `GET /v1/calls/{call_id}` (SPEC §3).
    pub fn view(&self, call_id: CallId) -> serde_json::Value {
        let mut view = serde_json::json!({
            "call_id": call_id,
            "status": self.status(),
            "start": self.start,
            "end": self.end,
        });
        if let Some(charge) = &self.charge {
            let fields = serde_json::json!({
                "duration": charge.duration.to_string(),
                "duration_seconds": charge.duration.seconds(),
                "price": charge.price.to_string(),
                "price_cents": charge.price,
                "period": charge.period,
                "tariff_id": charge.tariff_id,
                "breakdown": charge.breakdown,
            });
            view.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        }
        view
    }
}
