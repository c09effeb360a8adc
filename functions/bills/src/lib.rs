//! `GET /v1/bills/{subscriber}`: a page of a subscriber's monthly bill, as JSON or CSV.

use std::time::Instant;

use callbill::cursor::Cursor;
use callbill::digits::parse_digits;
use callbill::http::{error_response, json_response, log_request, no_route, path_segments, response};
use callbill::store::Store;
use callbill::{ApiError, Bill, Config, ErrorCode, Period, PhoneNumber};
use chrono::{DateTime, Utc};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::{HeaderValue, Method, header};
use lambda_http::{Body, Error, Request, RequestExt, Response};

/// Most lines on one page, and the default.
pub const MAX_LIMIT: usize = 1000;
/// The response header that carries the next cursor of a CSV page.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

pub async fn handle(store: &Store, config: &Config, request: Request) -> Result<Response<Body>, Error> {
    let started = Instant::now();
    let response = match (request.method(), path_segments(&request).as_slice()) {
        (&Method::GET, ["v1", "bills", subscriber]) => {
            bill(store, config, &request, subscriber, Utc::now()).await.unwrap_or_else(|e| error_response(&e))
        }
        _ => error_response(&no_route(&request, "GET /v1/bills/{subscriber}")),
    };
    log_request("get_bill", &response, None, started);
    Ok(response)
}

enum Format {
    Json,
    Csv,
}

async fn bill(
    store: &Store,
    config: &Config,
    request: &Request,
    subscriber: &str,
    now: DateTime<Utc>,
) -> Result<Response<Body>, ApiError> {
    let subscriber: PhoneNumber = subscriber.parse().map_err(|e| {
        ApiError::new(ErrorCode::InvalidSubscriber, format!("subscriber {subscriber:?} is not a telephone number: {e}"))
    })?;
    let query = request.query_string_parameters();
    let param = |name, code| single(&query, name, code);
    let zone = config.zone;
    let period = Period::from_query(
        param("period", ErrorCode::InvalidPeriod)?,
        param("year", ErrorCode::InvalidPeriod)?,
        param("month", ErrorCode::InvalidPeriod)?,
    )?
    .unwrap_or_else(|| Period::last_closed(now, zone));
    if !period.is_closed(now, zone) {
        return Err(ApiError::new(
            ErrorCode::PeriodNotClosed,
            format!(
                "period {period} has not ended yet in {zone}: a bill covers a month that has ended; the latest is {}",
                Period::last_closed(now, zone)
            ),
        ));
    }
    let limit = match param("limit", ErrorCode::InvalidQuery)? {
        None => MAX_LIMIT,
        Some(text) => parse_digits(text).filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                format!("limit {text:?} must be a whole number from 1 to {MAX_LIMIT}"),
            )
        })?,
    };
    let format = format(param("format", ErrorCode::InvalidQuery)?, request.headers().get(header::ACCEPT))?;
    let cursor =
        param("cursor", ErrorCode::InvalidCursor)?.map(|text| Cursor::decode(text, &subscriber, period)).transpose()?;

    // Later pages take the totals from their cursor: one read of them per listing.
    let ((call_count, total), (lines, last_key)) = match cursor {
        Some(cursor) => (
            (cursor.call_count, cursor.total),
            store.bill_lines(&subscriber, period, limit, Some(&cursor.after)).await?,
        ),
        None => tokio::try_join!(
            store.bill_summary(&subscriber, period),
            store.bill_lines(&subscriber, period, limit, None),
        )?,
    };
    let next_cursor = last_key.map(|after| Cursor { after, call_count, total }.encode(&subscriber));
    let bill = Bill { subscriber, period, call_count, total, lines, next_cursor };
    Ok(match format {
        Format::Json => json_response(200, &bill.view(zone)),
        Format::Csv => {
            let mut csv = response(200, "text/csv; charset=utf-8", bill.to_csv(zone));
            if let Some(cursor) = &bill.next_cursor {
                let value = HeaderValue::from_str(cursor).expect("cursors are base64url");
                csv.headers_mut().insert(NEXT_CURSOR_HEADER, value);
            }
            csv
        }
    })
}

/// A query parameter's value. API Gateway joins a repeated parameter's values with
/// commas and lambda_http splits them again: two values are ambiguous, refused with `code`.
fn single<'q>(query: &'q QueryMap, name: &str, code: ErrorCode) -> Result<Option<&'q str>, ApiError> {
    match query.all(name).as_deref() {
        None => Ok(None),
        Some([value]) => Ok(Some(value)),
        Some(values) => Err(ApiError::new(
            code,
            format!("{name} is given {} times ({}): give it once", values.len(), values.join(", ")),
        )),
    }
}

/// `format=csv|json` wins; otherwise `Accept: text/csv` asks for CSV.
fn format(param: Option<&str>, accept: Option<&HeaderValue>) -> Result<Format, ApiError> {
    match param {
        Some(f) if f.eq_ignore_ascii_case("csv") => Ok(Format::Csv),
        Some(f) if f.eq_ignore_ascii_case("json") => Ok(Format::Json),
        Some(f) => Err(ApiError::new(ErrorCode::InvalidQuery, format!("format {f:?} is not offered: use csv or json"))),
        None if accept.and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/csv")) => Ok(Format::Csv),
        None => Ok(Format::Json),
    }
}
