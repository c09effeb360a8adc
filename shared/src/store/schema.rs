//! The table's items, keys and index: the one definition that `create_table`, the
//! store, the local run and the `template.yaml` check all use.
//!
//! | item | `pk` | other attributes |
//! |---|---|---|
//! | call | `CALL#<call_id>` | `rev`, `status`, start/end record fields; once completed the price, `subscriber` and `bill_key` ([`crate::bill::BillKey`]) |
//! | record-id guard | `RECORD#<id>` | `call_id`, `type`: makes record ids unique across all records |
//! | bill summary | `BILL#<subscriber>#<YYYY-MM>` | `call_count`, `total_cents` of the period |
//!
//! Both indexes are sparse: only completed calls carry the keys of [`BILL_INDEX`],
//! only calls with one record those of [`UNMATCHED_INDEX`]. A call item is written
//! whole each time, so the write that completes a call takes it out of the one and
//! into the other.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};

use crate::call::CallStatus;
use crate::ids::{CallId, RecordId};
use crate::period::Period;
use crate::phone::PhoneNumber;

/// The table's partition key (string); the table has no sort key.
pub const PARTITION_KEY: &str = "pk";

/// Attribute names of the items.
pub mod attr {
    pub const CALL_ID: &str = "call_id";
    pub const REV: &str = "rev";
    pub const STATUS: &str = "status";
    pub const START_ID: &str = "start_id";
    pub const START_AT: &str = "start_at";
    pub const SOURCE: &str = "source";
    pub const DESTINATION: &str = "destination";
    pub const END_ID: &str = "end_id";
    pub const END_AT: &str = "end_at";
    pub const PERIOD: &str = "period";
    pub const DURATION_SECONDS: &str = "duration_seconds";
    pub const PRICE_CENTS: &str = "price_cents";
    pub const TARIFF_ID: &str = "tariff_id";
    pub const BREAKDOWN: &str = "breakdown";
    /// On a record-id guard: the type of the record that holds the id.
    pub const RECORD_TYPE: &str = "type";
    pub const CALL_COUNT: &str = "call_count";
    pub const TOTAL_CENTS: &str = "total_cents";
    /// The bills index's partition key: the calling number.
    pub const SUBSCRIBER: &str = "subscriber";
    /// The bills index's sort key: a [`crate::bill::BillKey`].
    pub const BILL_KEY: &str = "bill_key";
    /// A completed call's bill line in one string (`store::item`), for the bills
    /// index: one attribute reads back several times faster than five.
    pub const BILL_LINE: &str = "bill_line";
    /// The unmatched index's partition key: `<status>#<shard>`.
    pub const UNMATCHED_SHARD: &str = "unmatched_shard";
    /// The unmatched index's sort key: a [`crate::unmatched::ReportKey`].
    pub const UNMATCHED_AT: &str = "unmatched_at";
}

/// The global secondary index that lists a subscriber's completed calls by period.
pub const BILL_INDEX: &str = "bills";
pub const BILL_INDEX_PARTITION_KEY: &str = attr::SUBSCRIBER;
pub const BILL_INDEX_SORT_KEY: &str = attr::BILL_KEY;
/// What the index carries besides its keys: exactly what a bill line needs.
pub const BILL_INDEX_PROJECTION: [&str; 1] = [attr::BILL_LINE];

/// The sparse global secondary index of calls that have only a start or only an
/// end: the operator's unmatched-records report (SPEC §3).
pub const UNMATCHED_INDEX: &str = "unmatched";
pub const UNMATCHED_INDEX_PARTITION_KEY: &str = attr::UNMATCHED_SHARD;
pub const UNMATCHED_INDEX_SORT_KEY: &str = attr::UNMATCHED_AT;
/// What the unmatched index carries besides its keys: the call as stored, unpriced.
pub const UNMATCHED_INDEX_PROJECTION: [&str; 9] = [
    attr::CALL_ID,
    attr::REV,
    attr::STATUS,
    attr::START_ID,
    attr::START_AT,
    attr::SOURCE,
    attr::DESTINATION,
    attr::END_ID,
    attr::END_AT,
];

/// The unmatched index's partition: the call's status and its shard. Spreading each
/// status over [`crate::unmatched::SHARDS`] partitions keeps every one of them far
/// from DynamoDB's 1,000 writes a second (README, Table design).
pub fn unmatched_shard(status: CallStatus, shard: u32) -> String {
    format!("{}#{shard:02}", status.as_str())
}

pub fn call_key(call_id: CallId) -> String {
    format!("{}{call_id}", call_key_prefix())
}

/// A key no item has: the start-up probe reads it.
pub fn probe_key() -> String {
    "PROBE#start-up".to_owned()
}

/// What every call item's key begins with.
pub fn call_key_prefix() -> &'static str {
    "CALL#"
}

pub fn record_key(id: RecordId) -> String {
    format!("RECORD#{id}")
}

pub fn summary_key(subscriber: &PhoneNumber, period: Period) -> String {
    format!("BILL#{subscriber}#{period}")
}

/// Creates the table with its index, billed on demand, as `template.yaml` declares
/// them (tests/tests/deployment.rs checks that they agree). It returns once DynamoDB
/// has accepted the request; DynamoDB Local makes the table usable at once, while on
/// AWS it becomes ACTIVE a few seconds later. An existing table is an error.
pub async fn create_table(client: &Client, table: &str) -> Result<(), SdkError<CreateTableError>> {
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("name and type are set")
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("name and type are set")
    };
    let index = |name: &str, partition: &str, sort: &str, projection: &[&str]| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(partition, KeyType::Hash))
            .key_schema(key(sort, KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::Include)
                    .set_non_key_attributes(Some(projection.iter().map(|a| a.to_string()).collect()))
                    .build(),
            )
            .build()
            .expect("name, keys and projection are set")
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(PARTITION_KEY))
        .attribute_definitions(string_attribute(BILL_INDEX_PARTITION_KEY))
        .attribute_definitions(string_attribute(BILL_INDEX_SORT_KEY))
        .attribute_definitions(string_attribute(UNMATCHED_INDEX_PARTITION_KEY))
        .attribute_definitions(string_attribute(UNMATCHED_INDEX_SORT_KEY))
        .key_schema(key(PARTITION_KEY, KeyType::Hash))
        .global_secondary_indexes(index(
            BILL_INDEX,
            BILL_INDEX_PARTITION_KEY,
            BILL_INDEX_SORT_KEY,
            &BILL_INDEX_PROJECTION,
        ))
        .global_secondary_indexes(index(
            UNMATCHED_INDEX,
            UNMATCHED_INDEX_PARTITION_KEY,
            UNMATCHED_INDEX_SORT_KEY,
            &UNMATCHED_INDEX_PROJECTION,
        ))
        .send()
        .await?;
    Ok(())
}
