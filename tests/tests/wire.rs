//! The store's own requests (the wire) against a DynamoDB stand-in that keeps what
//! arrives and answers as told: each carries a SigV4 signature that holds for
//! exactly the headers and body that were sent (checked by a verifier written from
//! AWS's description, which the SDK's own request must pass too); a read is retried
//! after a transient failure; a transaction is sent once.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use callbill::CallId;
use callbill::ingest::CallStore;
use callbill::store::{ProbePath, StartupError, Store};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// One request as it arrived: its target, headers (lower-case names) and body.
#[derive(Debug, Clone)]
struct Arrived {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// An answer: HTTP status line and JSON body.
type Answer = (&'static str, &'static str);

/// What the stand-in answers the `n`th request (from 0) of `target`.
type Script = fn(target: &str, n: usize) -> Answer;

/// A transaction cancelled for its one action, with that action's reason `code`.
macro_rules! cancelled {
    ($code:literal) => {
        (
            "400 Bad Request",
            concat!(
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"cancelled","#,
                r#""CancellationReasons":[{"Code":""#,
                $code,
                r#""}]}"#
            ),
        )
    };
}

const CONDITION_FAILED: Answer = cancelled!("ConditionalCheckFailed");
const CONFLICT: Answer = cancelled!("TransactionConflict");
const INTERNAL: Answer =
    ("500 Internal Server Error", r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"x"}"#);
const EMPTY: Answer = ("200 OK", "{}");

/// A DynamoDB stand-in on 127.0.0.1 that keeps every request and answers by `script`.
fn capture(script: Script) -> (String, Arc<Mutex<Vec<Arrived>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let arrived = Arc::new(Mutex::new(Vec::new()));
    let kept = arrived.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                while let Some(request) = read_request(&mut reader) {
                    let target = request.headers.get("x-amz-target").cloned().unwrap_or_default();
                    let (status, answer) = {
                        let mut kept = kept.lock().unwrap();
                        let n =
                            kept.iter().filter(|r: &&Arrived| r.headers.get("x-amz-target") == Some(&target)).count();
                        kept.push(request);
                        script(&target, n)
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n",
                        answer.len()
                    );
                    if writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(answer.as_bytes())).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, arrived)
}

fn read_request(reader: &mut impl BufRead) -> Option<Arrived> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers.get("content-length").map_or(Some(0), |l| l.parse().ok())?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Arrived { method, path, headers, body })
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The request's signature, recomputed from what arrived (AWS's "Create a signed
/// AWS API request"), and the headers it names as signed.
fn check_signature(request: &Arrived) -> Vec<String> {
    let authorization = &request.headers["authorization"];
    let fields = authorization.strip_prefix("AWS4-HMAC-SHA256 ").expect("a SigV4 authorization");
    let field = |name: &str| {
        fields.split(", ").find_map(|f| f.strip_prefix(name)).unwrap_or_else(|| panic!("no {name} in {authorization}"))
    };
    let (credential, signed_headers, signature) = (field("Credential="), field("SignedHeaders="), field("Signature="));
    let (access_key, scope) = credential.split_once('/').unwrap();
    assert_eq!(access_key, "AKIDEXAMPLE");
    let scope_parts: Vec<&str> = scope.split('/').collect();
    assert_eq!(scope_parts[1..], ["eu-west-1", "dynamodb", "aws4_request"]);
    let date_time = &request.headers["x-amz-date"];
    assert!(date_time.starts_with(scope_parts[0]), "{date_time} vs {scope}");
    let names: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
    let canonical_headers: String = names
        .iter()
        .map(|name| {
            let value = request.headers.get(name).unwrap_or_else(|| panic!("signed header {name} was not sent"));
            format!("{name}:{}\n", value.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect();
    let canonical = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        request.method,
        request.path,
        hex::encode(Sha256::digest(&request.body))
    );
    let to_sign =
        format!("AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let key = ["eu-west-1", "dynamodb", "aws4_request"]
        .iter()
        .fold(hmac(format!("AWS4{SECRET}").as_bytes(), scope_parts[0]), |key, part| hmac(&key, part));
    let body = String::from_utf8_lossy(&request.body);
    assert_eq!(hex::encode(hmac(&key, &to_sign)), signature, "no valid signature: {:?} {body}", request.headers);
    names
}

async fn stand_in_store(url: &str) -> Store {
    let credentials = Credentials::new("AKIDEXAMPLE", SECRET, Some("session-token".into()), None, "test");
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(credentials)
        .load()
        .await;
    Store::new(&sdk, "calls")
}

fn targets(arrived: &Mutex<Vec<Arrived>>) -> Vec<String> {
    arrived
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.headers["x-amz-target"].trim_start_matches("DynamoDB_20120810.").to_owned())
        .collect()
}

#[tokio::test]
async fn a_read_is_tried_again_after_a_transient_failure_and_a_write_is_sent_once() {
    fn answers(target: &str, n: usize) -> Answer {
        match (target, n) {
            ("DynamoDB_20120810.GetItem", 0 | 1) => INTERNAL,
            ("DynamoDB_20120810.GetItem", _) => EMPTY,
            _ => INTERNAL,
        }
    }
    let (url, arrived) = capture(answers);
    let store = stand_in_store(&url).await;
    let call = store.read_call(CallId::parse("5").unwrap()).await;
    assert!(matches!(call, Ok(None)), "{call:?}");
    assert_eq!(targets(&arrived), ["GetItem", "GetItem", "GetItem"], "two failures, then the answer");
    // A transaction whose answer is an internal error may have been applied:
    // sending it again would hide that, so it goes once.
    let probe = store.probe(ProbePath::Writes).await;
    assert!(matches!(probe, Err(StartupError::Unreachable(..))), "{probe:?}");
    assert_eq!(targets(&arrived)[3..], ["TransactWriteItems"]);
}

/// The write probe refuses the start only when its own condition fails (an item
/// holds its key). Cold starts at once check the same key, and DynamoDB may cancel a
/// transaction that meets another (TransactionConflict): that one still found the
/// table, and its function starts.
#[tokio::test]
async fn a_probe_that_meets_another_passes_and_one_whose_condition_fails_refuses() {
    let (url, _) = capture(|_, _| CONFLICT);
    let met = stand_in_store(&url).await.probe(ProbePath::Writes).await;
    assert!(met.is_ok(), "{met:?}");
    let (url, _) = capture(|_, _| CONDITION_FAILED);
    let held = stand_in_store(&url).await.probe(ProbePath::Writes).await;
    assert!(matches!(held, Err(StartupError::ProbeKeyHeld(_))), "{held:?}");
}

#[tokio::test]
async fn the_wire_signs_what_it_sends_as_the_sdk_does() {
    let (url, arrived) = capture(|_, _| EMPTY);
    let store = stand_in_store(&url).await;
    // Reads go through the SDK, writes through the wire.
    store.probe(ProbePath::Reads).await.unwrap();
    store.probe(ProbePath::Writes).await.unwrap();
    let arrived = arrived.lock().unwrap().clone();
    let targets: Vec<&str> = arrived.iter().map(|r| r.headers["x-amz-target"].as_str()).collect();
    assert_eq!(targets, ["DynamoDB_20120810.GetItem", "DynamoDB_20120810.TransactWriteItems"]);
    for request in &arrived {
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/"));
        assert_eq!(request.headers["content-type"], "application/x-amz-json-1.0");
        assert_eq!(request.headers["x-amz-security-token"], "session-token");
        let signed = check_signature(request);
        for needed in ["content-type", "host", "x-amz-date", "x-amz-target"] {
            assert!(signed.iter().any(|s| s == needed), "{needed} is not signed: {signed:?}");
        }
    }
    let sent: serde_json::Value = serde_json::from_slice(&arrived[1].body).unwrap();
    assert_eq!(sent["TransactItems"][0]["ConditionCheck"]["TableName"], "calls", "{sent}");
}
