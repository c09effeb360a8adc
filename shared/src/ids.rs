//! Identifiers of calls and records, and the range they are drawn from.

use std::fmt;
use std::ops::RangeInclusive;

use serde::Serialize;

/// The largest id accepted: ids stay exact in every JSON client (2^53 - 1).
pub const MAX_ID: u64 = (1 << 53) - 1;

/// Call ids the server assigns: the upper half of the id range, away from the small
/// ids switches number their calls with.
pub const ASSIGNED_CALL_IDS: RangeInclusive<u64> = (1 << 52)..=MAX_ID;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

impl CallId {
    /// A call id from path text: ASCII digits, 1 to [`MAX_ID`].
    pub fn parse(text: &str) -> Option<CallId> {
        crate::digits::parse_digits(text).filter(|id| (1..=MAX_ID).contains(id)).map(CallId)
    }
}
