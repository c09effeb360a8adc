//! Reading call records (SPEC §2): one case per rule and per message.

use callbill::{CallId, ErrorCode, Event, RecordId, RecordKind, parse_record};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::{Value, json};

fn now() -> DateTime<Utc> {
    "2018-03-10T12:00:00Z".parse().unwrap()
}

fn parse(body: Value) -> Result<callbill::NewRecord, callbill::ApiError> {
    parse_record(&body, now(), Tz::UTC)
}

#[test]
fn reads_valid_records_in_canonical_form() {
    let cases = [
        (
            json!({"id": 1, "type": "start", "timestamp": "2016-02-29T12:00:00Z", "call_id": 70,
                   "source": "99988526423", "destination": "9993468278"}),
            json!({"id": 1, "type": "start", "call_id": 70, "timestamp": "2016-02-29T12:00:00Z",
                   "source": "99988526423", "destination": "9993468278"}),
        ),
        (
            // digit strings for ids, any case for type, space separator and offset
            json!({"id": "36", "type": "End", "call_id": "19", "timestamp": "2018-01-04 18:31:38-03:00"}),
            json!({"id": 36, "type": "end", "call_id": 19, "timestamp": "2018-01-04T21:31:38Z"}),
        ),
        (
            // Unix seconds; no id
            json!({"type": "END", "call_id": 123, "timestamp": 1_520_683_199}),
            json!({"type": "end", "call_id": 123, "timestamp": "2018-03-10T11:59:59Z"}),
        ),
        (
            // nulls count as absent: type defaults to start, timestamp to now
            json!({"id": null, "type": null, "timestamp": null, "call_id": null,
                   "source": "11991232344", "destination": "1199434533"}),
            json!({"type": "start", "call_id": 0, "timestamp": "2018-03-10T12:00:00Z",
                   "source": "11991232344", "destination": "1199434533"}),
        ),
        (
            // fractions are kept; the 5-minute limit is inclusive
            json!({"call_id": 5, "timestamp": "2018-03-10T12:05:00.000Z", "source": "1199123234",
                   "destination": "1199434533"}),
            json!({"type": "start", "call_id": 5, "timestamp": "2018-03-10T12:05:00Z",
                   "source": "1199123234", "destination": "1199434533"}),
        ),
        (
            json!({"call_id": 5, "timestamp": "2018-03-10T11:00:00.25+00:00", "source": "1199123234",
                   "destination": "1199434533"}),
            json!({"type": "start", "call_id": 5, "timestamp": "2018-03-10T11:00:00.250Z",
                   "source": "1199123234", "destination": "1199434533"}),
        ),
        (
            json!({"id": 9_007_199_254_740_991u64, "type": "end", "call_id": 1, "timestamp": "2018-03-10T11:00:00Z"}),
            json!({"id": 9_007_199_254_740_991u64, "type": "end", "call_id": 1, "timestamp": "2018-03-10T11:00:00Z"}),
        ),
    ];
    for (input, canonical) in cases {
        let record = parse(input.clone()).unwrap_or_else(|e| panic!("{input}: {e:?}")).into_record(CallId(0));
        assert_eq!(serde_json::to_value(&record).unwrap(), canonical, "{input}");
    }
}

#[test]
fn a_missing_timestamp_is_the_time_of_receipt_and_says_so() {
    let record = parse(json!({"type": "end", "call_id": 7})).unwrap();
    assert_eq!(record.timestamp, now());
    assert!(record.timestamp_defaulted);
    assert_eq!(record.event, Event::End);
    assert_eq!((record.id, record.call_id), (None, Some(CallId(7))));
    let given = parse(json!({"type": "end", "call_id": 7, "timestamp": "2018-03-10T11:00:00Z"})).unwrap();
    assert!(!given.timestamp_defaulted);
}

#[test]
fn a_start_without_call_id_gets_the_assigned_one() {
    let record = parse(json!({"source": "1199123234", "destination": "1199434533", "id": 4})).unwrap();
    assert_eq!(record.call_id, None);
    let record = record.into_record(CallId(4242));
    assert_eq!((record.call_id, record.id, record.kind()), (CallId(4242), Some(RecordId(4)), RecordKind::Start));
}

/// One case per rule: the body, then each invalid field with a part of its message.
#[test]
fn reports_each_rule_with_its_message() {
    let start = json!({"source": "99988526423", "destination": "9993468278", "timestamp": "2018-03-10T11:00:00Z"});
    let with = |changes: Value| {
        let mut body = start.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let id_message = "must be an integer from 1 to 9007199254740991, or a string of its digits";
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (with(json!({"id": 0})), vec![("id", id_message)]),
        (with(json!({"id": -3})), vec![("id", id_message)]),
        (with(json!({"id": 1.5})), vec![("id", id_message)]),
        (with(json!({"id": "12a"})), vec![("id", id_message)]),
        (with(json!({"id": ""})), vec![("id", id_message)]),
        (with(json!({"id": " 1"})), vec![("id", id_message)]),
        (with(json!({"id": 9_007_199_254_740_992u64})), vec![("id", id_message)]),
        (with(json!({"id": "99999999999999999999999"})), vec![("id", id_message)]),
        (with(json!({"id": true})), vec![("id", id_message)]),
        (with(json!({"call_id": 0})), vec![("call_id", id_message)]),
        (with(json!({"call_id": [1]})), vec![("call_id", id_message)]),
        (with(json!({"type": "begin"})), vec![("type", "must be \"start\" or \"end\"")]),
        (with(json!({"type": 1})), vec![("type", "must be \"start\" or \"end\"")]),
        (with(json!({"timestamp": "2018-13-01T00:00:00Z"})), vec![("timestamp", "is not a timestamp")]),
        (with(json!({"timestamp": "yesterday"})), vec![("timestamp", "is not a timestamp")]),
        (with(json!({"timestamp": 1.5})), vec![("timestamp", "Unix seconds must be a whole number")]),
        (with(json!({"timestamp": 1e300})), vec![("timestamp", "Unix seconds must be a whole number")]),
        (with(json!({"timestamp": -99_999_999_999_999_i64})), vec![("timestamp", "between 1970")]),
        (with(json!({"timestamp": {"at": 1}})), vec![("timestamp", "must be an RFC 3339 string")]),
        // Timestamps lie in 1970 through 9999 (SPEC §2): a record outside could never be read back.
        (
            with(json!({"timestamp": "0000-03-01T10:00:00Z"})),
            vec![("timestamp", "between 1970-01-01T00:00:00Z and 9999")],
        ),
        (
            with(json!({"timestamp": "1969-12-31T23:59:59Z"})),
            vec![("timestamp", "between 1970-01-01T00:00:00Z and 9999")],
        ),
        (with(json!({"timestamp": "1970-01-01T00:59:59+01:00"})), vec![("timestamp", "between 1970")]),
        (with(json!({"timestamp": -100_000_000_000_i64})), vec![("timestamp", "between 1970")]),
        (with(json!({"timestamp": -1})), vec![("timestamp", "between 1970")]),
        // No leap second, exactly one separator between date and time.
        (with(json!({"timestamp": "2017-12-12T10:00:60Z"})), vec![("timestamp", "is not a timestamp")]),
        (with(json!({"timestamp": "2017-12-12T10:59:60"})), vec![("timestamp", "is not a timestamp")]),
        (with(json!({"timestamp": "2017-12-12  10:00:00"})), vec![("timestamp", "is not a timestamp")]),
        (with(json!({"timestamp": "2017-12-12 \t10:00:00Z"})), vec![("timestamp", "is not a timestamp")]),
        (with(json!({"timestamp": "2017-12-12\t10:00:00Z"})), vec![("timestamp", "is not a timestamp")]),
        (with(json!({"timestamp": "2018-03-10T12:05:01Z"})), vec![("timestamp", "more than 5 minutes in the future")]),
        (with(json!({"timestamp": 1_520_683_502})), vec![("timestamp", "more than 5 minutes in the future")]),
        (with(json!({"source": "999885264"})), vec![("source", "must be 10 or 11 digits")]),
        (with(json!({"source": "+5599988526"})), vec![("source", "must be 10 or 11 digits")]),
        (with(json!({"source": 99988526423u64})), vec![("source", "must be a string")]),
        (with(json!({"destination": "99 9346 8278"})), vec![("destination", "must be 10 or 11 digits")]),
        (with(json!({"source": null})), vec![("source", "required for a start record")]),
        (
            json!({"timestamp": "2018-03-10T11:00:00Z"}),
            vec![("destination", "required for a start record"), ("source", "required for a start record")],
        ),
        (json!({"type": "end"}), vec![("call_id", "required for an end record")]),
        (
            json!({"type": "end", "call_id": 1, "source": "99988526423", "destination": "9993468278"}),
            vec![("destination", "not allowed on an end record"), ("source", "not allowed on an end record")],
        ),
        (with(json!({"callType": "End"})), vec![("callType", "unknown field; a record has only id, type, call_id")]),
        (with(json!({"Source": "x"})), vec![("Source", "unknown field")]),
        // several at once, every one reported
        (
            json!({"id": "x", "type": "end", "timestamp": "soon", "source": "1", "extra": 1}),
            vec![
                ("call_id", "required for an end record"),
                ("extra", "unknown field"),
                ("id", id_message),
                ("source", "not allowed on an end record"),
                ("timestamp", "is not a timestamp"),
            ],
        ),
        // an unknown type still checks the numbers it was given
        (json!({"type": "middle", "source": "12"}), vec![("source", "must be 10 or 11 digits"), ("type", "must be")]),
    ];
    for (body, expected) in cases {
        let error = parse(body.clone()).expect_err(&body.to_string());
        assert_eq!(error.code, ErrorCode::InvalidRecord, "{body}");
        assert_eq!(error.status(), 400);
        let fields = error.fields.as_ref().unwrap();
        let got: Vec<&str> = fields.keys().map(String::as_str).collect();
        let want: Vec<&str> = expected.iter().map(|(field, _)| *field).collect();
        assert_eq!(got, want, "{body}: fields at fault");
        for (field, says) in expected {
            assert!(
                fields[field].iter().any(|m| m.contains(says)),
                "{body}: {field} {:?} should say {says:?}",
                fields[field]
            );
        }
        let count = fields.len();
        let plural = if count == 1 { "1 field is invalid".to_owned() } else { format!("{count} fields are invalid") };
        assert_eq!(error.message, plural);
    }
}

#[test]
fn a_body_that_is_not_an_object_is_refused() {
    for body in [json!([]), json!("start"), json!(1), json!(null), json!(true)] {
        let error = parse(body.clone()).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRecord, "{body}");
        assert!(error.message.contains("must be a JSON object"), "{body}");
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        "[0-9]{0,13}".prop_map(Value::from),
        "(start|end|START|End)".prop_map(Value::from),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9]:[0-6][0-9](Z|[+-][01][0-9]:[0-5][0-9])?"
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let field = prop_oneof![
            prop::sample::select(vec!["id", "type", "call_id", "timestamp", "source", "destination"])
                .prop_map(str::to_owned),
            ".{0,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(field, inner, 0..7).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever a client sends, the parser answers with a record or with field errors.
    #[test]
    fn arbitrary_json_yields_a_record_or_field_errors(body in json_value()) {
        match parse_record(&body, now(), chrono_tz::America::Sao_Paulo) {
            Ok(record) => {
                let record = record.into_record(CallId(1));
                let canonical = serde_json::to_value(&record).unwrap();
                // A record read back from its canonical form is the same record.
                let again = parse_record(&canonical, now(), Tz::UTC).unwrap().into_record(CallId(1));
                prop_assert_eq!(again, record);
            }
            Err(error) => {
                prop_assert_eq!(error.code, ErrorCode::InvalidRecord);
                prop_assert!(!body.is_object() || error.fields.as_ref().is_some_and(|f| !f.is_empty()));
            }
        }
    }
}
