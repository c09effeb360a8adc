//! Instants as records carry them: RFC 3339 text or Unix seconds (SPEC §2).

use chrono::{DateTime, LocalResult, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;

/// The first instant accepted (SPEC §2).
pub const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;
/// The last whole second accepted: 9999-12-31T23:59:59Z.
pub const LATEST_UNIX_SECONDS: i64 = 253_402_300_799;

/// Reads an RFC 3339 timestamp with `T` or one space between date and time, `Z` or
/// `±HH:MM`, and an optional fraction. Without an offset it is wall-clock time in `zone`.
pub fn parse_timestamp(text: &str, zone: Tz) -> Result<DateTime<Utc>, String> {
    let not_a_timestamp =
        || format!("{text:?} is not a timestamp: use RFC 3339 like 2017-12-12T15:07:13Z or integer Unix seconds");
    if !has_timestamp_shape(text) {
        return Err(not_a_timestamp());
    }
    let instant = match DateTime::parse_from_rfc3339(text) {
        Ok(instant) => instant.to_utc(),
        Err(_) => {
            let local = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
                .ok_or_else(not_a_timestamp)?;
            in_zone(text, &local, zone)?
        }
    };
    within_bounds(instant)
}

/// `YYYY-MM-DD`, one `T` or space, `HH:MM:SS` with seconds 00 to 59 (no leap
/// second): chrono alone would take a run of spaces, a tab or `:60`.
fn has_timestamp_shape(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[17] <= b'5'
}

fn within_bounds(instant: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if instant < EARLIEST || instant.timestamp() > LATEST_UNIX_SECONDS {
        return Err(format!(
            "{} is not between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
            instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        ));
    }
    Ok(instant)
}

fn in_zone(text: &str, local: &NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, String> {
    match zone.from_local_datetime(local) {
        LocalResult::Single(instant) => Ok(instant.to_utc()),
        LocalResult::Ambiguous(..) => {
            Err(format!("{text:?} happens twice in {zone} (clocks went back): add an offset such as -03:00"))
        }
        LocalResult::None => {
            Err(format!("{text:?} does not exist in {zone} (clocks went forward): add an offset such as -03:00"))
        }
    }
}

/// The instant `seconds` after 1970-01-01T00:00:00Z, up to 9999-12-31T23:59:59Z.
pub fn from_unix_seconds(seconds: i64) -> Result<DateTime<Utc>, String> {
    match seconds {
        0..=LATEST_UNIX_SECONDS => Ok(DateTime::from_timestamp(seconds, 0).expect("within chrono's range")),
        _ => Err(format!(
            "{seconds} Unix seconds is not between 1970-01-01T00:00:00Z (0) and 9999-12-31T23:59:59Z ({LATEST_UNIX_SECONDS})"
        )),
    }
}

/// The canonical form: RFC 3339 in UTC with `Z`, a fraction only when there is one.
pub fn format_timestamp(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Sao_Paulo;

    #[test]
    fn reads_every_accepted_form() {
        let cases = [
            ("2017-12-12T15:07:13Z", Tz::UTC, "2017-12-12T15:07:13Z"),
            ("2017-12-12 15:07:13Z", Tz::UTC, "2017-12-12T15:07:13Z"),
            ("2017-12-12t15:07:13z", Tz::UTC, "2017-12-12T15:07:13Z"),
            ("2018-01-04 18:31:38-03:00", Tz::UTC, "2018-01-04T21:31:38Z"),
            ("2018-01-04T18:31:38+05:30", Tz::UTC, "2018-01-04T13:01:38Z"),
            ("2017-12-12T15:07:13.250Z", Tz::UTC, "2017-12-12T15:07:13.250Z"),
            ("2017-12-12T15:07:13.123456789Z", Tz::UTC, "2017-12-12T15:07:13.123456789Z"),
            // Without an offset: wall-clock time of the billing zone.
            ("2017-12-12T15:07:13", Tz::UTC, "2017-12-12T15:07:13Z"),
            ("2017-12-12 15:07:13", Sao_Paulo, "2017-12-12T17:07:13Z"), // summer time, UTC-2
            ("2017-07-12 15:07:13.5", Sao_Paulo, "2017-07-12T18:07:13.500Z"), // winter, UTC-3
        ];
        for (text, zone, canonical) in cases {
            let instant = parse_timestamp(text, zone).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(format_timestamp(instant), canonical, "{text} in {zone}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        let cases = [
            ("", "is not a timestamp"),
            ("yesterday", "is not a timestamp"),
            ("2017-12-12", "is not a timestamp"),
            ("2017-12-12T15:07", "is not a timestamp"),
            ("2017-02-30T10:00:00Z", "is not a timestamp"),
            ("2017-12-12T25:00:00Z", "is not a timestamp"),
            ("2017-12-12T15:07:13+3", "is not a timestamp"),
            ("1527001196", "is not a timestamp"),
        ];
        for (text, says) in cases {
            let e = parse_timestamp(text, Tz::UTC).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }

    #[test]
    fn local_times_that_daylight_saving_skips_or_repeats_need_an_offset() {
        // 2017-10-15 00:00 -> 01:00 in São Paulo: 00:30 never happened.
        let e = parse_timestamp("2017-10-15 00:30:00", Sao_Paulo).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        // 2018-02-18 00:00 -> 2018-02-17 23:00: 23:30 on the 17th happened twice.
        let e = parse_timestamp("2018-02-17 23:30:00", Sao_Paulo).unwrap_err();
        assert!(e.contains("happens twice"), "{e}");
        // With an offset there is nothing to guess.
        assert!(parse_timestamp("2018-02-17 23:30:00-03:00", Sao_Paulo).is_ok());
    }

    #[test]
    fn bounds_are_1970_through_9999() {
        for text in
            ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999Z", "1970-01-01 01:00:00+01:00"]
        {
            assert!(parse_timestamp(text, Tz::UTC).is_ok(), "{text}");
        }
        for text in ["9999-12-31T23:59:59-01:00", "1969-12-31T23:59:59Z", "0000-03-01T10:00:00Z"] {
            let e = parse_timestamp(text, Tz::UTC).unwrap_err();
            assert!(e.contains("between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"), "{text}: {e}");
        }
        assert!(from_unix_seconds(0).is_ok());
        assert!(from_unix_seconds(253_402_300_799).is_ok(), "9999-12-31T23:59:59Z");
        assert!(from_unix_seconds(253_402_300_800).is_err());
        assert!(from_unix_seconds(-1).is_err());
    }

    #[test]
    fn reads_unix_seconds() {
        assert_eq!(format_timestamp(from_unix_seconds(1_527_001_196).unwrap()), "2018-05-22T14:59:56Z");
        assert!(from_unix_seconds(i64::MAX).is_err());
    }
}

/// Serde adapter: instants in the canonical form of [`format_timestamp`].
pub mod canonical {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(instant: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&super::format_timestamp(*instant))
    }
}
