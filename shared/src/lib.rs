//! callbill's domain: what a call record means, what a call costs and what a bill
//! holds. Everything here is pure (no I/O, no clock): the current time and the
//! billing time zone are always passed in.

pub mod bill;
pub mod call;
pub mod config;
pub mod duration;
pub mod error;
pub mod money;
pub mod period;
pub mod phone;
pub mod pricing;
pub mod record;
pub mod tariff;
pub mod timestamp;

pub use bill::{Bill, BillLine};
pub use call::{CallId, PricedCall, RecordId, complete_call};
pub use config::{Config, ConfigError};
pub use duration::CallDuration;
pub use error::{ApiError, ErrorCode, FieldErrors};
pub use money::Cents;
pub use period::Period;
pub use phone::PhoneNumber;
pub use pricing::{Price, Segment, price_call};
pub use record::{CallRecord, Event, NewRecord, RecordKind, parse_record};
pub use tariff::{Band, Tariff, TariffSchedule};
