//! The two requests every record makes, GetItem and TransactWriteItems, sent in
//! DynamoDB's JSON protocol without the SDK's orchestrator. On a single-record POST
//! the orchestrator's per-request work (interceptors, configuration, endpoint and
//! user agent) cost more CPU than signing, JSON and the request itself
//! (docs/benchmark-investigations.md). What stays the SDK's: the credentials and
//! the HTTP connector, which the SDK client shares, so that both reach DynamoDB over
//! one pool of connections. The requests are signed by `sigv4`, which the tests hold
//! to the SDK's signer.

mod json;
mod sigv4;

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_dynamodb::types::TransactWriteItem;
use aws_smithy_runtime_api::client::http::{HttpConnector, SharedHttpConnector};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use chrono::Utc;
use http_body_util::BodyExt;
use serde::Serialize;

use super::errors::Failure;
use super::item::Item;
use sigv4::SigningKey;

/// How a request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    /// The request could not be made (no credentials, an unsignable request): a
    /// broken deployment or a bug. Nothing was sent.
    #[error("request not made: {0}")]
    Unbuilt(String),
    /// The HTTP client refused the request before sending it. Nothing was sent.
    #[error("request refused by the HTTP client: {0}")]
    Refused(String),
    /// No answer came in time, the connection failed, or the answer could not be
    /// read: the request may or may not have been applied.
    #[error("no answer: {0}")]
    Unanswered(String),
    /// DynamoDB answered with an error, and with its code when it named one.
    #[error("{} (HTTP {status}): {message}", .code.as_deref().unwrap_or("an error without a code"))]
    Answered { status: u16, code: Option<String>, message: String, reasons: Vec<Reason> },
}

impl WireError {
    pub(crate) fn failure(&self) -> Failure<'_> {
        match self {
            WireError::Unbuilt(_) => Failure::Unbuilt,
            WireError::Refused(_) => Failure::Refused,
            WireError::Unanswered(_) => Failure::Unanswered,
            WireError::Answered { code, .. } => Failure::Answered(code.as_deref()),
        }
    }

    /// The reasons of a cancelled transaction, one for each action in order.
    pub(crate) fn cancellation_reasons(&self) -> Option<&[Reason]> {
        match self {
            WireError::Answered { code: Some(code), reasons, .. } if code == "TransactionCanceledException" => {
                Some(reasons)
            }
            _ => None,
        }
    }
}

/// Why one action of a cancelled transaction was not applied: its code
/// (`ConditionalCheckFailed`, `None`, ...) and the item it found, when asked for.
#[derive(Debug)]
pub(crate) struct Reason {
    pub code: Option<String>,
    pub item: Option<Item>,
}

/// The time limits and read retries of the SDK client the wire goes beside.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    attempt_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    /// Attempts of a read, the first included.
    read_attempts: u32,
    /// The first backoff after throttling.
    throttled_backoff: Duration,
    /// The first backoff after any other transient failure.
    transient_backoff: Duration,
    max_backoff: Duration,
}

impl Limits {
    /// The limits the SDK's standard retry strategy and time limits apply: a retry
    /// spec, when the configuration carries one, backs off less after a failure that
    /// is not throttling.
    pub(crate) fn of(timeouts: Option<&TimeoutConfig>, retries: &RetryConfig) -> Limits {
        Limits {
            attempt_timeout: timeouts.and_then(TimeoutConfig::operation_attempt_timeout),
            operation_timeout: timeouts.and_then(TimeoutConfig::operation_timeout),
            read_attempts: retries.max_attempts(),
            throttled_backoff: retries.initial_backoff(),
            transient_backoff: retries
                .retry_spec()
                .map_or(retries.initial_backoff(), |spec| spec.non_throttling_initial_backoff()),
            max_backoff: retries.max_backoff(),
        }
    }
}

/// A DynamoDB endpoint reached with signed requests.
#[derive(Debug)]
pub(crate) struct Wire {
    connector: SharedHttpConnector,
    endpoint: http::Uri,
    region: String,
    credentials: SharedCredentialsProvider,
    /// Credentials that were provided and have not expired, with the day's signing
    /// key: neither the provider's chain nor the key's derivation runs for every
    /// request.
    cached: Mutex<Option<(Credentials, SigningKey)>>,
    limits: Limits,
}

/// The operations the wire sends.
#[derive(Debug, Clone, Copy)]
enum Target {
    GetItem,
    TransactWriteItems,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::GetItem => "GetItem",
            Target::TransactWriteItems => "TransactWriteItems",
        }
    }

    /// Its `x-amz-target` header, in the API version the SDK speaks.
    fn header(self) -> &'static str {
        match self {
            Target::GetItem => "DynamoDB_20120810.GetItem",
            Target::TransactWriteItems => "DynamoDB_20120810.TransactWriteItems",
        }
    }
}

/// Every header a request sends but its `authorization`, in name order: all of
/// them are signed.
fn signed_headers<'a>(
    content_length: &'a str,
    host: &'a str,
    date_time: &'a str,
    session_token: Option<&'a str>,
    target: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut headers = vec![
        ("content-length", content_length),
        ("content-type", "application/x-amz-json-1.0"),
        ("host", host),
        ("x-amz-date", date_time),
    ];
    headers.extend(session_token.map(|token| ("x-amz-security-token", token)));
    headers.push(("x-amz-target", target));
    headers
}

/// Credentials are renewed this long before they expire.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);

impl Wire {
    pub(crate) fn new(
        connector: SharedHttpConnector,
        endpoint: http::Uri,
        region: String,
        credentials: SharedCredentialsProvider,
        limits: Limits,
    ) -> Wire {
        assert!(
            sigv4::signable_path(endpoint.path()),
            "the DynamoDB endpoint {endpoint} has a path SigV4 would encode"
        );
        Wire { connector, endpoint, region, credentials, cached: Mutex::new(None), limits }
    }

    /// One strongly consistent item, with the read units it used; retried as the
    /// SDK retries a read: on no answer, throttling or a transient error.
    pub(crate) async fn get_item(&self, table: &str, key: &Item) -> Result<(Option<Item>, Option<f64>), WireError> {
        let input = json::GetItemInput {
            table_name: table,
            key: json::ItemJson(key),
            consistent_read: true,
            return_consumed_capacity: "TOTAL",
        };
        let body = self.body(&input)?;
        let output: json::GetItemOutput = self.within_operation(self.read_with_retries(Target::GetItem, &body)).await?;
        let item = output.item.map(json::into_item).transpose().map_err(WireError::Unanswered)?;
        Ok((item, output.consumed_capacity.unwrap_or_default().capacity_units))
    }

    /// One transaction, sent once: a second attempt after a lost answer would hide
    /// that the first may have been applied. The write units it used come back.
    pub(crate) async fn transact_write_items(&self, actions: &[TransactWriteItem]) -> Result<f64, WireError> {
        let body = self.body(&json::TransactWriteItemsInput(actions))?;
        let output: json::TransactWriteItemsOutput =
            self.within_operation(self.attempt(Target::TransactWriteItems, &body)).await?;
        Ok(output.consumed_capacity.iter().filter_map(|used| used.capacity_units).sum())
    }

    fn body(&self, input: &impl Serialize) -> Result<Vec<u8>, WireError> {
        serde_json::to_vec(input).map_err(|e| WireError::Unbuilt(e.to_string()))
    }

    async fn within_operation<T>(&self, operation: impl Future<Output = Result<T, WireError>>) -> Result<T, WireError> {
        match self.limits.operation_timeout {
            None => operation.await,
            Some(limit) => tokio::time::timeout(limit, operation)
                .await
                .unwrap_or_else(|_| Err(WireError::Unanswered(format!("no answer within {limit:?}")))),
        }
    }

    async fn read_with_retries<T: serde::de::DeserializeOwned>(
        &self,
        target: Target,
        body: &[u8],
    ) -> Result<T, WireError> {
        let mut attempt = 1;
        loop {
            match self.attempt(target, body).await {
                Err(err) if attempt < self.limits.read_attempts && err.failure().transient() => {
                    tracing::debug!(target = target.name(), attempt, error = %err, "retrying a read");
                    tokio::time::sleep(self.backoff(attempt, err.failure().throttled())).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// The SDK's exponential backoff with full jitter.
    fn backoff(&self, attempt: u32, throttled: bool) -> Duration {
        let first = if throttled { self.limits.throttled_backoff } else { self.limits.transient_backoff };
        let ceiling = first.saturating_mul(1 << (attempt - 1).min(16));
        ceiling.min(self.limits.max_backoff).mul_f64(fastrand::f64())
    }

    /// One attempt, within the attempt's time limit.
    async fn attempt<T: serde::de::DeserializeOwned>(&self, target: Target, body: &[u8]) -> Result<T, WireError> {
        let request = self.signed(target, body).await?;
        let exchange = async {
            let response = self.connector.call(request).await.map_err(|e| {
                let detail = aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string();
                if e.is_user() { WireError::Refused(detail) } else { WireError::Unanswered(detail) }
            })?;
            let status = response.status().as_u16();
            let answer = response.into_body().collect().await.map_err(|e| WireError::Unanswered(e.to_string()))?;
            Ok::<_, WireError>((status, answer.to_bytes()))
        };
        let (status, answer) = match self.limits.attempt_timeout {
            None => exchange.await?,
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .map_err(|_| WireError::Unanswered(format!("{}: no answer within {limit:?}", target.name())))??,
        };
        let target = target.name();
        if (200..300).contains(&status) {
            return serde_json::from_slice(&answer)
                .map_err(|e| WireError::Unanswered(format!("{target}: an answer that cannot be read: {e}")));
        }
        let error: json::ErrorOutput = serde_json::from_slice(&answer)
            .map_err(|e| WireError::Unanswered(format!("{target}: HTTP {status} with an unreadable error: {e}")))?;
        let reasons = error
            .cancellation_reasons
            .into_iter()
            .map(|reason| {
                let item = reason.item.map(json::into_item).transpose().map_err(WireError::Unanswered)?;
                Ok(Reason { code: reason.code, item })
            })
            .collect::<Result<_, WireError>>()?;
        Err(WireError::Answered {
            status,
            code: error.kind.as_deref().map(json::error_code).filter(|code| !code.is_empty()).map(str::to_owned),
            message: error.message.unwrap_or_default(),
            reasons,
        })
    }

    /// A POST of `body` to the endpoint as `target`, signed with SigV4.
    async fn signed(
        &self,
        target: Target,
        body: &[u8],
    ) -> Result<aws_smithy_runtime_api::client::orchestrator::HttpRequest, WireError> {
        let date_time = sigv4::date_time(Utc::now());
        let (credentials, key) = self.signing(sigv4::date(&date_time)).await?;
        let length = body.len().to_string();
        let host = self.endpoint.authority().map_or("", |authority| authority.as_str());
        let headers = signed_headers(&length, host, &date_time, credentials.session_token(), target.header());
        let authorization = sigv4::authorization(
            credentials.access_key_id(),
            &key,
            &self.region,
            &date_time,
            self.endpoint.path(),
            &headers,
            body,
        );
        let mut request = http::Request::post(self.endpoint.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
            .header(http::header::AUTHORIZATION, authorization)
            .body(SdkBody::from(body))
            .map_err(|e| WireError::Unbuilt(e.to_string()))?
            .try_into()
            .map_err(|e: aws_smithy_runtime_api::http::HttpError| WireError::Unbuilt(e.to_string()))
    }

    /// Credentials and the signing key for a request signed for `date` (`YYYYMMDD`).
    async fn signing(&self, date: &str) -> Result<(Credentials, SigningKey), WireError> {
        let fresh = |c: &Credentials| c.expiry().is_none_or(|at| at > SystemTime::now() + CREDENTIALS_MARGIN);
        let held = self.cached.lock().expect("no panic while held").clone().filter(|(c, _)| fresh(c));
        let credentials = match held {
            Some((credentials, key)) if key.date == date => return Ok((credentials, key)),
            Some((credentials, _)) => credentials,
            None => self.credentials.provide_credentials().await.map_err(|e| {
                WireError::Unbuilt(format!("no credentials: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))
            })?,
        };
        let key = SigningKey::derive(credentials.secret_access_key(), date, &self.region);
        *self.cached.lock().expect("no panic while held") = Some((credentials.clone(), key.clone()));
        Ok((credentials, key))
    }
}

#[cfg(test)]
mod tests;
