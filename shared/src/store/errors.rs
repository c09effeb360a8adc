//! Storage failures as the API reports them, whichever client sent the request:
//! the SDK's for the bill queries, the store's own wire for ingestion.

use std::fmt::Display;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::ApiError;

/// Error codes that mean DynamoDB refused a request for load.
const THROTTLING_CODES: [&str; 3] =
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"];

/// Error codes, besides throttling, that mean DynamoDB is briefly failing.
const BRIEF_FAILURE_CODES: [&str; 4] =
    ["InternalServerError", "ServiceUnavailable", "TransactionInProgressException", "LimitExceededException"];

/// How a request to DynamoDB failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure<'a> {
    /// The request could not be built: nothing was sent.
    Unbuilt,
    /// The HTTP client refused to send it: nothing was sent.
    Refused,
    /// No answer, a lost connection or an answer that could not be read: the
    /// request may or may not have been applied.
    Unanswered,
    /// DynamoDB answered with an error, with this code.
    Answered(Option<&'a str>),
}

impl Failure<'_> {
    pub(crate) fn of_sdk<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Failure<'_> {
        match err {
            SdkError::DispatchFailure(failure) if failure.is_user() => Failure::Refused,
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
                Failure::Unanswered
            }
            SdkError::ServiceError(_) => Failure::Answered(err.code()),
            _ => Failure::Unbuilt,
        }
    }

    /// Whether trying again later may succeed: storage is unreachable, slow or
    /// throttling.
    pub(crate) fn transient(self) -> bool {
        match self {
            Failure::Refused | Failure::Unanswered => true,
            Failure::Answered(code) => self.throttled() || code.is_some_and(|code| BRIEF_FAILURE_CODES.contains(&code)),
            Failure::Unbuilt => false,
        }
    }

    /// Whether a failed write may still have been applied: no answer came, or
    /// DynamoDB answered with an internal error, after which AWS says a write may
    /// or may not have happened.
    pub(crate) fn outcome_unknown(self) -> bool {
        matches!(self, Failure::Unanswered | Failure::Answered(Some("InternalServerError")))
    }

    /// Whether DynamoDB refused the request for load: nothing was done, try again later.
    pub(crate) fn throttled(self) -> bool {
        matches!(self, Failure::Answered(Some(code)) if THROTTLING_CODES.contains(&code))
    }
}

/// `unavailable` (503) when storage is unreachable, slow or throttling; otherwise
/// `internal` (500), since every other failure is a bug or a broken deployment.
pub(crate) fn storage_error(operation: &'static str, failure: Failure<'_>, error: &dyn Display) -> ApiError {
    if failure.transient() {
        tracing::warn!(operation, error = %error, "storage unavailable");
        ApiError::unavailable()
    } else {
        tracing::error!(operation, error = %error, "storage request failed");
        ApiError::internal()
    }
}

/// [`storage_error`] for a request the SDK sent.
pub(crate) fn sdk_storage_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    storage_error(operation, Failure::of_sdk(&err), &DisplayErrorContext(&err))
}

/// A stored item the store cannot read back.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %what, "corrupt item");
    ApiError::internal()
}
