//! The DynamoDB store: items and transactions for the domain's [`CallStore`], and
//! the bill queries. It decides nothing: the conditions of each write come from
//! [`CallStore::write_record`]'s contract, and failures are handed back as they are.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConsumedCapacity, Put, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::errors::{corrupt, outcome_unknown, storage_error, throttled};
use super::item::{self, Item, call_item, guard_item, guard_owner, stored_call};
use super::schema::attr::{CALL_COUNT, REV, TOTAL_CENTS};
use super::schema::{
    self, BILL_INDEX, BILL_INDEX_PARTITION_KEY, BILL_INDEX_SORT_KEY, PARTITION_KEY, UNMATCHED_INDEX,
    UNMATCHED_INDEX_PARTITION_KEY, UNMATCHED_INDEX_SORT_KEY,
};
use crate::bill::{BillKey, BillLine};
use crate::bill_page::BillStore;
use crate::call::CallStatus;
use crate::error::ApiError;
use crate::ids::CallId;
use crate::ingest::{CallStore, RecordWrite, StoredCall, WriteRejected};
use crate::metrics::{self, Metric};
use crate::money::Cents;
use crate::period::Period;
use crate::phone::PhoneNumber;
use crate::unmatched::{ReportKey, UnmatchedStore};

/// Why a function cannot start serving.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("table {0:?} does not exist: set TABLE_NAME to callbill's DynamoDB table")]
    NoTable(String),
    #[error("cannot read table {0:?} at start-up: {1}")]
    Unreachable(String, String),
}

/// The table of calls, record ids and bill summaries.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    /// The same client without the SDK's retries, for the transactions: a second
    /// attempt after a lost answer would hide that the first may have been applied.
    /// The domain retries, knowing that.
    writer: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Store {
        let writer = Client::from_conf(client.config().to_builder().retry_config(RetryConfig::disabled()).build());
        Store { client, writer, table: table.into() }
    }

    /// A client from the environment's AWS configuration (`AWS_ENDPOINT_URL_DYNAMODB`
    /// included), with time limits that turn an unreachable DynamoDB into a quick 503.
    /// Those limits also end a stalled answer, so the SDK's stalled-stream watch,
    /// which polls a throughput check on every body, is off.
    pub async fn from_env(table: impl Into<String>) -> Store {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
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

    /// One cheap request at start-up (SPEC §8): it opens the connection, so that the
    /// first request pays no handshake, and proves the table is there, so that a
    /// wrong `TABLE_NAME` stops the function before it serves anything.
    pub async fn probe(&self) -> Result<(), StartupError> {
        let probe = self.client.get_item().table_name(&self.table).set_key(Some(item::key(schema::probe_key())));
        match probe.send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {
                Err(StartupError::NoTable(self.table.clone()))
            }
            Err(err) => Err(StartupError::Unreachable(self.table.clone(), DisplayErrorContext(&err).to_string())),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The number of calls and the total of a subscriber's period, from its summary.
    pub async fn bill_summary(&self, subscriber: &PhoneNumber, period: Period) -> Result<(u64, Cents), ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item::key(schema::summary_key(subscriber, period))))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| storage_error("GetItem", e))?;
        count_reads(output.consumed_capacity.as_ref());
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
        after: Option<BillKey>,
    ) -> Result<(Vec<BillLine>, Option<BillKey>), ApiError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BILL_INDEX)
            .key_condition_expression("#s = :s AND begins_with(#k, :period)")
            .expression_attribute_names("#s", BILL_INDEX_PARTITION_KEY)
            .expression_attribute_names("#k", BILL_INDEX_SORT_KEY)
            .expression_attribute_values(":s", AttributeValue::S(subscriber.to_string()))
            .expression_attribute_values(":period", AttributeValue::S(BillKey::prefix(period)));
        // One line more than asked tells whether another page follows.
        let items = query_items(
            query,
            after.map(|place| {
                index_position(
                    place.call_id,
                    (BILL_INDEX_PARTITION_KEY, subscriber.to_string()),
                    (BILL_INDEX_SORT_KEY, place.to_string()),
                )
            }),
            limit + 1,
        )
        .await?;
        let mut lines = items.iter().map(item::bill_line).collect::<Result<Vec<_>, _>>().map_err(corrupt)?;
        if lines.len() > limit {
            lines.truncate(limit);
            let next = lines.last().expect("limit is at least 1").key(period);
            return Ok((lines, Some(next)));
        }
        Ok((lines, None))
    }
}

/// Counts the capacity units a read reports.
fn count_reads(consumed: Option<&ConsumedCapacity>) {
    metrics::add_capacity(Metric::ReadCapacityUnits, consumed.and_then(|used| used.capacity_units));
}

/// Up to `wanted` items of a query, from `start_key` on: DynamoDB stops a page at
/// 1 MB, and the query goes on from where it stopped until `wanted` or the end.
async fn query_items(
    query: QueryFluentBuilder,
    mut start_key: Option<Item>,
    wanted: usize,
) -> Result<Vec<Item>, ApiError> {
    let mut items = Vec::with_capacity(wanted.min(1024));
    loop {
        let output = query
            .clone()
            .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start_key)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| storage_error("Query", e))?;
        count_reads(output.consumed_capacity.as_ref());
        items.extend(output.items.unwrap_or_default());
        match output.last_evaluated_key {
            Some(key) if items.len() < wanted => start_key = Some(key),
            _ => return Ok(items),
        }
    }
}

/// A position in an index, as `ExclusiveStartKey`: the call item's key and the
/// index's partition and sort keys.
fn index_position(
    call_id: CallId,
    (partition_name, partition): (&str, String),
    (sort_name, sort): (&str, String),
) -> Item {
    let mut key = item::key(schema::call_key(call_id));
    key.insert(partition_name.into(), AttributeValue::S(partition));
    key.insert(sort_name.into(), AttributeValue::S(sort));
    key
}

fn failed(reason: Option<&CancellationReason>) -> Option<&CancellationReason> {
    reason.filter(|r| r.code() == Some("ConditionalCheckFailed"))
}

fn write_error(err: SdkError<TransactWriteItemsError>, has_guard: bool) -> WriteRejected {
    if outcome_unknown(&err) {
        tracing::warn!(error = %DisplayErrorContext(&err), "TransactWriteItems: outcome unknown");
        return WriteRejected::InDoubt;
    }
    if throttled(&err) {
        tracing::warn!(error = %DisplayErrorContext(&err), "TransactWriteItems: throttled");
        return WriteRejected::Contention;
    }
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() else {
        return WriteRejected::Failed(storage_error("TransactWriteItems", err));
    };
    // Reasons come in item order: [guard,] call[, summary].
    let reasons = cancelled.cancellation_reasons();
    let (guard, call) = if has_guard { (reasons.first(), reasons.get(1)) } else { (None, reasons.first()) };
    let id_owner = match failed(guard).map(|r| r.item().map(guard_owner)) {
        None => None,
        Some(Some(Ok(owner))) => Some(owner),
        Some(Some(Err(e))) => return WriteRejected::Failed(corrupt(e)),
        Some(None) => {
            return WriteRejected::Failed(corrupt("a failed record-id condition returned no item"));
        }
    };
    let call = match failed(call).map(|r| r.item().map(stored_call).transpose()) {
        None => None,
        Some(Ok(stored)) => Some(Box::new(stored.unwrap_or_default())),
        Some(Err(e)) => return WriteRejected::Failed(corrupt(e)),
    };
    if id_owner.is_some() || call.is_some() {
        return WriteRejected::Conflict { id_owner, call };
    }
    // A cancelled transaction applied nothing: a conflicting transaction or a
    // throttled item is tried again shortly.
    WriteRejected::Contention
}

impl Store {
    /// Up to `count` calls in the table's own order (a scan), after the call
    /// `after`; with whether more may follow. Only call items are returned.
    pub async fn scan_calls(&self, after: Option<CallId>, count: usize) -> Result<(Vec<StoredCall>, bool), ApiError> {
        let mut calls = Vec::with_capacity(count.min(1024));
        let mut start_key = after.map(|id| item::key(schema::call_key(id)));
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(#pk, :call)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":call", AttributeValue::S(schema::call_key_prefix().to_owned()))
                .limit(i32::try_from(count - calls.len()).unwrap_or(i32::MAX).max(1))
                .set_exclusive_start_key(start_key)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| storage_error("Scan", e))?;
            count_reads(output.consumed_capacity.as_ref());
            for found in output.items() {
                calls.push(stored_call(found).map_err(corrupt)?);
            }
            match output.last_evaluated_key {
                Some(key) if calls.len() < count => start_key = Some(key),
                Some(_) => return Ok((calls, true)),
                None => return Ok((calls, false)),
            }
        }
    }
}

impl BillStore for Store {
    async fn bill_totals(&self, subscriber: &PhoneNumber, period: Period) -> Result<(u64, Cents), ApiError> {
        self.bill_summary(subscriber, period).await
    }

    async fn bill_lines(
        &self,
        subscriber: &PhoneNumber,
        period: Period,
        limit: usize,
        after: Option<BillKey>,
    ) -> Result<(Vec<BillLine>, Option<BillKey>), ApiError> {
        Store::bill_lines(self, subscriber, period, limit, after).await
    }
}

impl UnmatchedStore for Store {
    async fn unmatched_calls(
        &self,
        status: CallStatus,
        shard: u32,
        (first, last): (ReportKey, ReportKey),
        resume_after: Option<ReportKey>,
        limit: usize,
    ) -> Result<Vec<StoredCall>, ApiError> {
        let partition = schema::unmatched_shard(status, shard);
        let start_key = resume_after.map(|place| {
            index_position(
                place.call_id,
                (UNMATCHED_INDEX_PARTITION_KEY, partition.clone()),
                (UNMATCHED_INDEX_SORT_KEY, place.to_string()),
            )
        });
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(UNMATCHED_INDEX)
            .key_condition_expression("#s = :s AND #k BETWEEN :first AND :last")
            .expression_attribute_names("#s", UNMATCHED_INDEX_PARTITION_KEY)
            .expression_attribute_names("#k", UNMATCHED_INDEX_SORT_KEY)
            .expression_attribute_values(":s", AttributeValue::S(partition.clone()))
            .expression_attribute_values(":first", AttributeValue::S(first.to_string()))
            .expression_attribute_values(":last", AttributeValue::S(last.to_string()));
        let items = query_items(query, start_key, limit).await?;
        items.iter().map(stored_call).collect::<Result<Vec<_>, _>>().map_err(corrupt)
    }
}

impl CallStore for Store {
    async fn read_call(&self, call_id: CallId) -> Result<Option<StoredCall>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item::key(schema::call_key(call_id))))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| storage_error("GetItem", e))?;
        count_reads(output.consumed_capacity.as_ref());
        output.item.as_ref().map(stored_call).transpose().map_err(corrupt)
    }

    /// One transaction: the record-id guard, the call at its next revision, and
    /// for a completing record the bill summary.
    async fn write_record(&self, write: RecordWrite<'_>) -> Result<(), WriteRejected> {
        let RecordWrite { record, rev, next } = write;
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
                .expression_attribute_names("#rev", REV)
                .expression_attribute_values(":rev", AttributeValue::N(rev.to_string())),
        };
        items.push(TransactWriteItem::builder().put(call.build().expect("table and item are set")).build());
        if let Some((subscriber, charge)) = write.completes() {
            let summary = Update::builder()
                .table_name(&self.table)
                .set_key(Some(item::key(schema::summary_key(subscriber, charge.period))))
                .update_expression("ADD #count :one, #total :cents")
                .expression_attribute_names("#count", CALL_COUNT)
                .expression_attribute_names("#total", TOTAL_CENTS)
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":cents", AttributeValue::N(charge.price.0.to_string()));
            items.push(
                TransactWriteItem::builder().update(summary.build().expect("table, key and update are set")).build(),
            );
        }
        let transaction = self
            .writer
            .transact_write_items()
            .set_transact_items(Some(items))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        match transaction.send().await {
            Ok(output) => {
                let units = output.consumed_capacity().iter().filter_map(|used| used.capacity_units).sum();
                metrics::add_capacity(Metric::WriteCapacityUnits, Some(units));
                Ok(())
            }
            Err(err) => Err(write_error(err, record.id.is_some())),
        }
    }
}
