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
    let Event::Start {
        source,
        destination,
    } = &start.event
    else {
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
    let price = price_call(
        start.timestamp,
        end.timestamp,
        tariffs.in_effect_at(start.timestamp),
        zone,
    );
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
