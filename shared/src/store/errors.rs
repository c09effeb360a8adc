//! SDK failures as the API reports them.

use std::fmt::Debug;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::ApiError;

/// Error codes that mean DynamoDB is throttling or briefly failing: retry later.
const TRANSIENT_CODES: [&str; 7] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
    "LimitExceededException",
];

/// `unavailable` (503) when storage is unreachable, slow or throttling; otherwise
/// `internal` (500), since every other failure is a bug or a broken deployment.
pub(crate) fn storage_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug,
{
    let transient = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(_) => err.code().is_some_and(|code| TRANSIENT_CODES.contains(&code)),
        _ => false,
    };
    let error = DisplayErrorContext(&err);
    if transient {
        tracing::warn!(operation, error = %error, "storage unavailable");
        ApiError::unavailable()
    } else {
        tracing::error!(operation, error = %error, "storage request failed");
        ApiError::internal()
    }
}

/// Whether a failed write may still have been applied: no answer came (a timeout,
/// a connection lost or an answer that could not be read), or DynamoDB answered with
/// an internal error, after which AWS says a write may or may not have happened.
pub(crate) fn outcome_unknown<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => !failure.is_user(),
        SdkError::ServiceError(_) => err.code() == Some("InternalServerError"),
        _ => false,
    }
}

/// Whether DynamoDB refused the request for load: nothing was done, try again later.
pub(crate) fn throttled<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    matches!(
        err.code(),
        Some("ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded")
    )
}

/// A stored item the store cannot read back.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %what, "corrupt item");
    ApiError::internal()
}
