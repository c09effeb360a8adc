//! The start-up check both functions share (SPEC §8): a bad configuration stops the
//! binary with a JSON log line naming it. Each function's `tests/startup.rs`
//! includes this file and passes its own binary.

use std::process::Command;

pub fn refuses_to_start_without_a_valid_configuration(binary: &str) {
    for (vars, says) in [
        (vec![], "TABLE_NAME is not set"),
        (vec![("TABLE_NAME", "calls"), ("BILLING_TIMEZONE", "Mars/Olympus")], "is not an IANA time zone"),
        (vec![("TABLE_NAME", "calls"), ("TARIFF_SCHEDULE", "tariff = []")], "no tariff version"),
    ] {
        let output = Command::new(binary).env_clear().env("AWS_LAMBDA_LOG_FORMAT", "JSON").envs(vars).output().unwrap();
        assert!(!output.status.success(), "it must not start");
        let log = String::from_utf8_lossy(&output.stdout);
        let line =
            log.lines().find(|l| l.contains("refusing to start")).unwrap_or_else(|| panic!("no log line: {log}"));
        let json: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert_eq!(json["level"], "ERROR");
        assert!(line.contains(says), "{line}");
    }
}

/// A table that is not there stops the binary at start-up, before it serves anything
/// (SPEC §8). Needs the DynamoDB Local of `make test-rust`.
pub fn refuses_to_start_without_its_table(binary: &str) {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("AWS_ENDPOINT_URL_DYNAMODB is not set: run the tests with make test-rust (DynamoDB Local)");
    let output = Command::new(binary)
        .env_clear()
        .envs([
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("TABLE_NAME", "no-such-table"),
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
            ("AWS_REGION", "us-east-1"),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success(), "it must not start");
    let log = String::from_utf8_lossy(&output.stdout);
    let line = log.lines().find(|l| l.contains("refusing to start")).unwrap_or_else(|| panic!("no log line: {log}"));
    assert!(line.contains("table \\\"no-such-table\\\" does not exist"), "{line}");
    let json: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(json["level"], "ERROR");
}
