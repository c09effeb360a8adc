//! Conversions between domain values and DynamoDB items (layout in `schema`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::schema::attr::*;
use super::schema::{self, PARTITION_KEY};
use crate::bill::{BillKey, BillLine};
use crate::call::{CallState, Charge};
use crate::duration::CallDuration;
use crate::ids::{CallId, RecordId};
use crate::ingest::StoredCall;
use crate::money::Cents;
use crate::record::{CallRecord, Event, RecordKind};
use crate::timestamp::format_timestamp;
use crate::unmatched;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// An item that does not have the shape the store writes: a bug or a foreign writer.
#[derive(Debug, thiserror::Error)]
#[error("stored item has no valid {0:?}")]
pub(crate) struct CorruptItem(pub &'static str);

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn get_s<'a>(item: &'a Item, name: &'static str) -> Result<&'a str, CorruptItem> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str).ok_or(CorruptItem(name))
}

fn get_n<T: std::str::FromStr>(item: &Item, name: &'static str) -> Result<T, CorruptItem> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).ok_or(CorruptItem(name))
}

fn get_instant(item: &Item, name: &'static str) -> Result<DateTime<Utc>, CorruptItem> {
    get_s(item, name)?.parse().map_err(|_| CorruptItem(name))
}

pub(crate) fn key(pk: String) -> Item {
    HashMap::from([(PARTITION_KEY.to_owned(), s(pk))])
}

/// The whole item of a call at revision `rev`.
pub(crate) fn call_item(call_id: CallId, rev: u64, state: &CallState) -> Item {
    let mut item = key(schema::call_key(call_id));
    item.insert(CALL_ID.into(), n(call_id));
    item.insert(REV.into(), n(rev));
    if let Some(status) = state.status() {
        item.insert(STATUS.into(), s(status.as_str()));
    }
    if let Some(start) = &state.start {
        if let Some(id) = start.id {
            item.insert(START_ID.into(), n(id));
        }
        item.insert(START_AT.into(), s(format_timestamp(start.timestamp)));
        if let Event::Start { source, destination } = &start.event {
            item.insert(SOURCE.into(), s(source.as_str()));
            item.insert(DESTINATION.into(), s(destination.as_str()));
        }
    }
    if let Some(end) = &state.end {
        if let Some(id) = end.id {
            item.insert(END_ID.into(), n(id));
        }
        item.insert(END_AT.into(), s(format_timestamp(end.timestamp)));
    }
    // Only a call with one record carries the unmatched index's keys.
    if let Some((status, place)) = unmatched::report_place(call_id, state) {
        item.insert(UNMATCHED_SHARD.into(), s(schema::unmatched_shard(status, unmatched::shard_of(call_id))));
        item.insert(UNMATCHED_AT.into(), s(place.to_string()));
    }
    if let (Some(charge), Some(start), Some(subscriber)) = (&state.charge, &state.start, state.subscriber()) {
        item.insert(PERIOD.into(), s(charge.period.to_string()));
        item.insert(DURATION_SECONDS.into(), n(charge.duration.seconds()));
        item.insert(PRICE_CENTS.into(), n(charge.price.0));
        item.insert(TARIFF_ID.into(), s(&charge.tariff_id));
        item.insert(BREAKDOWN.into(), s(charge.breakdown.to_string()));
        // Only completed calls carry the index keys: the index is sparse.
        item.insert(SUBSCRIBER.into(), s(subscriber.as_str()));
        let place = BillKey { period: charge.period, start: start.timestamp, call_id };
        item.insert(BILL_KEY.into(), s(place.to_string()));
        if let Event::Start { destination, .. } = &start.event {
            let line = BillLine {
                call_id,
                destination: destination.clone(),
                start: start.timestamp,
                duration: charge.duration,
                price: charge.price,
            };
            item.insert(BILL_LINE.into(), s(bill_line_value(&line)));
        }
    }
    item
}

pub(crate) fn stored_call(item: &Item) -> Result<StoredCall, CorruptItem> {
    let call_id = CallId(get_n(item, CALL_ID)?);
    let id = |name| item.contains_key(name).then(|| get_n(item, name).map(RecordId)).transpose();
    let start = match item.contains_key(START_AT) {
        false => None,
        true => Some(CallRecord {
            id: id(START_ID)?,
            call_id,
            timestamp: get_instant(item, START_AT)?,
            event: Event::Start {
                source: get_s(item, SOURCE)?.parse().map_err(|_| CorruptItem(SOURCE))?,
                destination: get_s(item, DESTINATION)?.parse().map_err(|_| CorruptItem(DESTINATION))?,
            },
        }),
    };
    let end = match item.contains_key(END_AT) {
        false => None,
        true => Some(CallRecord { id: id(END_ID)?, call_id, timestamp: get_instant(item, END_AT)?, event: Event::End }),
    };
    let charge = match item.contains_key(PRICE_CENTS) {
        false => None,
        true => Some(Charge {
            duration: CallDuration(get_n(item, DURATION_SECONDS)?),
            price: Cents(get_n(item, PRICE_CENTS)?),
            period: get_s(item, PERIOD)?.parse().map_err(|_| CorruptItem(PERIOD))?,
            tariff_id: get_s(item, TARIFF_ID)?.to_owned(),
            breakdown: serde_json::from_str(get_s(item, BREAKDOWN)?).map_err(|_| CorruptItem(BREAKDOWN))?,
        }),
    };
    Ok(StoredCall { rev: get_n(item, REV)?, state: CallState { start, end, charge } })
}

/// The item that reserves a record id for one record: `(call_id, type)`.
pub(crate) fn guard_item(id: RecordId, record: &CallRecord) -> Item {
    let mut item = key(schema::record_key(id));
    item.insert(CALL_ID.into(), n(record.call_id));
    item.insert(RECORD_TYPE.into(), s(record.kind().as_str()));
    item
}

/// Which record a guard reserves its id for.
pub(crate) fn guard_owner(item: &Item) -> Result<(CallId, RecordKind), CorruptItem> {
    let kind = match get_s(item, RECORD_TYPE)? {
        "start" => RecordKind::Start,
        "end" => RecordKind::End,
        _ => return Err(CorruptItem(RECORD_TYPE)),
    };
    Ok((CallId(get_n(item, CALL_ID)?), kind))
}

/// A bill line as one attribute value: call id, destination, start, seconds and
/// centavos, separated by spaces (none of them holds one).
fn bill_line_value(line: &BillLine) -> String {
    format!(
        "{} {} {} {} {}",
        line.call_id,
        line.destination,
        format_timestamp(line.start),
        line.duration.seconds(),
        line.price.0
    )
}

/// A bill line from an item of the bills index.
pub(crate) fn bill_line(item: &Item) -> Result<BillLine, CorruptItem> {
    let corrupt = || CorruptItem(BILL_LINE);
    let mut fields = get_s(item, BILL_LINE)?.split(' ');
    let mut next = || fields.next().ok_or_else(corrupt);
    let line = BillLine {
        call_id: CallId(next()?.parse().map_err(|_| corrupt())?),
        destination: next()?.parse().map_err(|_| corrupt())?,
        start: next()?.parse().map_err(|_| corrupt())?,
        duration: CallDuration(next()?.parse().map_err(|_| corrupt())?),
        price: Cents(next()?.parse().map_err(|_| corrupt())?),
    };
    match fields.next() {
        None => Ok(line),
        Some(_) => Err(corrupt()),
    }
}

/// `(call_count, total)` from a bill summary item.
pub(crate) fn summary(item: &Item) -> Result<(u64, Cents), CorruptItem> {
    Ok((get_n(item, CALL_COUNT)?, Cents(get_n(item, TOTAL_CENTS)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_survives_the_round_trip_through_its_item() {
        let start = CallRecord {
            id: Some(RecordId(3)),
            call_id: CallId(71),
            timestamp: "2017-12-12T15:07:13.5Z".parse().unwrap(),
            event: Event::Start { source: "99988526423".parse().unwrap(), destination: "9993468278".parse().unwrap() },
        };
        let end = CallRecord {
            id: None,
            call_id: CallId(71),
            timestamp: "2017-12-12T15:14:56Z".parse().unwrap(),
            event: Event::End,
        };
        let tariffs = crate::TariffSchedule::default_schedule();
        let priced = crate::complete_call(&start, &end, &tariffs, chrono_tz::Tz::UTC).unwrap();
        let state = CallState { start: Some(start), end: Some(end), charge: Some(Charge::from(&priced)) };
        let item = call_item(CallId(71), 2, &state);
        assert_eq!(item["status"].as_s().unwrap(), "completed");
        assert_eq!(item["bill_key"].as_s().unwrap(), "2017-12#2017-12-12T15:07:13.500000000Z#0000000000000071");
        assert!(!item.contains_key("unmatched_shard"), "a completed call is not unmatched");
        let started = CallState { start: state.start.clone(), end: None, charge: None };
        let started_item = call_item(CallId(71), 1, &started);
        assert_eq!(started_item["unmatched_shard"].as_s().unwrap(), "started#07", "71 mod 64");
        assert_eq!(started_item["unmatched_at"].as_s().unwrap(), "2017-12-12T15:07:13.500000000Z#0000000000000071");
        assert!(!started_item.contains_key("bill_key"));
        let back = stored_call(&item).unwrap();
        assert_eq!(back.rev, 2);
        assert_eq!(back.state, state);
        assert_eq!(bill_line(&item).unwrap(), BillLine::from(&priced));
    }

    #[test]
    fn a_bill_line_reads_back_only_whole() {
        let line = |value: &str| bill_line(&HashMap::from([(BILL_LINE.to_owned(), s(value))]));
        assert!(line("71 9993468278 2017-12-12T15:07:13Z 463 99").is_ok());
        for broken in [
            "",
            "71 9993468278 2017-12-12T15:07:13Z 463",
            "71 9993468278 2017-12-12T15:07:13Z 463 99 1",
            "71 9993468278 2017-12-12T15:07:13Z 463 x",
            "71  9993468278 2017-12-12T15:07:13Z 463 99",
        ] {
            assert!(matches!(line(broken), Err(CorruptItem(BILL_LINE))), "{broken:?}");
        }
    }
}
