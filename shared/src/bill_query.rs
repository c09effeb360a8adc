//! What `GET /v1/bills/{subscriber}` asks for (SPEC §4), read from its path
//! segment, query parameters and `Accept` header: a pure function.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::aws_lambda_events::query_map::QueryMap;

use crate::cursor::Cursor;
use crate::digits::parse_digits;
use crate::error::{ApiError, ErrorCode};
use crate::http::{refuse_unknown, single};
use crate::period::Period;
use crate::phone::PhoneNumber;

/// Most lines on one page, and the default.
pub const MAX_LIMIT: usize = 1000;

/// The query parameters a bill takes; any other is refused.
pub const PARAMETERS: [&str; 6] = ["period", "year", "month", "limit", "cursor", "format"];

/// How a bill is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// One page of one bill, as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillQuery {
    pub subscriber: PhoneNumber,
    pub period: Period,
    pub limit: usize,
    pub format: Format,
    /// Where the page starts: `None` for the first page.
    pub cursor: Option<Cursor>,
}

impl BillQuery {
    /// Reads a bill request; `now` and `zone` give the default period and the rule
    /// that only a closed period can be billed.
    pub fn parse(
        subscriber: &str,
        query: &QueryMap,
        accept: Option<&str>,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Result<BillQuery, ApiError> {
        let subscriber: PhoneNumber = subscriber.parse().map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidSubscriber,
                format!("subscriber {subscriber:?} is not a telephone number: {e}"),
            )
        })?;
        refuse_unknown(query, &PARAMETERS, "a bill")?;
        let param = |name, code| single(query, name, code);
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
        let format = format(param("format", ErrorCode::InvalidQuery)?, accept)?;
        let cursor = param("cursor", ErrorCode::InvalidCursor)?
            .map(|text| Cursor::decode(text, &subscriber, period))
            .transpose()?;
        Ok(BillQuery { subscriber, period, limit, format, cursor })
    }
}

/// `format=csv|json` wins; otherwise the `Accept` header decides.
fn format(param: Option<&str>, accept: Option<&str>) -> Result<Format, ApiError> {
    match param {
        Some(f) if f.eq_ignore_ascii_case("csv") => Ok(Format::Csv),
        Some(f) if f.eq_ignore_ascii_case("json") => Ok(Format::Json),
        Some(f) => Err(ApiError::new(ErrorCode::InvalidQuery, format!("format {f:?} is not offered: use csv or json"))),
        None if accept.is_some_and(prefers_csv) => Ok(Format::Csv),
        None => Ok(Format::Json),
    }
}

/// CSV when `text/csv` (or `text/*`) is named with a quality above 0 and at least
/// that of JSON (`application/json`, `application/*` or `*/*`); `*/*` alone is JSON.
fn prefers_csv(accept: &str) -> bool {
    let (mut csv, mut json) = (None::<(u8, f32)>, None::<(u8, f32)>);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // The most specific range that matches a type sets its quality.
        let offer = |slot: &mut Option<(u8, f32)>, specificity| {
            if slot.is_none_or(|(s, _)| specificity > s) {
                *slot = Some((specificity, quality));
            }
        };
        match media.as_str() {
            "text/csv" => offer(&mut csv, 2),
            "text/*" => offer(&mut csv, 1),
            "application/json" => offer(&mut json, 2),
            "application/*" => offer(&mut json, 1),
            "*/*" => offer(&mut json, 0),
            _ => {}
        }
    }
    let csv = csv.map_or(0.0, |(_, q)| q);
    csv > 0.0 && csv >= json.map_or(0.0, |(_, q)| q)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn query(pairs: &[(&str, &str)]) -> QueryMap {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in pairs {
            // API Gateway joins a repeated parameter with commas; lambda_http splits it.
            map.entry((*name).to_owned()).or_default().extend(value.split(',').map(str::to_owned));
        }
        QueryMap::from(map)
    }

    fn parse(pairs: &[(&str, &str)], accept: Option<&str>) -> Result<BillQuery, ErrorCode> {
        let now = "2026-11-23T12:00:00Z".parse().unwrap();
        BillQuery::parse("99988526423", &query(pairs), accept, now, Tz::UTC).map_err(|e| e.code)
    }

    #[test]
    fn reads_every_parameter_and_refuses_what_is_wrong() {
        let december: Period = "2017-12".parse().unwrap();
        let ok = |pairs: &[(&str, &str)], accept| parse(pairs, accept).unwrap();
        assert_eq!(ok(&[], None).period, "2026-10".parse().unwrap(), "default: the previous month");
        assert_eq!(ok(&[], None).limit, MAX_LIMIT);
        assert_eq!(ok(&[], None).format, Format::Json);
        for spelling in [
            &[("period", "2017-12")][..],
            &[("period", "201712")],
            &[("period", "12/2017")],
            &[("year", "2017"), ("month", "12")],
        ] {
            assert_eq!(ok(spelling, None).period, december, "{spelling:?}");
        }
        assert_eq!(ok(&[("limit", "5")], None).limit, 5);
        assert_eq!(ok(&[("format", "CSV")], None).format, Format::Csv);
        assert_eq!(ok(&[], Some("text/csv")).format, Format::Csv);
        assert_eq!(ok(&[("format", "json")], Some("text/csv")).format, Format::Json);
        // Accept with q-values: CSV only when text/csv is acceptable and at least as wanted as JSON.
        for (accept, format) in [
            ("text/csv;q=0", Format::Json),
            ("text/csv; q=0.0", Format::Json),
            ("*/*", Format::Json),
            ("application/json, text/csv;q=0.5", Format::Json),
            ("text/csv;q=0.5, application/json;q=0.4", Format::Csv),
            ("text/csv, application/json", Format::Csv),
            ("text/*", Format::Csv),
            ("TEXT/CSV", Format::Csv),
            ("text/csv;charset=utf-8;q=1", Format::Csv),
            ("text/csvx", Format::Json),
        ] {
            assert_eq!(ok(&[], Some(accept)).format, format, "{accept}");
        }

        let cases: [(&[(&str, &str)], ErrorCode); 11] = [
            (&[("period", "2026-11")], ErrorCode::PeriodNotClosed),
            (&[("period", "2027-01")], ErrorCode::PeriodNotClosed),
            (&[("period", "2017-13")], ErrorCode::InvalidPeriod),
            (&[("period", "2017-12"), ("year", "2017"), ("month", "12")], ErrorCode::InvalidPeriod),
            (&[("period", "2017-12,2017-11")], ErrorCode::InvalidPeriod),
            (&[("limit", "0")], ErrorCode::InvalidQuery),
            (&[("limit", "1001")], ErrorCode::InvalidQuery),
            (&[("limit", "+5")], ErrorCode::InvalidQuery),
            (&[("format", "xml")], ErrorCode::InvalidQuery),
            (&[("limit", "5,6")], ErrorCode::InvalidQuery),
            (&[("cursor", "abc")], ErrorCode::InvalidCursor),
        ];
        for (pairs, code) in cases {
            assert_eq!(parse(pairs, None).map(|_| ()), Err(code), "{pairs:?}");
        }
        // A misspelt or foreign parameter never quietly answers the default month.
        for name in ["reference_period", "Period", "periodo", "source", "page"] {
            let now = "2026-11-23T12:00:00Z".parse().unwrap();
            let error = BillQuery::parse("99988526423", &query(&[(name, "201712")]), None, now, Tz::UTC).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidQuery, "{name}");
            assert!(error.message.contains(&format!("{name:?}")), "{}", error.message);
        }
        let now = "2026-11-23T12:00:00Z".parse().unwrap();
        let bad = BillQuery::parse("999", &query(&[]), None, now, Tz::UTC).unwrap_err();
        assert_eq!(bad.code, ErrorCode::InvalidSubscriber);
    }
}
