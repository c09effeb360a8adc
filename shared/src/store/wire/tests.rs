use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde_json::json;

use super::json::{self, AnsweredItem, Attribute, ItemJson, TransactWriteItemsInput, error_code, into_item};

fn written(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}

/// Every attribute type, as DynamoDB's JSON protocol writes it.
fn every_type() -> Vec<(AttributeValue, serde_json::Value)> {
    let blob = Blob::new(vec![0u8, 1, 254, 255]);
    vec![
        (AttributeValue::S("héllo".into()), json!({"S": "héllo"})),
        (AttributeValue::N("-12.50".into()), json!({"N": "-12.50"})),
        (AttributeValue::B(blob.clone()), json!({"B": "AAH+/w=="})),
        (AttributeValue::Bool(true), json!({"BOOL": true})),
        (AttributeValue::Null(true), json!({"NULL": true})),
        (AttributeValue::Ss(vec!["a".into(), "b".into()]), json!({"SS": ["a", "b"]})),
        (AttributeValue::Ns(vec!["1".into(), "2".into()]), json!({"NS": ["1", "2"]})),
        (AttributeValue::Bs(vec![blob]), json!({"BS": ["AAH+/w=="]})),
        (
            AttributeValue::M(HashMap::from([("n".into(), AttributeValue::N("1".into()))])),
            json!({"M": {"n": {"N": "1"}}}),
        ),
        (
            AttributeValue::L(vec![AttributeValue::S("x".into()), AttributeValue::L(vec![])]),
            json!({"L": [{"S": "x"}, {"L": []}]}),
        ),
    ]
}

#[test]
fn every_attribute_type_is_written_as_dynamodb_writes_it_and_read_back_unchanged() {
    for (value, expected) in every_type() {
        assert_eq!(written(&Attribute(&value)), expected, "{value:?}");
        let item = HashMap::from([("a".to_owned(), value.clone())]);
        let answered: AnsweredItem = serde_json::from_value(json!({"a": expected})).unwrap();
        assert_eq!(into_item(answered).unwrap(), item, "{value:?}");
    }
}

#[test]
fn an_answered_blob_that_is_not_base64_is_an_unreadable_answer() {
    let answered: AnsweredItem = serde_json::from_value(json!({"a": {"B": "not base64!"}})).unwrap();
    assert!(into_item(answered).is_err());
}

#[test]
fn a_transaction_is_written_action_by_action_with_only_the_members_set() {
    let key = HashMap::from([("pk".to_owned(), AttributeValue::S("call#5".into()))]);
    let put = Put::builder()
        .table_name("t")
        .set_item(Some(key.clone()))
        .condition_expression("#rev = :rev")
        .expression_attribute_names("#rev", "rev")
        .expression_attribute_values(":rev", AttributeValue::N("2".into()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .unwrap();
    let update = Update::builder()
        .table_name("t")
        .set_key(Some(key.clone()))
        .update_expression("ADD #count :calls")
        .expression_attribute_names("#count", "call_count")
        .expression_attribute_values(":calls", AttributeValue::N("1".into()))
        .build()
        .unwrap();
    let check = ConditionCheck::builder()
        .table_name("t")
        .set_key(Some(key))
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", "pk")
        .build()
        .unwrap();
    let actions = [
        TransactWriteItem::builder().put(put).build(),
        TransactWriteItem::builder().update(update).build(),
        TransactWriteItem::builder().condition_check(check).build(),
    ];
    assert_eq!(
        written(&TransactWriteItemsInput(&actions)),
        json!({
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "call#5"}}, "ConditionExpression": "#rev = :rev",
                         "ExpressionAttributeNames": {"#rev": "rev"},
                         "ExpressionAttributeValues": {":rev": {"N": "2"}},
                         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Update": {"TableName": "t", "Key": {"pk": {"S": "call#5"}}, "UpdateExpression": "ADD #count :calls",
                            "ExpressionAttributeNames": {"#count": "call_count"},
                            "ExpressionAttributeValues": {":calls": {"N": "1"}}}},
                {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "call#5"}},
                                    "ConditionExpression": "attribute_exists(#pk)",
                                    "ExpressionAttributeNames": {"#pk": "pk"}}},
            ],
            "ReturnConsumedCapacity": "TOTAL",
        })
    );
}

#[test]
fn a_get_item_asks_for_a_strongly_consistent_read_and_its_capacity() {
    let key = HashMap::from([("pk".to_owned(), AttributeValue::S("call#5".into()))]);
    let input = json::GetItemInput {
        table_name: "t",
        key: ItemJson(&key),
        consistent_read: true,
        return_consumed_capacity: "TOTAL",
    };
    assert_eq!(
        written(&input),
        json!({"TableName": "t", "Key": {"pk": {"S": "call#5"}}, "ConsistentRead": true, "ReturnConsumedCapacity": "TOTAL"})
    );
}

#[test]
fn an_error_code_is_read_from_its_type_as_the_sdk_reads_it() {
    for (kind, code) in [
        ("com.amazonaws.dynamodb.v20120810#TransactionCanceledException", "TransactionCanceledException"),
        ("com.amazon.coral.validate#ValidationException", "ValidationException"),
        ("ThrottlingException", "ThrottlingException"),
        ("aws.protocoltests#FooError:http://internal.amazon.com/coral/", "FooError"),
    ] {
        assert_eq!(error_code(kind), code, "{kind}");
    }
}

#[test]
fn a_cancelled_transaction_answers_a_reason_for_each_action_with_the_item_found() {
    let answer = json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]",
        "CancellationReasons": [
            {"Code": "ConditionalCheckFailed", "Item": {"rev": {"N": "3"}}, "Message": "The conditional request failed"},
            {"Code": "None"},
        ],
    });
    let error: json::ErrorOutput = serde_json::from_value(answer).unwrap();
    assert_eq!(error_code(error.kind.as_deref().unwrap()), "TransactionCanceledException");
    let reasons: Vec<_> = error.cancellation_reasons.into_iter().map(|r| (r.code, r.item.map(into_item))).collect();
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0].0.as_deref(), Some("ConditionalCheckFailed"));
    let item = reasons[0].1.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(item["rev"], AttributeValue::N("3".into()));
    assert_eq!((reasons[1].0.as_deref(), reasons[1].1.is_none()), (Some("None"), true));
    let lower: json::ErrorOutput =
        serde_json::from_value(json!({"__type": "x#ResourceNotFoundException", "message": "no table"})).unwrap();
    assert_eq!(lower.message.as_deref(), Some("no table"), "DynamoDB writes `message` in lower case for some errors");
}
