//! `POST /v1/quote` (SPEC §3): what a call would cost, read from `{"start", "end"}`
//! with a record's timestamp rules and priced as a completing pair is.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::call::{Charge, quote};
use crate::error::{ApiError, ErrorCode, FieldErrors};
use crate::record::parse_timestamp_value;
use crate::tariff::TariffSchedule;

const FIELDS: [&str; 2] = ["start", "end"];

/// The charge of the call `body` describes; every invalid field reported at once.
pub fn quote_body(body: &Value, now: DateTime<Utc>, tariffs: &TariffSchedule, zone: Tz) -> Result<Charge, ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::new(
            ErrorCode::InvalidRecord,
            "a quote asks with a JSON object: {\"start\": <timestamp>, \"end\": <timestamp>}",
        ));
    };
    let mut errors = FieldErrors::new();
    for name in fields.keys().filter(|name| !FIELDS.contains(&name.as_str())) {
        errors.add(name, "unknown field; a quote has only start and end");
    }
    let mut instant = |name: &str| {
        let read = match fields.get(name).filter(|v| !v.is_null()) {
            None => Err("required: an RFC 3339 timestamp or Unix seconds".to_owned()),
            Some(value) => parse_timestamp_value(value, now, zone),
        };
        errors.check(name, read)
    };
    let (start, end) = (instant("start"), instant("end"));
    match (start, end) {
        (Some(start), Some(end)) if errors.is_empty() => quote(start, end, tariffs, zone),
        _ => Err(ApiError::invalid_record(errors)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn quotes_a_pair_and_refuses_what_a_pair_refuses() {
        let now = "2026-11-23T12:00:00Z".parse().unwrap();
        let tariffs = TariffSchedule::default_schedule();
        let ask = |body: Value| quote_body(&body, now, &tariffs, Tz::UTC);
        let charge = ask(json!({"start": "2017-12-12T15:07:13Z", "end": 1513091696})).unwrap();
        assert_eq!((charge.price.0, charge.duration.seconds(), charge.period.to_string()), (99, 463, "2017-12".into()));
        let cases = [
            (json!({"start": "2017-12-12T15:07:13Z", "end": "2017-12-12T15:07:12Z"}), ErrorCode::EndBeforeStart),
            (json!({"start": "2017-01-01T00:00:00Z", "end": "2017-04-03T00:00:01Z"}), ErrorCode::CallTooLong),
            (json!({"start": "2017-12-12T15:07:13Z"}), ErrorCode::InvalidRecord),
            (json!({"start": "yesterday", "end": "2017-12-12T15:07:13Z"}), ErrorCode::InvalidRecord),
            (json!({"start": 0, "end": 1, "source": "99988526423"}), ErrorCode::InvalidRecord),
            (json!({"start": "2017-12-12T15:07:13Z", "end": "2030-01-01T00:00:00Z"}), ErrorCode::InvalidRecord),
            (json!([1, 2]), ErrorCode::InvalidRecord),
        ];
        for (body, code) in cases {
            assert_eq!(ask(body.clone()).unwrap_err().code, code, "{body}");
        }
        let both = ask(json!({"start": "x", "end": null, "other": 1})).unwrap_err();
        assert_eq!(both.fields.unwrap().keys().collect::<Vec<_>>(), ["end", "other", "start"]);
    }
}
