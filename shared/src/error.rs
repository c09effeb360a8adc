//! The one error type of the API and its JSON envelope (SPEC §7).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Messages per field at fault, e.g. `{"source": ["must be 10 or 11 digits"]}`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Every error code a client can see, with the HTTP status it travels with: those of
/// SPEC §7, plus `invalid_query` for a bill's `limit` or `format` (no listed code fits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    InvalidRecord,
    DuplicateRecord,
    CallAlreadyStarted,
    CallAlreadyEnded,
    RecordIdTaken,
    EndBeforeStart,
    InvalidSubscriber,
    InvalidPeriod,
    PeriodNotClosed,
    InvalidCursor,
    InvalidQuery,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::InvalidJson,
        ErrorCode::InvalidRecord,
        ErrorCode::DuplicateRecord,
        ErrorCode::CallAlreadyStarted,
        ErrorCode::CallAlreadyEnded,
        ErrorCode::RecordIdTaken,
        ErrorCode::EndBeforeStart,
        ErrorCode::InvalidSubscriber,
        ErrorCode::InvalidPeriod,
        ErrorCode::PeriodNotClosed,
        ErrorCode::InvalidCursor,
        ErrorCode::InvalidQuery,
        ErrorCode::NotFound,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidRecord => "invalid_record",
            ErrorCode::DuplicateRecord => "duplicate_record",
            ErrorCode::CallAlreadyStarted => "call_already_started",
            ErrorCode::CallAlreadyEnded => "call_already_ended",
            ErrorCode::RecordIdTaken => "record_id_taken",
            ErrorCode::EndBeforeStart => "end_before_start",
            ErrorCode::InvalidSubscriber => "invalid_subscriber",
            ErrorCode::InvalidPeriod => "invalid_period",
            ErrorCode::PeriodNotClosed => "period_not_closed",
            ErrorCode::InvalidCursor => "invalid_cursor",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::NotFound => "not_found",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status code a response with this error carries.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidJson
            | ErrorCode::InvalidRecord
            | ErrorCode::InvalidSubscriber
            | ErrorCode::InvalidPeriod
            | ErrorCode::PeriodNotClosed
            | ErrorCode::InvalidCursor
            | ErrorCode::InvalidQuery => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::DuplicateRecord
            | ErrorCode::CallAlreadyStarted
            | ErrorCode::CallAlreadyEnded
            | ErrorCode::RecordIdTaken
            | ErrorCode::EndBeforeStart => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    pub fn unavailable(retry_after_seconds: u32) -> Self {
        ApiError {
            retry_after: Some(retry_after_seconds),
            ..ApiError::new(
                ErrorCode::Unavailable,
                "storage is unavailable or throttled; nothing was written, retry later",
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
    fn every_code_has_its_status_and_name() {
        let expected = [
            ("invalid_json", 400),
            ("invalid_record", 400),
            ("duplicate_record", 409),
            ("call_already_started", 409),
            ("call_already_ended", 409),
            ("record_id_taken", 409),
            ("end_before_start", 409),
            ("invalid_subscriber", 400),
            ("invalid_period", 400),
            ("period_not_closed", 400),
            ("invalid_cursor", 400),
            ("invalid_query", 400),
            ("not_found", 404),
            ("payload_too_large", 413),
            ("unavailable", 503),
            ("internal", 500),
        ];
        assert_eq!(ErrorCode::ALL.len(), expected.len());
        for (code, (name, status)) in ErrorCode::ALL.iter().zip(expected) {
            assert_eq!(code.as_str(), name);
            assert_eq!(code.status(), status, "{name}");
            assert_eq!(serde_json::to_value(code).unwrap(), name);
        }
    }

    #[test]
    fn envelope_lists_fields_only_when_present() {
        let mut fields = FieldErrors::new();
        fields.entry("source".into()).or_default().push("must be 10 or 11 digits".into());
        fields.entry("timestamp".into()).or_default().push("not a valid timestamp".into());
        let body: serde_json::Value = serde_json::from_str(&ApiError::invalid_record(fields).to_body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "invalid_record", "message": "2 fields are invalid",
                "fields": {"source": ["must be 10 or 11 digits"], "timestamp": ["not a valid timestamp"]}}})
        );

        let body: serde_json::Value = serde_json::from_str(&ApiError::unavailable(2).to_body()).unwrap();
        assert_eq!(body["error"]["code"], "unavailable");
        assert!(body["error"].get("fields").is_none());
        assert!(body["error"].get("retry_after").is_none());
    }
}
