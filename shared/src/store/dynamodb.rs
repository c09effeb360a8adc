//! The DynamoDB store. Every record is applied in one `TransactWriteItems` whose
//! conditions make it atomic and exactly-once: the call item is written only if it
//! is still at the revision the decision was made on, the record id only if no
//! other record holds it, and a completing record adds the call's price to the
//! bill summary in the same write.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono_tz::Tz;

use super::errors::{corrupt, storage_error};
use super::item::{self, CALL_COUNT, StoredCall, TOTAL_CENTS, call_item, guard_item, guard_owner, stored_call};
use super::schema::{self, BILL_INDEX, BILL_INDEX_PARTITION_KEY, BILL_INDEX_SORT_KEY, PARTITION_KEY};
use crate::bill::BillLine;
use crate::call::{CallId, CallState, Charge, MAX_ID, PricedCall};
use crate::error::ApiError;
use crate::ingest::{Outcome, decide, is_replay, record_id_taken};
use crate::money::Cents;
use crate::period::Period;
use crate::phone::PhoneNumber;
use crate::record::{CallRecord, NewRecord, RecordKind};
use crate::tariff::TariffSchedule;

/// How often a record is retried when other writers keep changing its call.
const ATTEMPTS: u32 = 10;

/// Call ids the server assigns: the upper half of the id range, away from the small
/// ids switches number their calls with.
const ASSIGNED_CALL_IDS: std::ops::RangeInclusive<u64> = (1 << 52)..=MAX_ID;

/// What happened to a posted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// Stored now (201).
    Created(CallRecord),
    /// Already stored: this is the stored record (200).
    Replayed(CallRecord),
}

/// The table of calls, record ids and bill summaries.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

/// Why a transaction did not apply.
enum WriteError {
    /// A condition failed; what the items hold now, as the cancellation reported them.
    Conflict {
        id_owner: Option<(CallId, RecordKind)>,
        call: Option<Box<StoredCall>>,
    },
    /// Another transaction held the same items: try again shortly.
    Contention,
    Failed(ApiError),
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store { client, table: table.into() }
    }

    /// A client from the environment's AWS configuration (`AWS_ENDPOINT_URL_DYNAMODB`
    /// included), with time limits that turn an unreachable DynamoDB into a quick 503.
    pub async fn from_env(table: impl Into<String>) -> Store {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(1))
                    .operation_attempt_timeout(Duration::from_secs(3))
                    .operation_timeout(Duration::from_secs(6))
                    .build(),
            )
            .load()
            .await;
        Store::new(Client::new(&sdk), table)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Stores a valid record (SPEC §2): new, replayed, or refused with the conflict.
    pub async fn ingest(&self, new: NewRecord, tariffs: &TariffSchedule, zone: Tz) -> Result<Ingested, ApiError> {
        let defaulted = new.timestamp_defaulted;
        match new.call_id {
            Some(call_id) => self.ingest_record(new.into_record(call_id), defaulted, tariffs, zone).await,
            None => self.open_new_call(new).await,
        }
    }

    async fn ingest_record(
        &self,
        record: CallRecord,
        defaulted: bool,
        tariffs: &TariffSchedule,
        zone: Tz,
    ) -> Result<Ingested, ApiError> {
        // A start usually opens its call: try that without reading first, so it costs
        // one request. Otherwise the failed condition returns the call as it is.
        let mut known = (record.kind() == RecordKind::Start).then(StoredCall::default);
        for attempt in 0..ATTEMPTS {
            let stored = match known.take() {
                Some(stored) => stored,
                None => self.read_call(record.call_id).await?.unwrap_or_default(),
            };
            let priced = match decide(&stored.state, &record, defaulted, tariffs, zone)? {
                Outcome::Replay(stored) => return Ok(Ingested::Replayed(stored)),
                Outcome::Store(priced) => priced,
            };
            let next = with_record(&stored.state, &record, priced.as_ref());
            match self.write(&record, stored.rev, &next, priced.as_ref()).await {
                Ok(()) => return Ok(Ingested::Created(record)),
                // The call changed: decide again on what it holds now, so that a conflict
                // with the call's own records is reported before one with the record id.
                Err(WriteError::Conflict { call: Some(current), .. }) => known = Some(*current),
                Err(WriteError::Conflict { id_owner: Some(owner), .. }) if owner != (record.call_id, record.kind()) => {
                    return Err(record_id_taken(&record));
                }
                Err(WriteError::Conflict { .. }) => known = None,
                Err(WriteError::Contention) => backoff(attempt).await,
                Err(WriteError::Failed(error)) => return Err(error),
            }
        }
        Err(too_much_contention(&record))
    }

    /// A start without `call_id`: its call gets a fresh random id.
    async fn open_new_call(&self, new: NewRecord) -> Result<Ingested, ApiError> {
        for attempt in 0..ATTEMPTS {
            let record = new.clone().into_record(CallId(fastrand::u64(ASSIGNED_CALL_IDS)));
            let next = CallState { start: Some(record.clone()), ..CallState::default() };
            match self.write(&record, 0, &next, None).await {
                Ok(()) => return Ok(Ingested::Created(record)),
                // The record id holds a start already: this one, sent before?
                Err(WriteError::Conflict { id_owner: Some((call_id, RecordKind::Start)), .. }) => {
                    let stored = self.read_call(call_id).await?.unwrap_or_default().state.start;
                    let resent = new.clone().into_record(call_id);
                    return match stored {
                        Some(start) if is_replay(&start, &resent, new.timestamp_defaulted) => {
                            Ok(Ingested::Replayed(start))
                        }
                        _ => Err(record_id_taken(&record)),
                    };
                }
                Err(WriteError::Conflict { id_owner: Some(_), .. }) => return Err(record_id_taken(&record)),
                // The drawn id is in use: draw another.
                Err(WriteError::Conflict { .. }) => {}
                Err(WriteError::Contention) => backoff(attempt).await,
                Err(WriteError::Failed(error)) => return Err(error),
            }
        }
        Err(too_much_contention(&new.into_record(CallId(0))))
    }

    /// A call's stored state (SPEC §3), `None` for an unknown call.
    pub async fn call(&self, call_id: CallId) -> Result<Option<CallState>, ApiError> {
        Ok(self.read_call(call_id).await?.map(|stored| stored.state))
    }

    async fn read_call(&self, call_id: CallId) -> Result<Option<StoredCall>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item::key(schema::call_key(call_id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| storage_error("GetItem", e))?;
        output.item.as_ref().map(stored_call).transpose().map_err(corrupt)
    }

    /// One transaction: the record-id guard, the call at its next revision, and
    /// for a completing record the bill summary.
    async fn write(
        &self,
        record: &CallRecord,
        rev: u64,
        next: &CallState,
        priced: Option<&PricedCall<'_>>,
    ) -> Result<(), WriteError> {
        let mut items = Vec::with_capacity(3);
        if let Some(id) = record.id {
            let guard = Put::builder()
                .table_name(&self.table)
                .set_item(Some(guard_item(id, record)))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
            items.push(TransactWriteItem::builder().put(guard.build().expect("table and item are set")).build());
        }
        let call = Put::builder()
            .table_name(&self.table)
            .set_item(Some(call_item(record.call_id, rev + 1, next)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let call = match rev {
            0 => {
                call.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PARTITION_KEY)
            }
            _ => call
                .condition_expression("#rev = :rev")
                .expression_attribute_names("#rev", "rev")
                .expression_attribute_values(":rev", AttributeValue::N(rev.to_string())),
        };
        items.push(TransactWriteItem::builder().put(call.build().expect("table and item are set")).build());
        if let Some(call) = priced {
            let summary = Update::builder()
                .table_name(&self.table)
                .set_key(Some(item::key(schema::summary_key(&call.source, call.period))))
                .update_expression("ADD #count :one, #total :cents")
                .expression_attribute_names("#count", CALL_COUNT)
                .expression_attribute_names("#total", TOTAL_CENTS)
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":cents", AttributeValue::N(call.price.total.0.to_string()));
            items.push(
                TransactWriteItem::builder().update(summary.build().expect("table, key and update are set")).build(),
            );
        }
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(err) => Err(write_error(err, record.id.is_some())),
        }
    }

    /// The number of calls and the total of a subscriber's period, from its summary.
    pub async fn bill_summary(&self, subscriber: &PhoneNumber, period: Period) -> Result<(u64, Cents), ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item::key(schema::summary_key(subscriber, period))))
            .send()
            .await
            .map_err(|e| storage_error("GetItem", e))?;
        match output.item {
            None => Ok((0, Cents::ZERO)),
            Some(found) => item::summary(&found).map_err(corrupt),
        }
    }

    /// Up to `limit` bill lines of a subscriber's period in bill order, after the line
    /// whose index key is `after`; with the key to continue from when more remain.
    pub async fn bill_lines(
        &self,
        subscriber: &PhoneNumber,
        period: Period,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<BillLine>, Option<String>), ApiError> {
        let mut lines = Vec::with_capacity(limit.min(1024) + 1);
        let mut start_key = after.map(|bill_key| index_key(subscriber, bill_key)).transpose()?;
        loop {
            // One line more than asked tells whether another page follows.
            let wanted = limit + 1 - lines.len();
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BILL_INDEX)
                .key_condition_expression("#s = :s AND begins_with(#k, :period)")
                .expression_attribute_names("#s", BILL_INDEX_PARTITION_KEY)
                .expression_attribute_names("#k", BILL_INDEX_SORT_KEY)
                .expression_attribute_values(":s", AttributeValue::S(subscriber.to_string()))
                .expression_attribute_values(":period", AttributeValue::S(schema::bill_key_prefix(period)))
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| storage_error("Query", e))?;
            for found in output.items() {
                lines.push(item::bill_line(found).map_err(corrupt)?);
            }
            if lines.len() > limit {
                lines.truncate(limit);
                let last = lines.last().expect("limit is at least 1");
                let next = schema::bill_key(period, last.start, last.call_id);
                return Ok((lines, Some(next)));
            }
            // Without a last key the period is done; with one, DynamoDB stopped at its
            // 1 MB page size before `wanted` lines and the query goes on from there.
            match output.last_evaluated_key {
                Some(key) => start_key = Some(key),
                None => return Ok((lines, None)),
            }
        }
    }
}

/// The call's state once `record` is added to it.
fn with_record(state: &CallState, record: &CallRecord, priced: Option<&PricedCall<'_>>) -> CallState {
    let mut next = state.clone();
    match record.kind() {
        RecordKind::Start => next.start = Some(record.clone()),
        RecordKind::End => next.end = Some(record.clone()),
    }
    next.charge = priced.map(Charge::from);
    next
}

/// The index position of the bill line with `bill_key`, as `ExclusiveStartKey`.
fn index_key(
    subscriber: &PhoneNumber,
    bill_key: &str,
) -> Result<std::collections::HashMap<String, AttributeValue>, ApiError> {
    let call_id = bill_key
        .rsplit('#')
        .next()
        .and_then(|id| id.parse().ok())
        .map(CallId)
        .ok_or_else(|| corrupt(format!("bill key {bill_key:?} has no call id")))?;
    let mut key = item::key(schema::call_key(call_id));
    key.insert(BILL_INDEX_PARTITION_KEY.into(), AttributeValue::S(subscriber.to_string()));
    key.insert(BILL_INDEX_SORT_KEY.into(), AttributeValue::S(bill_key.to_owned()));
    Ok(key)
}

fn failed(reason: Option<&CancellationReason>) -> Option<&CancellationReason> {
    reason.filter(|r| r.code() == Some("ConditionalCheckFailed"))
}

fn write_error(err: SdkError<TransactWriteItemsError>, has_guard: bool) -> WriteError {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() else {
        return WriteError::Failed(storage_error("TransactWriteItems", err));
    };
    // Reasons come in item order: [guard,] call[, summary].
    let reasons = cancelled.cancellation_reasons();
    let (guard, call) = if has_guard { (reasons.first(), reasons.get(1)) } else { (None, reasons.first()) };
    let id_owner = match failed(guard).map(|r| r.item().map(guard_owner)) {
        None => None,
        Some(Some(Ok(owner))) => Some(owner),
        Some(Some(Err(e))) => return WriteError::Failed(corrupt(e)),
        Some(None) => {
            return WriteError::Failed(corrupt("a failed record-id condition returned no item"));
        }
    };
    let call = match failed(call).map(|r| r.item().map(stored_call).transpose()) {
        None => None,
        Some(Ok(stored)) => Some(Box::new(stored.unwrap_or_default())),
        Some(Err(e)) => return WriteError::Failed(corrupt(e)),
    };
    if id_owner.is_some() || call.is_some() {
        return WriteError::Conflict { id_owner, call };
    }
    let throttled = |r: &CancellationReason| {
        matches!(r.code(), Some("ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded"))
    };
    if reasons.iter().any(throttled) {
        return WriteError::Failed(storage_error("TransactWriteItems", err));
    }
    WriteError::Contention
}

/// Waits a little longer after each contended attempt, with jitter so that racing
/// writers spread out.
async fn backoff(attempt: u32) {
    let base = 5u64 << attempt.min(6);
    tokio::time::sleep(Duration::from_millis(base + fastrand::u64(0..=base))).await;
}

fn too_much_contention(record: &CallRecord) -> ApiError {
    tracing::warn!(call_id = %record.call_id, "gave up after {ATTEMPTS} contended attempts");
    ApiError::unavailable(super::errors::RETRY_AFTER_SECONDS)
}
