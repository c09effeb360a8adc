//! The reference data set (tests/fixtures/sample-calls.json, an unchanged copy of
//! the operator's sample) reproduced by the pure domain: every call's price,
//! duration, period and start, and every bill.

use std::collections::BTreeMap;

use callbill::{
    Bill, BillLine, CallId, CallRecord, Period, PhoneNumber, PricedCall, TariffSchedule, complete_call, parse_record,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

const SAMPLE: &str = include_str!("../../tests/fixtures/sample-calls.json");

fn sample() -> Value {
    serde_json::from_str(SAMPLE).expect("the sample data set is JSON")
}

fn zone(sample: &Value) -> Tz {
    sample["billing_timezone"].as_str().unwrap().parse().unwrap()
}

fn now() -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

/// Every call of the data set, paired and priced by the domain.
fn priced_calls<'t>(sample: &Value, tariffs: &'t TariffSchedule) -> BTreeMap<CallId, PricedCall<'t>> {
    let zone = zone(sample);
    let mut starts: BTreeMap<CallId, CallRecord> = BTreeMap::new();
    let mut ends: BTreeMap<CallId, CallRecord> = BTreeMap::new();
    for raw in sample["records"].as_array().unwrap() {
        let record = parse_record(raw, now(), zone).unwrap().into_record(CallId(0));
        assert_eq!(record.call_id.0, raw["call_id"].as_u64().unwrap(), "records carry their call id");
        let map = match record.kind() {
            callbill::RecordKind::Start => &mut starts,
            callbill::RecordKind::End => &mut ends,
        };
        assert!(map.insert(record.call_id, record).is_none());
    }
    starts.iter().map(|(id, start)| (*id, complete_call(start, &ends[id], tariffs, zone).unwrap())).collect()
}

#[test]
fn the_shipped_tariff_is_the_one_the_sample_was_priced_with() {
    let sample = sample();
    let schedule = TariffSchedule::default_schedule();
    let tariff = &schedule.versions()[0];
    let expected = sample["tariff"]["bands"].as_array().unwrap();
    assert_eq!(tariff.bands().len(), expected.len());
    for band in expected {
        let ours = tariff.bands().iter().find(|b| *b.name == *band["name"].as_str().unwrap()).unwrap();
        let clock = |s: &Value| {
            let (h, m) = s.as_str().unwrap().split_once(':').unwrap();
            h.parse::<u32>().unwrap() * 3600 + m.parse::<u32>().unwrap() * 60
        };
        assert_eq!(ours.from, clock(&band["from"]));
        assert_eq!(ours.to, clock(&band["to"]));
        assert_eq!(ours.standing_charge.0, band["standing_charge_cents"].as_i64().unwrap());
        assert_eq!(ours.per_minute.0, band["per_minute_cents"].as_i64().unwrap());
    }
}

#[test]
fn every_call_is_priced_as_the_sample_says() {
    let sample = sample();
    let zone = zone(&sample);
    let tariffs = TariffSchedule::default_schedule();
    let calls = priced_calls(&sample, &tariffs);
    let expected = sample["calls"].as_array().unwrap();
    assert_eq!(calls.len(), expected.len());
    assert_eq!(calls.len(), 8);
    for want in expected {
        let call = &calls[&CallId(want["call_id"].as_u64().unwrap())];
        let line = callbill::BillLine::from(call);
        let view = serde_json::to_value(line.view(zone)).unwrap();
        let id = call.call_id;
        assert_eq!(call.start, want["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), "call {id}");
        assert_eq!(call.end, want["end"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), "call {id}");
        assert_eq!(call.period.to_string(), want["period"], "call {id}");
        assert_eq!(call.price.total.0, want["price_cents"].as_i64().unwrap(), "call {id}");
        assert_eq!(call.price.total.to_string(), want["price"], "call {id}");
        assert_eq!(call.duration.seconds(), want["duration_seconds"].as_u64().unwrap(), "call {id}");
        assert_eq!(call.duration.to_string(), want["duration"], "call {id}");
        for key in ["start_date", "start_time", "duration", "duration_seconds", "price", "price_cents"] {
            assert_eq!(view[key], want[key], "call {id}: {key}");
        }
        // The breakdown explains the price.
        let segments: i64 = call.price.segments.iter().map(|s| s.cents.0).sum();
        assert_eq!(call.price.standing_charge.0 + segments, call.price.total.0, "call {id}");
    }
}

/// The whole bill of `subscriber` for `period`, grouped from priced calls.
fn bill_from_calls<'a, 't: 'a>(
    subscriber: &PhoneNumber,
    period: Period,
    calls: impl IntoIterator<Item = &'a PricedCall<'t>>,
) -> Bill {
    let mut lines: Vec<BillLine> = calls
        .into_iter()
        .filter(|call| &call.source == subscriber && call.period == period)
        .map(BillLine::from)
        .collect();
    lines.sort_by_key(|line| line.key(period));
    Bill {
        subscriber: subscriber.clone(),
        period,
        call_count: lines.len() as u64,
        total: lines.iter().map(|line| line.price).sum(),
        lines,
        next_cursor: None,
    }
}

#[test]
fn every_bill_is_reproduced_when_calls_are_grouped() {
    let sample = sample();
    let zone = zone(&sample);
    let tariffs = TariffSchedule::default_schedule();
    let calls = priced_calls(&sample, &tariffs);
    let bills = sample["bills"].as_array().unwrap();
    assert_eq!(bills.len(), 5);
    for want in bills {
        let subscriber: PhoneNumber = want["subscriber"].as_str().unwrap().parse().unwrap();
        let period: Period = want["period"].as_str().unwrap().parse().unwrap();
        let bill = bill_from_calls(&subscriber, period, calls.values());
        let got = serde_json::to_value(bill.view(zone)).unwrap();
        let label = format!("bill of {subscriber} for {period}");
        for key in ["subscriber", "period", "call_count", "total_cents", "total"] {
            assert_eq!(got[key], want[key], "{label}: {key}");
        }
        let (got_lines, want_lines) = (got["calls"].as_array().unwrap(), want["calls"].as_array().unwrap());
        assert_eq!(got_lines.len(), want_lines.len(), "{label}");
        for (got_line, want_line) in got_lines.iter().zip(want_lines) {
            for (key, value) in want_line.as_object().unwrap() {
                assert_eq!(&got_line[key], value, "{label}: call {} {key}", want_line["call_id"]);
            }
        }
    }
}
