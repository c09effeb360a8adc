//! The one error type of the API and its JSON envelope (SPEC §7).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Messages per field at fault, e.g. `{"source": ["must be 10 or 11 digits"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }

    /// Adds a message for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }

    /// The value of a field read on its own, or `None` with its message added.
    pub fn check<T>(&mut self, field: &str, read: Result<T, String>) -> Option<T> {
        read.map_err(|message| self.add(field, message)).ok()
    }
}

impl std::ops::Deref for FieldErrors {
    type Target = BTreeMap<String, Vec<String>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Defines [`ErrorCode`] from one table: each code's variant, name and HTTP status.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $status:literal,)+) => {
        /// Every error code a client can see (SPEC §7), with the HTTP status it travels with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)+
                }
            }

            /// The HTTP status code a response with this error carries.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }
        }
    };
}

error_codes! {
    InvalidJson = "invalid_json" => 400,
    InvalidRecord = "invalid_record" => 400,
    DuplicateRecord = "duplicate_record" => 409,
    CallAlreadyStarted = "call_already_started" => 409,
    CallAlreadyEnded = "call_already_ended" => 409,
    RecordIdTaken = "record_id_taken" => 409,
    EndBeforeStart = "end_before_start" => 409,
    /// A start and an end more than 92 days apart: a wrong call id or a lost record.
    CallTooLong = "call_too_long" => 409,
    InvalidSubscriber = "invalid_subscriber" => 400,
    InvalidPeriod = "invalid_period" => 400,
    PeriodNotClosed = "period_not_closed" => 400,
    InvalidCursor = "invalid_cursor" => 400,
    /// A bill's `limit` or `format` is wrong.
    InvalidQuery = "invalid_query" => 400,
    /// The bill changed since the first page of a listing: start again.
    BillChanged = "bill_changed" => 409,
    NotFound = "not_found" => 404,
    PayloadTooLarge = "payload_too_large" => 413,
    Unavailable = "unavailable" => 503,
    Internal = "internal" => 500,
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a client should wait after a 503 before retrying.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// An error as the API reports it: a code, a message saying what is wrong and what
/// is accepted, and the fields at fault when there are any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
    /// Seconds a client should wait before retrying; sent as `Retry-After`, not in the body.
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: &'a ApiError,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), fields: None, retry_after: None }
    }

    /// `invalid_record` listing every invalid field at once.
    pub fn invalid_record(fields: FieldErrors) -> Self {
        let message = match fields.len() {
            1 => "1 field is invalid".to_owned(),
            n => format!("{n} fields are invalid"),
        };
        ApiError { fields: Some(fields), ..ApiError::new(ErrorCode::InvalidRecord, message) }
    }

    /// `unavailable`: storage is down or throttling; nothing was written.
    pub fn unavailable() -> Self {
        ApiError {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..ApiError::new(
                ErrorCode::Unavailable,
                "storage is unavailable or throttled; nothing was written: retry later",
            )
        }
    }

    /// `unavailable` with what is going on and when to retry.
    pub fn unavailable_because(message: impl Into<String>) -> Self {
        ApiError { retry_after: Some(RETRY_AFTER_SECONDS), ..ApiError::new(ErrorCode::Unavailable, message) }
    }

    /// `unavailable` after a write whose outcome is unknown: it may have been applied.
    pub fn unavailable_in_doubt() -> Self {
        ApiError {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..ApiError::new(
                ErrorCode::Unavailable,
                "storage did not answer in time, so the record may have been stored; resending it is safe when it \
                 has an id or a call_id (it is then a replay, stored once), while a start with neither is stored \
                 again as a new call",
            )
        }
    }

    pub fn internal() -> Self {
        ApiError::new(ErrorCode::Internal, "internal error; it has been logged")
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The response body: `{"error": {"code", "message", "fields"?}}`.
    pub fn to_body(&self) -> String {
        serde_json::to_string(&Envelope { error: self }).expect("an error envelope always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_status_and_a_distinct_name() {
        let names: std::collections::BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
            assert!([400, 404, 409, 413, 500, 503].contains(&code.status()), "{code}");
        }
        let status = |code: ErrorCode| code.status();
        assert_eq!(status(ErrorCode::InvalidRecord), 400);
        assert_eq!(status(ErrorCode::EndBeforeStart), 409);
        assert_eq!(status(ErrorCode::Unavailable), 503);
    }

    #[test]
    fn envelope_lists_fields_only_when_present() {
        let mut fields = FieldErrors::new();
        fields.add("source", "must be 10 or 11 digits");
        fields.add("timestamp", "not a valid timestamp");
        let body: serde_json::Value = serde_json::from_str(&ApiError::invalid_record(fields).to_body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "invalid_record", "message": "2 fields are invalid",
                "fields": {"source": ["must be 10 or 11 digits"], "timestamp": ["not a valid timestamp"]}}})
        );

        let body: serde_json::Value = serde_json::from_str(&ApiError::unavailable().to_body()).unwrap();
        assert_eq!(body["error"]["code"], "unavailable");
        assert!(body["error"].get("fields").is_none());
        assert!(body["error"].get("retry_after").is_none());
    }
}
