//! Monthly bills (SPEC §4): a subscriber's completed calls that ended in a period.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::call::PricedCall;
use crate::digits::parse_digits;
use crate::duration::CallDuration;
use crate::ids::CallId;
use crate::money::Cents;
use crate::period::Period;
use crate::phone::PhoneNumber;

/// One call on a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    pub call_id: CallId,
    pub destination: PhoneNumber,
    pub start: DateTime<Utc>,
    pub duration: CallDuration,
    pub price: Cents,
}

impl From<&PricedCall<'_>> for BillLine {
    fn from(call: &PricedCall<'_>) -> BillLine {
        BillLine {
            call_id: call.call_id,
            destination: call.destination.clone(),
            start: call.start,
            duration: call.duration,
            price: call.price.total,
        }
    }
}

impl BillLine {
    /// The line's place in its bill.
    pub fn key(&self, period: Period) -> BillKey {
        BillKey { period, start: self.start, call_id: self.call_id }
    }
}

/// Where a line stands in the bills of a subscriber: its period, then bill order (start
/// time, then call id). As text, `<YYYY-MM>#<start, RFC 3339 with nanoseconds>#<call
/// id, 16 digits>`: fixed widths make text order the same, so one period is a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BillKey {
    pub period: Period,
    pub start: DateTime<Utc>,
    pub call_id: CallId,
}

const START_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.9fZ";

impl BillKey {
    /// The prefix of every key in `period`.
    pub fn prefix(period: Period) -> String {
        format!("{period}#")
    }
}

impl fmt::Display for BillKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}#{:016}", self.period, self.start.format(START_FORMAT), self.call_id.0)
    }
}

impl FromStr for BillKey {
    type Err = String;

    /// Exactly the text [`BillKey`] displays as, nothing else.
    fn from_str(text: &str) -> Result<BillKey, String> {
        let invalid = || format!("{text:?} is not a bill key");
        let mut parts = text.split('#');
        let (Some(period), Some(start), Some(call_id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let key = BillKey {
            period: period.parse().map_err(|_| invalid())?,
            start: NaiveDateTime::parse_from_str(start, START_FORMAT).map_err(|_| invalid())?.and_utc(),
            call_id: CallId(parse_digits(call_id).filter(|_| call_id.len() == 16).ok_or_else(invalid)?),
        };
        // Only the canonical spelling: one position, one text.
        if key.to_string() != text {
            return Err(invalid());
        }
        Ok(key)
    }
}

/// A subscriber's bill for a period, or one page of it: `call_count` and `total`
/// always cover the whole period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    pub subscriber: PhoneNumber,
    pub period: Period,
    pub call_count: u64,
    pub total: Cents,
    pub lines: Vec<BillLine>,
    pub next_cursor: Option<String>,
}

impl Bill {
    /// The JSON shape of SPEC §4, with dates and times in `zone`.
    pub fn view(&self, zone: Tz) -> BillView<'_> {
        BillView {
            subscriber: &self.subscriber,
            period: self.period,
            currency: "BRL",
            call_count: self.call_count,
            total: self.total.to_string(),
            total_cents: self.total,
            calls: self.lines.iter().map(|line| line.view(zone)).collect(),
            next_cursor: self.next_cursor.as_deref(),
        }
    }
}

impl BillLine {
    pub fn view(&self, zone: Tz) -> BillLineView<'_> {
        let local = self.start.with_timezone(&zone);
        BillLineView {
            call_id: self.call_id,
            destination: &self.destination,
            // Written directly: chrono's format strings are parsed on every call, and
            // a bill writes two of them per line.
            start_date: format!("{:04}-{:02}-{:02}", local.year(), local.month(), local.day()),
            start_time: format!("{:02}:{:02}:{:02}", local.hour(), local.minute(), local.second()),
            duration: self.duration.to_string(),
            duration_seconds: self.duration.seconds(),
            price: self.price.to_string(),
            price_cents: self.price,
        }
    }
}

impl Bill {
    /// The lines as CSV with a header row: the same fields as the JSON lines.
    pub fn to_csv(&self, zone: Tz) -> String {
        let mut writer = csv::Writer::from_writer(Vec::with_capacity(64 * (self.lines.len() + 1)));
        for line in &self.lines {
            writer.serialize(line.view(zone)).expect("writing to memory does not fail");
        }
        if self.lines.is_empty() {
            writer.write_record(CSV_HEADER).expect("writing to memory does not fail");
        }
        String::from_utf8(writer.into_inner().expect("writing to memory does not fail")).expect("the lines are UTF-8")
    }
}

/// The CSV header: the fields of [`BillLineView`], in order.
pub const CSV_HEADER: [&str; 8] =
    ["call_id", "destination", "start_date", "start_time", "duration", "duration_seconds", "price", "price_cents"];

#[derive(Debug, Serialize)]
pub struct BillView<'a> {
    pub subscriber: &'a PhoneNumber,
    pub period: Period,
    pub currency: &'static str,
    pub call_count: u64,
    pub total: String,
    pub total_cents: Cents,
    pub calls: Vec<BillLineView<'a>>,
    pub next_cursor: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct BillLineView<'a> {
    pub call_id: CallId,
    pub destination: &'a PhoneNumber,
    pub start_date: String,
    pub start_time: String,
    pub duration: String,
    pub duration_seconds: u64,
    pub price: String,
    pub price_cents: Cents,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bill_keys_sort_as_bills_do_and_read_back() {
        let p: Period = "2017-12".parse().unwrap();
        let key = |start: &str, id| BillKey { period: p, start: start.parse().unwrap(), call_id: CallId(id) };
        let mut keys = [
            key("2017-12-12T15:07:13Z", 71),
            key("2017-12-12T15:07:13.250Z", 3),
            key("2017-12-12T04:57:13Z", 74),
            key("2017-12-12T15:07:13Z", 9),
            key("2017-11-30T23:00:00Z", 1), // started the month before
        ];
        let mut texts: Vec<String> = keys.iter().map(BillKey::to_string).collect();
        keys.sort();
        texts.sort();
        assert_eq!(texts, keys.iter().map(BillKey::to_string).collect::<Vec<_>>(), "text order is key order");
        assert_eq!(keys.map(|k| k.call_id.0), [1, 74, 9, 71, 3]);
        assert!(texts.iter().all(|k| k.starts_with(&BillKey::prefix(p))));
        assert_eq!(texts[1], "2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074");
        for text in &texts {
            assert_eq!(text.parse::<BillKey>().unwrap().to_string(), *text);
        }
        for bad in [
            "",
            "2017-12#2017-12-12T04:57:13.000000000Z#74",
            "2017-12#2017-12-12T04:57:13Z#0000000000000074",
            "2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074#",
            "201712#2017-12-12T04:57:13.000000000Z#0000000000000074",
            "2017-12#2017-12-12 04:57:13.000000000Z#0000000000000074",
            "2017-12#2017-12-12T04:57:13.000000000Z#+000000000000074",
        ] {
            assert!(bad.parse::<BillKey>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn csv_has_a_header_and_quotes_prices() {
        let line = BillLine {
            call_id: CallId(71),
            destination: "9993468278".parse().unwrap(),
            start: "2017-12-12T15:07:13Z".parse().unwrap(),
            duration: CallDuration(463),
            price: Cents(99),
        };
        let mut bill = Bill {
            subscriber: "99988526423".parse().unwrap(),
            period: "2017-12".parse().unwrap(),
            call_count: 1,
            total: Cents(99),
            lines: vec![line],
            next_cursor: None,
        };
        assert_eq!(
            bill.to_csv(Tz::UTC),
            "call_id,destination,start_date,start_time,duration,duration_seconds,price,price_cents\n\
             71,9993468278,2017-12-12,15:07:13,0h7m43s,463,\"R$ 0,99\",99\n"
        );
        bill.lines.clear();
        assert_eq!(bill.to_csv(Tz::UTC), format!("{}\n", CSV_HEADER.join(",")));
    }
}
