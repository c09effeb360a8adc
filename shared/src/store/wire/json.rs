//! DynamoDB's JSON shapes (the `awsJson1_0` protocol) for the SDK's own types:
//! the store builds its items and actions with the SDK's builders, and these
//! write them and read the answers back, as the SDK's serializers would.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Serialize, Serializer};

use crate::store::item::Item;

/// An attribute value as DynamoDB writes it: `{"S": "..."}`, `{"N": "..."}`, ...
pub(super) struct Attribute<'a>(pub &'a AttributeValue);

/// An item: attribute names and their values.
pub(super) struct ItemJson<'a>(pub &'a Item);

impl Serialize for Attribute<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self.0 {
            AttributeValue::S(s) => map.serialize_entry("S", s)?,
            AttributeValue::N(n) => map.serialize_entry("N", n)?,
            AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
            AttributeValue::Null(b) => map.serialize_entry("NULL", b)?,
            AttributeValue::B(blob) => map.serialize_entry("B", &BASE64.encode(blob.as_ref()))?,
            AttributeValue::Ss(ss) => map.serialize_entry("SS", ss)?,
            AttributeValue::Ns(ns) => map.serialize_entry("NS", ns)?,
            AttributeValue::Bs(bs) => {
                let encoded: Vec<String> = bs.iter().map(|blob| BASE64.encode(blob.as_ref())).collect();
                map.serialize_entry("BS", &encoded)?
            }
            AttributeValue::M(m) => map.serialize_entry("M", &ItemJson(m))?,
            AttributeValue::L(l) => map.serialize_entry("L", &List(l))?,
            other => return Err(S::Error::custom(format!("an attribute value of no known type: {other:?}"))),
        }
        map.end()
    }
}

struct List<'a>(&'a [AttributeValue]);

impl Serialize for List<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Attribute))
    }
}

impl Serialize for ItemJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (name, Attribute(value))))
    }
}

/// A GetItem request, strongly consistent, with the capacity it used.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetItemInput<'a> {
    pub table_name: &'a str,
    pub key: ItemJson<'a>,
    pub consistent_read: bool,
    pub return_consumed_capacity: &'static str,
}

/// A TransactWriteItems request, with the capacity it used.
pub(super) struct TransactWriteItemsInput<'a>(pub &'a [TransactWriteItem]);

impl Serialize for TransactWriteItemsInput<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("TransactItems", &Actions(self.0))?;
        map.serialize_entry("ReturnConsumedCapacity", "TOTAL")?;
        map.end()
    }
}

struct Actions<'a>(&'a [TransactWriteItem]);

impl Serialize for Actions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Action))
    }
}

/// One action of a transaction: `{"Put": {...}}`, `{"Update": {...}}`, ...
struct Action<'a>(&'a TransactWriteItem);

/// The members every kind of action may have, each written only when set.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ActionBody<'a> {
    table_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<ItemJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<ItemJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_expression: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition_expression: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expression_attribute_names: Option<&'a HashMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expression_attribute_values: Option<ItemJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_values_on_condition_check_failure: Option<&'a str>,
}

/// The members the SDK's `Put`, `Update` and `ConditionCheck` share, read through
/// their getters of the same names (the three types share no trait).
macro_rules! shared_members {
    ($action:expr) => {
        ActionBody {
            table_name: $action.table_name(),
            expression_attribute_names: $action.expression_attribute_names(),
            expression_attribute_values: $action.expression_attribute_values().map(ItemJson),
            return_values_on_condition_check_failure: $action
                .return_values_on_condition_check_failure()
                .map(|r| r.as_str()),
            ..ActionBody::default()
        }
    };
}

impl Serialize for Action<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let action = self.0;
        // The store writes no Delete.
        let (kind, body) = if let Some(put) = action.put() {
            let body = ActionBody {
                item: Some(ItemJson(put.item())),
                condition_expression: put.condition_expression(),
                ..shared_members!(put)
            };
            ("Put", body)
        } else if let Some(update) = action.update() {
            let body = ActionBody {
                key: Some(ItemJson(update.key())),
                update_expression: Some(update.update_expression()),
                condition_expression: update.condition_expression(),
                ..shared_members!(update)
            };
            ("Update", body)
        } else if let Some(check) = action.condition_check() {
            let body = ActionBody {
                key: Some(ItemJson(check.key())),
                condition_expression: Some(check.condition_expression()),
                ..shared_members!(check)
            };
            ("ConditionCheck", body)
        } else {
            return Err(S::Error::custom("a transaction action that is not a Put, Update or ConditionCheck"));
        };
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(kind, &body)?;
        map.end()
    }
}

/// An attribute value as DynamoDB answers it.
#[derive(Deserialize)]
pub(super) enum AnsweredValue {
    S(String),
    N(String),
    B(String),
    #[serde(rename = "BOOL")]
    Bool(bool),
    #[serde(rename = "NULL")]
    Null(bool),
    #[serde(rename = "SS")]
    Ss(Vec<String>),
    #[serde(rename = "NS")]
    Ns(Vec<String>),
    #[serde(rename = "BS")]
    Bs(Vec<String>),
    M(HashMap<String, AnsweredValue>),
    L(Vec<AnsweredValue>),
}

/// A blob as DynamoDB sends it: base64.
fn blob(encoded: &str) -> Result<Blob, String> {
    BASE64.decode(encoded).map(Blob::new).map_err(|e| format!("a binary attribute that is not base64: {e}"))
}

impl AnsweredValue {
    fn into_sdk(self) -> Result<AttributeValue, String> {
        Ok(match self {
            AnsweredValue::S(s) => AttributeValue::S(s),
            AnsweredValue::N(n) => AttributeValue::N(n),
            AnsweredValue::B(b) => AttributeValue::B(blob(&b)?),
            AnsweredValue::Bool(b) => AttributeValue::Bool(b),
            AnsweredValue::Null(b) => AttributeValue::Null(b),
            AnsweredValue::Ss(ss) => AttributeValue::Ss(ss),
            AnsweredValue::Ns(ns) => AttributeValue::Ns(ns),
            AnsweredValue::Bs(bs) => AttributeValue::Bs(bs.iter().map(|b| blob(b)).collect::<Result<_, _>>()?),
            AnsweredValue::M(m) => AttributeValue::M(into_item(m)?),
            AnsweredValue::L(l) => {
                AttributeValue::L(l.into_iter().map(AnsweredValue::into_sdk).collect::<Result<_, _>>()?)
            }
        })
    }
}

pub(super) type AnsweredItem = HashMap<String, AnsweredValue>;

pub(super) fn into_item(answered: AnsweredItem) -> Result<Item, String> {
    answered.into_iter().map(|(name, value)| Ok((name, value.into_sdk()?))).collect()
}

/// The capacity a request used.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Capacity {
    pub capacity_units: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetItemOutput {
    pub item: Option<AnsweredItem>,
    pub consumed_capacity: Option<Capacity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TransactWriteItemsOutput {
    #[serde(default)]
    pub consumed_capacity: Vec<Capacity>,
}

/// An error DynamoDB answers with.
#[derive(Deserialize)]
pub(super) struct ErrorOutput {
    #[serde(rename = "__type")]
    pub kind: Option<String>,
    #[serde(rename = "Message", alias = "message")]
    pub message: Option<String>,
    #[serde(rename = "CancellationReasons", default)]
    pub cancellation_reasons: Vec<AnsweredReason>,
}

/// Why one action of a cancelled transaction was not applied.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AnsweredReason {
    pub code: Option<String>,
    pub item: Option<AnsweredItem>,
}

/// An error's code from its `__type`, as the SDK reads it:
/// `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` → `ResourceNotFoundException`.
pub(super) fn error_code(kind: &str) -> &str {
    let name = kind.rsplit_once('#').map_or(kind, |(_, name)| name);
    name.split_once(':').map_or(name, |(name, _)| name)
}
