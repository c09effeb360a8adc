//! The table's items, keys and index: the one definition that `create_table`, the
//! store, the local run and the `template.yaml` check all use.
//!
//! | item | `pk` | other attributes |
//! |---|---|---|
//! | call | `CALL#<call_id>` | `rev`, `status`, start/end record fields; once completed the price, `subscriber` and `bill_key` ([`crate::bill::BillKey`]) |
//! | record-id guard | `RECORD#<id>` | `call_id`, `type`: makes record ids unique across all records |
//! | bill summary | `BILL#<subscriber>#<YYYY-MM>` | `call_count`, `total_cents` of the period |
//!
//! The index [`BILL_INDEX`] is sparse: only completed calls carry its keys.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};

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
}

/// The global secondary index that lists a subscriber's completed calls by period.
pub const BILL_INDEX: &str = "bills";
pub const BILL_INDEX_PARTITION_KEY: &str = attr::SUBSCRIBER;
pub const BILL_INDEX_SORT_KEY: &str = attr::BILL_KEY;
/// What the index carries besides its keys: exactly what a bill line needs.
pub const BILL_INDEX_PROJECTION: [&str; 5] =
    [attr::CALL_ID, attr::DESTINATION, attr::START_AT, attr::DURATION_SECONDS, attr::PRICE_CENTS];

pub fn call_key(call_id: CallId) -> String {
    format!("CALL#{call_id}")
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
    let index = GlobalSecondaryIndex::builder()
        .index_name(BILL_INDEX)
        .key_schema(key(BILL_INDEX_PARTITION_KEY, KeyType::Hash))
        .key_schema(key(BILL_INDEX_SORT_KEY, KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(BILL_INDEX_PROJECTION.map(String::from).to_vec()))
                .build(),
        )
        .build()
        .expect("name, keys and projection are set");
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(PARTITION_KEY))
        .attribute_definitions(string_attribute(BILL_INDEX_PARTITION_KEY))
        .attribute_definitions(string_attribute(BILL_INDEX_SORT_KEY))
        .key_schema(key(PARTITION_KEY, KeyType::Hash))
        .global_secondary_indexes(index)
        .send()
        .await?;
    Ok(())
}
