//! The DynamoDB store: items and transactions for the domain's [`CallStore`], and
//! the bill queries. It decides nothing: the conditions of each write come from
//! [`CallStore::write_record`]'s contract, and failures are handed back as they are.

use std::sync::Arc;
use std::time::Duration;

use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ConsumedCapacity, KeysAndAttributes, Put, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector, http_client_fn};
use aws_types::service_config::ServiceConfigKey;
use futures::FutureExt;

use super::errors::{Failure, corrupt, sdk_storage_error, storage_error};
use super::item::{self, Item, call_item, guard_item, guard_owner, stored_call};
use super::schema::attr::{CALL_COUNT, REV, TOTAL_CENTS};
use super::schema::{
    self, BILL_INDEX, BILL_INDEX_PARTITION_KEY, BILL_INDEX_PROJECTION, BILL_INDEX_SORT_KEY, PARTITION_KEY,
    UNMATCHED_INDEX, UNMATCHED_INDEX_PARTITION_KEY, UNMATCHED_INDEX_SORT_KEY,
};
use super::wire::{Limits, Reason, Wire, WireError};
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
    #[error(
        "table {0:?} holds an item at the start-up probe's key {key:?}, which callbill never writes: set TABLE_NAME to callbill's DynamoDB table",
        key = schema::probe_key()
    )]
    ProbeKeyHeld(String),
}

impl StartupError {
    fn of(table: &str, failure: Failure<'_>, error: &dyn std::fmt::Display) -> StartupError {
        match failure {
            Failure::Answered(Some("ResourceNotFoundException")) => StartupError::NoTable(table.to_owned()),
            _ => StartupError::Unreachable(table.to_owned(), error.to_string()),
        }
    }
}

/// What a function's start-up probe goes through: the requests it serves most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbePath {
    /// A read of one item.
    Reads,
    /// A transaction, which is how every record is written.
    Writes,
}

/// The table of calls, record ids and bill summaries.
#[derive(Debug, Clone)]
pub struct Store {
    /// The SDK, for the bill queries, the reports and the batch reads.
    client: Client,
    /// The requests of every record, GetItem and TransactWriteItems, over the
    /// client's own connections. Its transactions are never retried: a second
    /// attempt after a lost answer would hide that the first may have been applied.
    /// The domain retries, knowing that.
    wire: Arc<Wire>,
    table: String,
}

impl Store {
    /// A store of `table` in the DynamoDB that `sdk` reaches, with its region,
    /// credentials, endpoint, time limits and retries.
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Store {
        Store::with_connector(sdk, Store::connector(sdk), table)
    }

    /// The SDK's default HTTPS connector with `sdk`'s connect time limit.
    pub fn connector(sdk: &SdkConfig) -> SharedHttpConnector {
        let mut settings = HttpConnectorSettings::builder();
        settings.set_connect_timeout(sdk.timeout_config().and_then(|limits| limits.connect_timeout()));
        let settings = settings.build();
        let sleep = SharedAsyncSleep::new(TokioSleep::new());
        aws_smithy_http_client::default_connector(&settings, Some(sleep)).expect("the rustls connector is built in")
    }

    /// [`Store::new`] over `connector`, which the SDK client and the wire share.
    pub fn with_connector(sdk: &SdkConfig, connector: SharedHttpConnector, table: impl Into<String>) -> Store {
        let shared = connector.clone();
        let config = aws_sdk_dynamodb::config::Builder::from(sdk)
            .http_client(http_client_fn(move |_, _| shared.clone()))
            .build();
        let retries = config.retry_config().cloned().unwrap_or_else(RetryConfig::standard);
        let limits = Limits::of(sdk.timeout_config(), &retries);
        let wire = Wire::new(
            connector,
            endpoint(sdk),
            sdk.region().map(ToString::to_string).unwrap_or_default(),
            sdk.credentials_provider().expect("the SDK configuration has a credentials provider"),
            limits,
        );
        Store { client: Client::from_conf(config), wire: Arc::new(wire), table: table.into() }
    }

    /// A store from the environment's AWS configuration (`AWS_ENDPOINT_URL_DYNAMODB`
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
        Store::new(&sdk, table)
    }

    /// One cheap request at start-up (SPEC §8): it opens the connection, so that the
    /// first request pays no handshake, and proves the table is there, so that a
    /// wrong `TABLE_NAME` stops the function before it serves anything. It takes
    /// `path`, so that the first request's path is the one already warmed (`make bench`
    /// measures what is left of its extra time).
    pub async fn probe(&self, path: ProbePath) -> Result<(), StartupError> {
        let key = item::key(schema::probe_key());
        match path {
            ProbePath::Reads => match self.client.get_item().table_name(&self.table).set_key(Some(key)).send().await {
                Ok(_) => Ok(()),
                Err(err) => Err(StartupError::of(&self.table, Failure::of_sdk(&err), &DisplayErrorContext(&err))),
            },
            ProbePath::Writes => self.probe_writes(key).await,
        }
    }

    /// A transaction whose one condition holds on a key no item has: it writes
    /// nothing and goes the way a record's successful write goes. A cancelled one
    /// would be an HTTP 400, which DynamoDB's UserErrors metric would count at every
    /// start-up.
    async fn probe_writes(&self, key: Item) -> Result<(), StartupError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .expect("table, key and condition are set");
        let transaction = [TransactWriteItem::builder().condition_check(check).build()];
        let Err(err) = self.wire.transact_write_items(&transaction).await else { return Ok(()) };
        match err.cancellation_reasons() {
            Some(reasons) if failed(reasons.first()).is_some() => Err(StartupError::ProbeKeyHeld(self.table.clone())),
            // Cancelled for another reason: DynamoDB found the table and weighed the
            // transaction, which is all the probe asks. Cold starts at once check the
            // same key, and their transactions may meet (TransactionConflict); none of
            // them should refuse to start.
            Some(_) => Ok(()),
            None => Err(StartupError::of(&self.table, err.failure(), &err)),
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
            .map_err(|e| sdk_storage_error("GetItem", e))?;
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
        // Only what a line holds: fewer attributes to read back is less CPU a line.
        let query = project(query, &BILL_INDEX_PROJECTION);
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

/// The endpoint the SDK client reaches, resolved by the SDK's own rules once: an
/// endpoint set in code, else `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL`,
/// else the region's.
fn endpoint(sdk: &SdkConfig) -> http::Uri {
    let from_environment = || {
        let key = ServiceConfigKey::builder()
            .service_id("DynamoDB")
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .expect("all fields are set");
        sdk.service_config().and_then(|service| service.load_config(key))
    };
    let configured = match sdk.get_origin("endpoint_url").is_client_config() {
        true => sdk.endpoint_url().map(str::to_owned),
        false => from_environment().or_else(|| sdk.endpoint_url().map(str::to_owned)),
    };
    let params = Params::builder()
        .set_region(sdk.region().map(ToString::to_string))
        .set_use_fips(sdk.use_fips())
        .set_use_dual_stack(sdk.use_dual_stack())
        .set_endpoint(configured)
        .build()
        .expect("the endpoint parameters are complete");
    let resolved = DefaultResolver::new()
        .resolve_endpoint(&params)
        .now_or_never()
        .expect("the SDK's rules resolve at once")
        .unwrap_or_else(|e| panic!("no DynamoDB endpoint for this configuration: {e}"));
    resolved.url().parse().unwrap_or_else(|e| panic!("DynamoDB endpoint {:?} is not a URI: {e}", resolved.url()))
}

/// A query that returns only `attributes` of each item.
fn project(query: QueryFluentBuilder, attributes: &[&str]) -> QueryFluentBuilder {
    let names: Vec<String> = (0..attributes.len()).map(|i| format!("#a{i}")).collect();
    attributes.iter().zip(&names).fold(query.projection_expression(names.join(",")), |query, (attribute, name)| {
        query.expression_attribute_names(name, *attribute)
    })
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
            .map_err(|e| sdk_storage_error("Query", e))?;
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

/// Whether a cancelled transaction's action may pass when tried again: it was only
/// cancelled, its condition failed (the write is decided afresh), or it met another
/// transaction or throttling.
fn may_pass_when_tried_again(reason: &Reason) -> bool {
    matches!(
        reason.code.as_deref(),
        None | Some(
            "None" | CONDITION_FAILED | "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
        )
    )
}

/// The cancellation reason of an action whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";

fn failed(reason: Option<&Reason>) -> Option<&Reason> {
    reason.filter(|r| r.code.as_deref() == Some(CONDITION_FAILED))
}

/// Why a transaction was not applied, for each record write in it, given as the
/// number of its actions and whether the first is a record-id guard.
fn write_errors(err: WireError, writes: &[(usize, bool)]) -> Vec<WriteRejected> {
    let all = |rejected: WriteRejected| vec![rejected; writes.len()];
    let failure = err.failure();
    if failure.outcome_unknown() {
        tracing::warn!(error = %err, "TransactWriteItems: outcome unknown");
        return all(WriteRejected::InDoubt);
    }
    if failure.throttled() {
        tracing::warn!(error = %err, "TransactWriteItems: throttled");
        return all(WriteRejected::Contention);
    }
    // Not a cancellation, or one for a reason no retry changes (a request DynamoDB
    // finds invalid, say): a failure to report, not contention to wait out.
    let retriable = |reasons: &&[Reason]| reasons.iter().all(may_pass_when_tried_again);
    let Some(reasons) = err.cancellation_reasons().filter(retriable) else {
        return all(WriteRejected::Failed(storage_error("TransactWriteItems", failure, &err)));
    };
    let mut offset = 0;
    let rejections: Vec<Option<WriteRejected>> = writes
        .iter()
        .map(|&(actions, has_guard)| {
            let own = reasons.get(offset..offset + actions).unwrap_or_default();
            offset += actions;
            rejection(own, has_guard)
        })
        .collect();
    // A cancelled transaction applied nothing. Beside a write whose condition failed,
    // the others were only cancelled; otherwise a conflicting transaction or a
    // throttled item is tried again shortly.
    let bystander =
        if rejections.iter().any(Option::is_some) { WriteRejected::Cancelled } else { WriteRejected::Contention };
    rejections.into_iter().map(|rejected| rejected.unwrap_or_else(|| bystander.clone())).collect()
}

/// A record write's rejection from its actions' cancellation reasons, which come in
/// action order: [guard,] call[, summary]; `None` when none of its conditions failed.
fn rejection(reasons: &[Reason], has_guard: bool) -> Option<WriteRejected> {
    let (guard, call) = if has_guard { (reasons.first(), reasons.get(1)) } else { (None, reasons.first()) };
    let id_owner = match failed(guard).map(|r| r.item.as_ref().map(guard_owner)) {
        None => None,
        Some(Some(Ok(owner))) => Some(owner),
        Some(Some(Err(e))) => return Some(WriteRejected::Failed(corrupt(e))),
        Some(None) => {
            return Some(WriteRejected::Failed(corrupt("a failed record-id condition returned no item")));
        }
    };
    let call = match failed(call).map(|r| r.item.as_ref().map(stored_call).transpose()) {
        None => None,
        Some(Ok(stored)) => Some(Box::new(stored.unwrap_or_default())),
        Some(Err(e)) => return Some(WriteRejected::Failed(corrupt(e))),
    };
    (id_owner.is_some() || call.is_some()).then_some(WriteRejected::Conflict { id_owner, call })
}

impl Store {
    /// A record's own actions, in the order [`rejection`] reads their cancellation
    /// reasons: [guard,] call. The summary it adds to is [`Store::summary_action`].
    fn record_actions(&self, write: &RecordWrite<'_>) -> Vec<TransactWriteItem> {
        let RecordWrite { record, rev, next } = *write;
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
        items
    }

    /// Adds `calls` calls and `cents` to a bill summary (no condition: the calls'
    /// own conditions in the same transaction make it count once).
    fn summary_action(&self, key: String, calls: u64, cents: i64) -> TransactWriteItem {
        let summary = Update::builder()
            .table_name(&self.table)
            .set_key(Some(item::key(key)))
            .update_expression("ADD #count :calls, #total :cents")
            .expression_attribute_names("#count", CALL_COUNT)
            .expression_attribute_names("#total", TOTAL_CENTS)
            .expression_attribute_values(":calls", AttributeValue::N(calls.to_string()))
            .expression_attribute_values(":cents", AttributeValue::N(cents.to_string()));
        TransactWriteItem::builder().update(summary.build().expect("table, key and update are set")).build()
    }

    /// One transaction of record writes: their own actions, then one action for
    /// each bill summary they add to, with what they add together.
    fn transaction(&self, writes: &[RecordWrite<'_>], own: Vec<Vec<TransactWriteItem>>) -> Vec<TransactWriteItem> {
        let mut summaries: Vec<(String, u64, i64)> = Vec::new();
        for (subscriber, charge) in writes.iter().filter_map(RecordWrite::completes) {
            let key = schema::summary_key(subscriber, charge.period);
            match summaries.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, calls, cents)) => (*calls, *cents) = (*calls + 1, *cents + charge.price.0),
                None => summaries.push((key, 1, charge.price.0)),
            }
        }
        let mut items: Vec<TransactWriteItem> = own.into_iter().flatten().collect();
        items.extend(summaries.into_iter().map(|(key, calls, cents)| self.summary_action(key, calls, cents)));
        items
    }

    /// Record writes packed into transactions of up to [`TRANSACTION_ACTIONS`]
    /// actions (their own, and one for each summary they add to), as the writes'
    /// positions, in chains whose transactions go one after another. The writes that
    /// add to one summary go in one transaction, so that no two transactions sent
    /// at once contend for it; only when they are too many for one do they fill a
    /// chain of their own.
    fn pack(writes: &[RecordWrite<'_>], own: &[Vec<TransactWriteItem>]) -> Vec<Vec<Vec<usize>>> {
        let mut by_summary: std::collections::BTreeMap<Option<String>, Vec<usize>> = Default::default();
        for (i, write) in writes.iter().enumerate() {
            let summary = write.completes().map(|(subscriber, charge)| schema::summary_key(subscriber, charge.period));
            by_summary.entry(summary).or_default().push(i);
        }
        let mut chains: Vec<Vec<Vec<usize>>> = Vec::new();
        // Transactions being filled: their writes and how many actions they hold.
        let mut open: Vec<(Vec<usize>, usize)> = Vec::new();
        let mut add = |members: Vec<usize>, size: usize| match open
            .iter_mut()
            .find(|(_, used)| used + size <= TRANSACTION_ACTIONS)
        {
            Some((writes, used)) => {
                writes.extend(members);
                *used += size;
            }
            None => open.push((members, size)),
        };
        for (summary, members) in by_summary {
            let actions = |members: &[usize]| members.iter().map(|&i| own[i].len()).sum::<usize>();
            if summary.is_none() {
                for i in members {
                    add(vec![i], own[i].len());
                }
                continue;
            }
            let size = actions(&members) + 1;
            if size <= TRANSACTION_ACTIONS {
                add(members, size);
                continue;
            }
            let mut chain = vec![Vec::new()];
            let mut used = 1;
            for i in members {
                if used + own[i].len() > TRANSACTION_ACTIONS {
                    chain.push(Vec::new());
                    used = 1;
                }
                used += own[i].len();
                chain.last_mut().expect("one is open").push(i);
            }
            chains.push(chain);
        }
        chains.extend(open.into_iter().map(|(writes, _)| vec![writes]));
        chains
    }

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
                .map_err(|e| sdk_storage_error("Scan", e))?;
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

/// The most actions DynamoDB takes in one transaction. Transactions of fewer actions
/// did not make batches faster against DynamoDB Local behind 5 ms of latency
/// (docs/benchmark-investigations.md, "Batches").
const TRANSACTION_ACTIONS: usize = 100;

/// The most keys DynamoDB reads in one BatchGetItem.
const BATCH_GET_KEYS: usize = 100;

/// How many times keys that DynamoDB left unread are asked for before a 503.
const UNPROCESSED_READS: u32 = 5;

impl CallStore for Store {
    async fn read_call(&self, call_id: CallId) -> Result<Option<StoredCall>, ApiError> {
        let key = item::key(schema::call_key(call_id));
        let (found, units) =
            self.wire.get_item(&self.table, &key).await.map_err(|e| storage_error("GetItem", e.failure(), &e))?;
        metrics::add_capacity(Metric::ReadCapacityUnits, units);
        found.as_ref().map(stored_call).transpose().map_err(corrupt)
    }

    /// One transaction: the record-id guard, the call at its next revision, and
    /// for a completing record the bill summary.
    async fn write_record(&self, write: RecordWrite<'_>) -> Result<(), WriteRejected> {
        let own = self.record_actions(&write);
        let shape = (own.len(), write.record.id.is_some());
        let items = self.transaction(&[write], vec![own]);
        self.transact(items).await.map_err(|err| write_errors(err, &[shape]).remove(0))
    }

    /// One BatchGetItem for each hundred calls, strongly consistent.
    async fn read_calls(&self, call_ids: &[CallId]) -> Result<Vec<Option<StoredCall>>, ApiError> {
        let mut found: std::collections::HashMap<String, StoredCall> = std::collections::HashMap::new();
        for chunk in call_ids.chunks(BATCH_GET_KEYS) {
            let keys = chunk.iter().map(|&id| item::key(schema::call_key(id))).collect();
            let mut wanted = Some(
                KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build().expect("keys are set"),
            );
            for attempt in 0u32.. {
                let Some(keys) = wanted.take() else { break };
                if attempt > 0 {
                    // Keys DynamoDB left unread under load: read them again after a pause.
                    if attempt == UNPROCESSED_READS {
                        return Err(ApiError::unavailable());
                    }
                    tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
                }
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| sdk_storage_error("BatchGetItem", e))?;
                for used in output.consumed_capacity() {
                    metrics::add_capacity(Metric::ReadCapacityUnits, used.capacity_units);
                }
                for found_item in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    let key = found_item.get(PARTITION_KEY).and_then(|k| k.as_s().ok()).cloned();
                    let key = key.ok_or_else(|| corrupt("a call read by BatchGetItem has no key"))?;
                    found.insert(key, stored_call(&found_item).map_err(corrupt)?);
                }
                wanted = output.unprocessed_keys.and_then(|mut u| u.remove(&self.table));
            }
        }
        Ok(call_ids.iter().map(|&id| found.remove(&schema::call_key(id))).collect())
    }

    /// The writes packed into transactions, sent at once but for those that add to
    /// the same bill summary, which go one after another so as not to contend for it.
    async fn write_records(&self, writes: &[RecordWrite<'_>]) -> Vec<Result<(), WriteRejected>> {
        let mut own: Vec<Vec<TransactWriteItem>> = writes.iter().map(|w| self.record_actions(w)).collect();
        let shapes: Vec<(usize, bool)> =
            writes.iter().zip(&own).map(|(w, a)| (a.len(), w.record.id.is_some())).collect();
        let chains = Store::pack(writes, &own);
        let mut sends = Vec::with_capacity(chains.len());
        for chain in chains {
            let transactions: Vec<(Vec<usize>, Vec<TransactWriteItem>)> = chain
                .into_iter()
                .map(|members| {
                    let member_writes: Vec<RecordWrite<'_>> = members.iter().map(|&i| writes[i]).collect();
                    let items = self
                        .transaction(&member_writes, members.iter().map(|&i| std::mem::take(&mut own[i])).collect());
                    (members, items)
                })
                .collect();
            let shapes = &shapes;
            sends.push(async move {
                let mut done = Vec::new();
                for (members, items) in transactions {
                    let member_shapes: Vec<(usize, bool)> = members.iter().map(|&i| shapes[i]).collect();
                    let outcome = match self.transact(items).await {
                        Ok(()) => vec![Ok(()); members.len()],
                        Err(err) => write_errors(err, &member_shapes).into_iter().map(Err).collect(),
                    };
                    done.extend(members.into_iter().zip(outcome));
                }
                done
            });
        }
        let done = futures::future::join_all(sends).await;
        let mut outcomes: Vec<Option<Result<(), WriteRejected>>> = vec![None; writes.len()];
        for (i, outcome) in done.into_iter().flatten() {
            outcomes[i] = Some(outcome);
        }
        outcomes.into_iter().map(|outcome| outcome.expect("every write is in a transaction")).collect()
    }
}

impl Store {
    /// Sends one transaction, once, counting its capacity units.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), WireError> {
        let units = self.wire.transact_write_items(&items).await?;
        metrics::add_capacity(Metric::WriteCapacityUnits, Some(units));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancelled(codes: &[&str]) -> WireError {
        WireError::Answered {
            status: 400,
            code: Some("TransactionCanceledException".into()),
            message: format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
            reasons: codes.iter().map(|code| Reason { code: Some((*code).into()), item: None }).collect(),
        }
    }

    fn is_contention(rejected: &WriteRejected) -> bool {
        matches!(rejected, WriteRejected::Contention)
    }

    fn is_internal(rejected: &WriteRejected) -> bool {
        matches!(rejected, WriteRejected::Failed(error) if error.status() == 500)
    }

    fn is_conflict(rejected: &WriteRejected) -> bool {
        matches!(rejected, WriteRejected::Conflict { call: Some(_), .. })
    }

    fn is_cancelled(rejected: &WriteRejected) -> bool {
        matches!(rejected, WriteRejected::Cancelled)
    }

    #[test]
    fn a_cancelled_transaction_is_tried_again_only_when_a_retry_may_pass() {
        // Two record writes of one action each; the reasons come in action order.
        type Expected = [fn(&WriteRejected) -> bool; 2];
        let cases: [(&[&str], Expected); 6] = [
            (&["TransactionConflict", "None"], [is_contention, is_contention]),
            (&["None", "ThrottlingError"], [is_contention, is_contention]),
            (&["ProvisionedThroughputExceeded", "None"], [is_contention, is_contention]),
            (&["ConditionalCheckFailed", "None"], [is_conflict, is_cancelled]),
            (&["None", "ValidationError"], [is_internal, is_internal]),
            (&["ItemCollectionSizeLimitExceeded", "ConditionalCheckFailed"], [is_internal, is_internal]),
        ];
        for (codes, expected) in cases {
            let rejected = write_errors(cancelled(codes), &[(1, false), (1, false)]);
            assert_eq!(rejected.len(), 2, "{codes:?}");
            for (rejected, expected) in rejected.iter().zip(expected) {
                assert!(expected(rejected), "{codes:?}: {rejected:?}");
            }
        }
    }
}
