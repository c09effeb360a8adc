//! callbill's domain: what a call record means, what a call costs and what a bill
//! holds, plus the DynamoDB store and HTTP helpers both Lambda functions use.
//! The domain modules are pure (no I/O, no clock): the current time and the
//! billing time zone are always passed in; only `store` talks to DynamoDB.

pub mod bill;
pub mod bill_page;
pub mod bill_query;
pub mod call;
pub mod config;
pub mod cursor;
pub mod digits;
pub mod duration;
pub mod error;
pub mod http;
pub mod ids;
pub mod ingest;
pub mod json;
pub mod legacy;
pub mod log;
pub mod metrics;
pub mod money;
pub mod period;
pub mod phone;
pub mod pricing;
pub mod quote;
pub mod record;
pub mod store;
pub mod tariff;
pub mod timestamp;
pub mod unmatched;

pub use bill::{Bill, BillKey, BillLine};
pub use call::{CallState, CallStatus, Charge, PricedCall, complete_call};
pub use config::{Config, ConfigError};
pub use duration::CallDuration;
pub use error::{ApiError, ErrorCode, FieldErrors};
pub use ids::{CallId, RecordId};
pub use ingest::{Ingested, ingest};
pub use money::Cents;
pub use period::Period;
pub use phone::PhoneNumber;
pub use pricing::{Price, Segment, price_call};
pub use record::{CallRecord, Event, NewRecord, RecordKind, parse_record};
pub use tariff::{Band, Tariff, TariffSchedule};
