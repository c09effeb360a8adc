//! Request and response helpers both handlers use: JSON bodies in, JSON out, the
//! error envelope, and the one log line per request.

use std::io::Write;
use std::time::Instant;

use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::Value;
use xxhash_rust::xxh3::Xxh3Default;

use crate::error::{ApiError, ErrorCode};
use crate::ids::CallId;
use crate::log;
use crate::metrics::{self, Metric};

const JSON: &str = "application/json";

/// A response with a JSON body.
pub fn json_response(status: u16, body: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(body).expect("response bodies always serialize");
    response(status, JSON, text)
}

/// A response with any text body.
pub fn response(status: u16, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = StatusCode::from_u16(status).expect("callbill uses standard status codes");
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// What a route answers: a response, or an error that [`into_response`] turns into one.
pub type RouteResult = Result<Response<Body>, ApiError>;

/// The one conversion of a route's result into its response: an [`ApiError`]
/// becomes the envelope of SPEC §7, with `Retry-After` when the client should retry.
pub fn into_response(result: RouteResult) -> Response<Body> {
    result.unwrap_or_else(|error| {
        let mut response = response(error.status(), JSON, error.to_body());
        if let Some(seconds) = error.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    })
}

/// Marks a response with the call it is about, for the request's log line.
pub fn about_call(mut response: Response<Body>, call_id: CallId) -> Response<Body> {
    response.extensions_mut().insert(call_id);
    response
}

/// Tags a `200` response with a strong `ETag` (XXH3, 64 bits, of its type and
/// bytes, so it changes whenever they do; stable across builds and machines, and
/// fast enough for a page of 1,000 lines) and answers `304` with no body when the request's
/// `If-None-Match` already holds it.
pub fn with_etag(request: &Request, mut response: Response<Body>) -> Response<Body> {
    if response.status() != StatusCode::OK {
        return response;
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).map(HeaderValue::as_bytes).unwrap_or_default();
    let mut hasher = Xxh3Default::new();
    hasher.update(content_type);
    hasher.update(b"\n");
    hasher.update(response.body().as_ref());
    let etag = format!("\"{:016x}\"", hasher.digest());
    let cached = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag);
    let etag = HeaderValue::from_str(&etag).expect("hex in quotes");
    if cached {
        let mut not_modified = Response::new(Body::Empty);
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        not_modified.headers_mut().insert(header::ETAG, etag);
        return not_modified;
    }
    response.headers_mut().insert(header::ETAG, etag);
    response
}

/// The request body, refused when larger than `max_bytes`.
pub fn body_within(request: &Request, max_bytes: usize) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > max_bytes {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body has {} bytes; at most {max_bytes} are accepted here", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// The request body as JSON, refused when larger than `max_bytes` or not JSON.
pub fn json_body(request: &Request, max_bytes: usize) -> Result<Value, ApiError> {
    let bytes = body_within(request, max_bytes)?;
    crate::json::from_slice(bytes).map_err(|e| {
        let problem = if bytes.is_empty() { "the body is empty".to_owned() } else { e.to_string() };
        ApiError::new(ErrorCode::InvalidJson, format!("the body is not valid JSON: {problem}"))
    })
}

/// A query parameter's value. API Gateway joins a repeated parameter's values with
/// commas and lambda_http splits them again: two values are ambiguous, refused with `code`.
pub fn single<'q>(query: &'q QueryMap, name: &str, code: ErrorCode) -> Result<Option<&'q str>, ApiError> {
    match query.all(name).as_deref() {
        None => Ok(None),
        Some([value]) => Ok(Some(value)),
        Some(values) => Err(ApiError::new(
            code,
            format!("{name} is given {} times ({}): give it once", values.len(), values.join(", ")),
        )),
    }
}

/// The first query parameter (by name) a route does not take: an unknown parameter
/// is refused, never ignored.
pub fn unknown_parameter<'q>(query: &'q QueryMap, known: &[&str]) -> Option<&'q str> {
    query.iter().map(|(name, _)| name).filter(|name| !known.contains(name)).min()
}

/// `invalid_query` naming the first parameter `what` does not take.
pub fn refuse_unknown(query: &QueryMap, known: &[&str], what: &str) -> Result<(), ApiError> {
    match unknown_parameter(query, known) {
        None => Ok(()),
        Some(name) => Err(ApiError::new(
            ErrorCode::InvalidQuery,
            format!("unknown query parameter {name:?}: {what} takes only {}", known.join(", ")),
        )),
    }
}

/// `not_found` for a method and path no route serves.
pub fn no_route(request: &Request, routes: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}; routes are {routes}", request.method(), request.uri().path()),
    )
}

/// The path split into its segments, without empty ones (so a trailing `/` is ignored).
pub fn path_segments(request: &Request) -> Vec<&str> {
    request.uri().path().split('/').filter(|s| !s.is_empty()).collect()
}

/// The function's name, as Lambda sets it (`local` elsewhere): the metrics' dimension.
static FUNCTION_NAME: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".to_owned()));

/// The metric lines of a request, as written to the log: carried by its response so
/// that what the log got can be read back.
#[derive(Debug, Clone, Default)]
pub struct MetricLines(pub Vec<String>);

/// The one structured log line of a request, and its metrics (EMF lines on stdout,
/// where Lambda sends them to CloudWatch as they are), written at once.
pub fn log_request(route: &str, response: &mut Response<Body>, mut counts: metrics::Counts, started: Instant) {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        counts.push((Metric::Unavailable, 1));
    }
    let lines = metrics::emf_lines(&FUNCTION_NAME, chrono::Utc::now().timestamp_millis(), counts);
    log::at_once(|| {
        for line in &lines {
            let _ = writeln!(log::Output, "{line}");
        }
        tracing::info!(
            route,
            status = response.status().as_u16(),
            call_id = response.extensions().get::<CallId>().map(|id| id.0),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
    });
    response.extensions_mut().insert(MetricLines(lines));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: &str) -> Request {
        let mut request = Request::new(Body::Text(body.to_owned()));
        *request.method_mut() = lambda_http::http::Method::POST;
        request
    }

    #[test]
    fn a_body_is_one_json_value_without_repeated_keys() {
        assert_eq!(json_body(&post(r#"{"type":"end","call_id":1}"#), 100).unwrap()["type"], "end");
        assert_eq!(
            json_body(&post(r#"{"a":{"b":1},"c":{"b":2}}"#), 100).unwrap()["c"]["b"],
            2,
            "same key in two objects"
        );
        for body in [
            r#"{"type":"end","type":"start"}"#,
            r#"{"records":[{"id":1,"id":1}]}"#,
            r#"{"a":1,"b":{"c":1,"c":2}}"#,
            "{",
            "",
            "[1,]",
            "1 2",
        ] {
            let error = json_body(&post(body), 100).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidJson, "{body}");
        }
        let repeated = json_body(&post(r#"{"type":"end","type":"start"}"#), 100).unwrap_err();
        assert!(repeated.message.contains("\"type\" appears twice"), "{}", repeated.message);
        assert!(repeated.message.starts_with("the body is not valid JSON"), "{}", repeated.message);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(json_body(&post(&deep), 100_000).unwrap_err().code, ErrorCode::InvalidJson);
    }
}
