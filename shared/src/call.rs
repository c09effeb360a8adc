//! Calls: pairing a start with an end into a priced call, and what is stored of it.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::duration::CallDuration;
use crate::error::{ApiError, ErrorCode};
use crate::ids::CallId;
use crate::money::Cents;
use crate::period::Period;
use crate::phone::PhoneNumber;
use crate::pricing::{Price, price_call};
use crate::record::{CallRecord, Event};
use crate::tariff::TariffSchedule;
use crate::timestamp::format_timestamp;

/// The longest call accepted (SPEC §2). Switches split longer calls into several
/// records; a longer pairing is a wrong `call_id` or a lost record, and its breakdown
/// would outgrow the 400 KB a stored call may hold.
pub const MAX_CALL_DURATION: TimeDelta = TimeDelta::days(92);

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
    let price = price_span(&format!("call {}", start.call_id), start.timestamp, end.timestamp, tariffs, zone)?;
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

/// The price of a call from `start` to `end` with the tariff in effect at its start:
/// the one path a completing record pair and a quote both take.
pub fn price_span<'t>(
    what: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    tariffs: &'t TariffSchedule,
    zone: Tz,
) -> Result<Price<'t>, ApiError> {
    check_duration(what, start, end)?;
    Ok(price_call(start, end, tariffs.in_effect_at(start), zone))
}

/// What a quote answers (SPEC §3): the charge a call from `start` to `end` would
/// get if it completed now, nothing stored.
pub fn quote(start: DateTime<Utc>, end: DateTime<Utc>, tariffs: &TariffSchedule, zone: Tz) -> Result<Charge, ApiError> {
    let price = price_span("the quoted call", start, end, tariffs, zone)?;
    Ok(Charge::new(&price, Period::containing(end, zone)))
}

/// A call may end no earlier than it started and at most [`MAX_CALL_DURATION`] later.
fn check_duration(what: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(), ApiError> {
    let (start_text, end_text) = (format_timestamp(start), format_timestamp(end));
    if end < start {
        return Err(ApiError::new(
            ErrorCode::EndBeforeStart,
            format!("{what} ends at {end_text} but started at {start_text}: an end cannot be earlier than its start"),
        ));
    }
    if end - start > MAX_CALL_DURATION {
        return Err(ApiError::new(
            ErrorCode::CallTooLong,
            format!(
                "{what} would last from {start_text} to {end_text}, more than {} days: no switch holds a call \
                 that long, so a record has a wrong call_id or a record is missing; nothing was stored",
                MAX_CALL_DURATION.num_days()
            ),
        ));
    }
    Ok(())
}

/// Where a call stands, from the records stored for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Started,
    EndedWithoutStart,
    Completed,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Started => "started",
            CallStatus::EndedWithoutStart => "ended_without_start",
            CallStatus::Completed => "completed",
        }
    }
}

/// What is stored of a completed call's price: fixed when it completed, never recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub duration: CallDuration,
    pub price: Cents,
    pub period: Period,
    pub tariff_id: String,
    /// The [`Price`] with its segments, as JSON.
    pub breakdown: serde_json::Value,
}

impl Charge {
    pub fn new(price: &Price<'_>, period: Period) -> Charge {
        Charge {
            duration: price.duration(),
            price: price.total,
            period,
            tariff_id: price.tariff_id.to_owned(),
            breakdown: serde_json::to_value(price).expect("a price always serializes"),
        }
    }
}

impl From<&PricedCall<'_>> for Charge {
    fn from(call: &PricedCall<'_>) -> Charge {
        Charge::new(&call.price, call.period)
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

    /// The calling number, once the start is in: whose bill the call goes on.
    pub fn subscriber(&self) -> Option<&PhoneNumber> {
        match self.start.as_ref().map(|start| &start.event) {
            Some(Event::Start { source, .. }) => Some(source),
            _ => None,
        }
    }

    /// The body of `GET /v1/calls/{call_id}` (SPEC §3).
    pub fn view(&self, call_id: CallId) -> CallView<'_> {
        CallView {
            call_id,
            status: self.status(),
            start: self.start.as_ref(),
            end: self.end.as_ref(),
            charge: self.charge.as_ref().map(ChargeView::from),
        }
    }
}

/// A call as `GET /v1/calls/{call_id}` shows it: the price fields only once completed.
#[derive(Debug, Serialize)]
pub struct CallView<'a> {
    pub call_id: CallId,
    pub status: Option<CallStatus>,
    pub start: Option<&'a CallRecord>,
    pub end: Option<&'a CallRecord>,
    #[serde(flatten)]
    pub charge: Option<ChargeView<'a>>,
}

/// The price of a completed call as the API shows it (SPEC §3), also the quote's body.
#[derive(Debug, Serialize)]
pub struct ChargeView<'a> {
    pub duration: String,
    pub duration_seconds: u64,
    pub price: String,
    pub price_cents: Cents,
    pub period: Period,
    pub tariff_id: &'a str,
    pub breakdown: &'a serde_json::Value,
}

impl<'a> From<&'a Charge> for ChargeView<'a> {
    fn from(charge: &'a Charge) -> ChargeView<'a> {
        ChargeView {
            duration: charge.duration.to_string(),
            duration_seconds: charge.duration.seconds(),
            price: charge.price.to_string(),
            price_cents: charge.price,
            period: charge.period,
            tariff_id: &charge.tariff_id,
            breakdown: &charge.breakdown,
        }
    }
}
