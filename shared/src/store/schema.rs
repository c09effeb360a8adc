//! The table's items, keys and index: the one definition that `create_table`, the
//! store, the local run and the `template.yaml` check all use.
//!
//! | item | `pk` | other attributes |
//! |---|---|---|
//! | call | `CALL#<call_id>` | `rev`, `status`, start/end record fields; once completed the price, `subscriber` and `bill_key` |
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
use chrono::{DateTime, Utc};

use crate::call::{CallId, RecordId};
use crate::period::Period;
use crate::phone::PhoneNumber;

/// The table's partition key (string); the table has no sort key.
pub const PARTITION_KEY: &str = "pk";
/// The global secondary index that lists a subscriber's completed calls by period.
pub const BILL_INDEX: &str = "bills";
/// The index's partition key: the calling number.
pub const BILL_INDEX_PARTITION_KEY: &str = "subscriber";
/// The index's sort key: `<YYYY-MM>#<start, RFC 3339 with nanoseconds>#<call_id, 16 digits>`,
/// so that one period is a key prefix and its lines come in bill order.
pub const BILL_INDEX_SORT_KEY: &str = "bill_key";
/// What the index carries besides its keys: exactly what a bill line needs.
pub const BILL_INDEX_PROJECTION: [&str; 5] = ["call_id", "destination", "start_at", "duration_seconds", "price_cents"];

pub fn call_key(call_id: CallId) -> String {
    format!("CALL#{call_id}")
}

pub fn record_key(id: RecordId) -> String {
    format!("RECORD#{id}")
}

pub fn summary_key(subscriber: &PhoneNumber, period: Period) -> String {
    format!("BILL#{subscriber}#{period}")
}

/// The index sort key of a completed call. Fixed widths keep string order equal to
/// (period, start, call id) order.
pub fn bill_key(period: Period, start: DateTime<Utc>, call_id: CallId) -> String {
    format!("{period}#{}#{:016}", start.format("%Y-%m-%dT%H:%M:%S%.9fZ"), call_id.0)
}

/// The prefix of every index sort key in `period`.
pub fn bill_key_prefix(period: Period) -> String {
    format!("{period}#")
}

/// Creates the table with its index (on-demand billing) and waits until it is active.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bill_keys_sort_as_bills_do() {
        let p: Period = "2017-12".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let mut keys = [
            bill_key(p, at("2017-12-12T15:07:13Z"), CallId(71)),
            bill_key(p, at("2017-12-12T15:07:13.250Z"), CallId(3)),
            bill_key(p, at("2017-12-12T04:57:13Z"), CallId(74)),
            bill_key(p, at("2017-12-12T15:07:13Z"), CallId(9)),
            bill_key(p, at("2017-11-30T23:00:00Z"), CallId(1)), // started the month before
        ];
        keys.sort();
        let order: Vec<&str> = keys.iter().map(|k| k.rsplit('#').next().unwrap()).collect();
        assert_eq!(
            order,
            ["0000000000000001", "0000000000000074", "0000000000000009", "0000000000000071", "0000000000000003"]
        );
        assert!(keys.iter().all(|k| k.starts_with(&bill_key_prefix(p))));
        assert_eq!(keys[1], "2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074");
    }
}
