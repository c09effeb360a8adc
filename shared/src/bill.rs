//! Monthly bills (SPEC §4): a subscriber's completed calls that ended in a period.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::call::{CallId, PricedCall};
use crate::duration::CallDuration;
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
    /// The order of lines on a bill: by start time, then call id.
    pub fn sort_key(&self) -> (DateTime<Utc>, CallId) {
        (self.start, self.call_id)
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
    /// The whole bill of `subscriber` for `period` from any set of priced calls.
    pub fn from_calls<'a, 't: 'a>(
        subscriber: &PhoneNumber,
        period: Period,
        calls: impl IntoIterator<Item = &'a PricedCall<'t>>,
    ) -> Bill {
        let mut lines: Vec<BillLine> = calls
            .into_iter()
            .filter(|call| &call.source == subscriber && call.period == period)
            .map(BillLine::from)
            .collect();
        lines.sort_by_key(BillLine::sort_key);
        Bill {
            subscriber: subscriber.clone(),
            period,
            call_count: lines.len() as u64,
            total: lines.iter().map(|line| line.price).sum(),
            lines,
            next_cursor: None,
        }
    }

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
            start_date: local.format("%Y-%m-%d").to_string(),
            start_time: local.format("%H:%M:%S").to_string(),
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
