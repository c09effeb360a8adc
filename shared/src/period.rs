//! Billing periods: calendar months in the billing time zone (SPEC §4, §6).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

use crate::digits::parse_digits;
use crate::error::{ApiError, ErrorCode};

/// A calendar month; `Display` gives `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

const ACCEPTED: &str = "YYYY-MM, YYYYMM, MM/YYYY or M/YYYY (or year=YYYY&month=M)";

impl Period {
    /// A period from a four-digit year and a month 1 to 12.
    pub fn new(year: i32, month: u32) -> Option<Period> {
        ((1000..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Period { year, month })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The month (in `zone`) that contains `instant`: a call belongs to the period it ended in.
    pub fn containing(instant: DateTime<Utc>, zone: Tz) -> Period {
        let local = instant.with_timezone(&zone);
        Period { year: local.year(), month: local.month() }
    }

    pub fn previous(self) -> Period {
        match self.month {
            1 => Period { year: self.year - 1, month: 12 },
            m => Period { year: self.year, month: m - 1 },
        }
    }

    /// The month before the one `now` falls in: the default period of a bill.
    pub fn last_closed(now: DateTime<Utc>, zone: Tz) -> Period {
        Period::containing(now, zone).previous()
    }

    /// A period can be billed once it has ended in the billing zone.
    pub fn is_closed(self, now: DateTime<Utc>, zone: Tz) -> bool {
        self < Period::containing(now, zone)
    }

    /// The period a bill asks for from its query parameters: `period` in any accepted
    /// spelling, or `year` with `month`; `None` when none is given.
    pub fn from_query(
        period: Option<&str>,
        year: Option<&str>,
        month: Option<&str>,
    ) -> Result<Option<Period>, ApiError> {
        let invalid = |message: String| ApiError::new(ErrorCode::InvalidPeriod, message);
        match (period, year, month) {
            (None, None, None) => Ok(None),
            (Some(p), None, None) => p.parse().map(Some).map_err(invalid),
            (None, Some(y), Some(m)) => {
                let year = digits(y, 4..=4);
                let month = digits(m, 1..=2);
                match (year, month) {
                    (Some(y), Some(m)) => Period::new(y, m).map(Some).ok_or_else(|| {
                        invalid(format!("year {y:?} with month {m:?} is not a period: month must be 1 to 12"))
                    }),
                    (None, _) => Err(invalid(format!("year {y:?} must be four digits, e.g. 2017"))),
                    (_, None) => Err(invalid(format!("month {m:?} must be a number from 1 to 12"))),
                }
            }
            (None, Some(_), None) | (None, None, Some(_)) => {
                Err(invalid("year and month go together: give both, or period=YYYY-MM".to_owned()))
            }
            (Some(_), _, _) => {
                Err(invalid("give the period once: either period or year and month, not both".to_owned()))
            }
        }
    }
}

/// The value of `s` if it is made of ASCII digits only and its length is in `len`.
fn digits<T: FromStr>(s: &str, len: std::ops::RangeInclusive<usize>) -> Option<T> {
    len.contains(&s.len()).then(|| parse_digits(s)).flatten()
}

impl FromStr for Period {
    type Err = String;

    /// Accepts `YYYY-MM`, `YYYYMM`, `MM/YYYY` and `M/YYYY`.
    fn from_str(s: &str) -> Result<Period, String> {
        // Slicing below is by byte: only ASCII input can be a period anyway.
        let parts = match (s.len(), s.find(['-', '/'])) {
            _ if !s.is_ascii() => None,
            (7, Some(4)) if s.as_bytes()[4] == b'-' => Some((&s[..4], &s[5..])),
            (6, None) => Some((&s[..4], &s[4..])),
            (6 | 7, Some(i @ (1 | 2))) if s.as_bytes()[i] == b'/' => Some((&s[i + 1..], &s[..i])),
            _ => None,
        };
        parts
            .and_then(|(year, month)| Period::new(digits(year, 4..=4)?, digits(month, 1..=2)?))
            .ok_or_else(|| format!("{s:?} is not a period: use {ACCEPTED} with a month from 1 to 12"))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::Sao_Paulo;

    fn p(year: i32, month: u32) -> Period {
        Period::new(year, month).unwrap()
    }

    #[test]
    fn parses_every_accepted_spelling() {
        let cases = [
            ("2017-12", Some(p(2017, 12))),
            ("201712", Some(p(2017, 12))),
            ("12/2017", Some(p(2017, 12))),
            ("03/2018", Some(p(2018, 3))),
            ("3/2018", Some(p(2018, 3))),
            ("2018-3", None),
            ("2017-13", None),
            ("2017-00", None),
            ("201713", None),
            ("13/2017", None),
            ("0/2017", None),
            ("2017/12", None),
            ("17-12", None),
            ("2017-1a", None),
            ("+017-12", None),
            ("2017_12", None),
            ("", None),
            ("2017-12-01", None),
            ("١٢/2017", None), // non-ASCII digits
            ("abc€", None),    // six bytes, not on a character boundary at 4
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<Period>().ok(), expected, "{input:?}");
        }
    }

    #[test]
    fn displays_as_year_dash_month() {
        assert_eq!(p(2017, 3).to_string(), "2017-03");
        assert_eq!(serde_json::to_value(p(2017, 12)).unwrap(), "2017-12");
    }

    #[test]
    fn reads_query_parameters() {
        let ok = |period, year, month| Period::from_query(period, year, month).unwrap();
        let err = |period, year, month| Period::from_query(period, year, month).unwrap_err();
        assert_eq!(ok(None, None, None), None);
        assert_eq!(ok(Some("201712"), None, None), Some(p(2017, 12)));
        assert_eq!(ok(None, Some("2018"), Some("2")), Some(p(2018, 2)));
        assert_eq!(ok(None, Some("2018"), Some("02")), Some(p(2018, 2)));
        for (period, year, month, says) in [
            (Some("2017-12"), Some("2017"), Some("12"), "not both"),
            (Some("2017-12"), None, Some("12"), "not both"),
            (None, Some("2017"), None, "go together"),
            (None, None, Some("12"), "go together"),
            (None, Some("17"), Some("12"), "four digits"),
            (None, Some("2017"), Some("13"), "1 to 12"),
            (None, Some("2017"), Some("x"), "1 to 12"),
            (Some("12-2017"), None, None, "YYYY-MM"),
        ] {
            let e = err(period, year, month);
            assert_eq!(e.code, ErrorCode::InvalidPeriod);
            assert!(e.message.contains(says), "{:?} should say {says:?}", e.message);
        }
    }

    #[test]
    fn previous_month_crosses_years() {
        assert_eq!(p(2018, 1).previous(), p(2017, 12));
        assert_eq!(p(2018, 3).previous(), p(2018, 2));
    }

    #[test]
    fn months_are_read_in_the_billing_zone() {
        // 2018-03-01 01:00 UTC is still 2018-02-28 22:00 in São Paulo (UTC-3).
        let instant = Utc.with_ymd_and_hms(2018, 3, 1, 1, 0, 0).unwrap();
        assert_eq!(Period::containing(instant, Tz::UTC), p(2018, 3));
        assert_eq!(Period::containing(instant, Sao_Paulo), p(2018, 2));
        assert_eq!(Period::last_closed(instant, Tz::UTC), p(2018, 2));
        assert_eq!(Period::last_closed(instant, Sao_Paulo), p(2018, 1));
        assert!(p(2018, 2).is_closed(instant, Tz::UTC));
        assert!(!p(2018, 2).is_closed(instant, Sao_Paulo));
        assert!(!p(2018, 3).is_closed(instant, Tz::UTC));
        assert!(!p(2019, 1).is_closed(instant, Tz::UTC));
    }
}
