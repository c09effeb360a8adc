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

mod signing {
    use std::time::{Duration, SystemTime};

    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    use super::super::sigv4::{self, SigningKey};

    /// One request the wire would sign, and who signs it.
    struct Signing<'a> {
        credentials: &'a Credentials,
        region: &'a str,
        at: SystemTime,
        host: &'a str,
        target: &'a str,
        body: &'a [u8],
    }

    /// The SDK's signer's `authorization` for the request: it is given the headers
    /// the wire sends but the date and token, which it adds itself.
    fn sdk_authorization(&Signing { credentials, region, at, host, target, body }: &Signing) -> String {
        let identity: Identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("dynamodb")
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let length = body.len().to_string();
        let headers = [
            ("content-length", length.as_str()),
            ("content-type", "application/x-amz-json-1.0"),
            ("host", host),
            ("x-amz-target", target),
        ];
        let url = format!("http://{host}/");
        let signable = SignableRequest::new("POST", &url, headers.into_iter(), SignableBody::Bytes(body)).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut request = http::Request::post(&url).body(()).unwrap();
        instructions.apply_to_request_http1x(&mut request);
        request.headers()["authorization"].to_str().unwrap().to_owned()
    }

    /// The wire's own `authorization` for the request.
    fn own_authorization(&Signing { credentials, region, at, host, target, body }: &Signing) -> String {
        let now: DateTime<Utc> = at.into();
        let (date_time, length) = (sigv4::date_time(now), body.len().to_string());
        let key = SigningKey::derive(credentials.secret_access_key(), sigv4::date(&date_time), region);
        let headers = super::super::signed_headers(&length, host, &date_time, credentials.session_token(), target);
        sigv4::authorization(credentials.access_key_id(), &key, region, &date_time, "/", &headers, body)
    }

    proptest! {
        #[test]
        fn every_signature_is_the_sdk_signers(
            seconds in 0u64..4_000_000_000,
            body in proptest::collection::vec(any::<u8>(), 0..600),
            secret in "[A-Za-z0-9/+]{40}",
            token in proptest::option::of("[A-Za-z0-9/+=]{20,200}"),
            region in prop::sample::select(vec!["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1"]),
            host in prop::sample::select(vec!["dynamodb.us-east-1.amazonaws.com", "127.0.0.1:8000", "localhost:39122"]),
            target in prop::sample::select(vec!["DynamoDB_20120810.GetItem", "DynamoDB_20120810.TransactWriteItems"]),
        ) {
            let credentials = Credentials::new("AKIDEXAMPLE", secret, token, None, "test");
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
            let request = Signing { credentials: &credentials, region, at, host, target, body: &body };
            prop_assert_eq!(own_authorization(&request), sdk_authorization(&request));
        }
    }

    #[test]
    fn a_path_is_signed_as_it_is_only_when_sigv4_would_not_encode_it() {
        for (path, signable) in [
            ("/", true),
            ("/dynamodb", true),
            ("/a-b_c.d~e/f", true),
            ("", false),
            ("/a b", false),
            ("/a%20b", false),
            ("/a//b", false),
            ("/a/../b", false),
            ("/./b", false),
        ] {
            assert_eq!(sigv4::signable_path(path), signable, "{path:?}");
        }
    }
}
