//! A bad configuration stops the function at start-up with a log line naming it (SPEC §8).

use std::process::Command;

#[test]
fn refuses_to_start_without_a_valid_configuration() {
    for (vars, says) in [
        (vec![], "TABLE_NAME is not set"),
        (vec![("TABLE_NAME", "calls"), ("BILLING_TIMEZONE", "Mars/Olympus")], "is not an IANA time zone"),
        (vec![("TABLE_NAME", "calls"), ("TARIFF_SCHEDULE", "tariff = []")], "no tariff version"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_call-records"))
            .env_clear()
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .envs(vars)
            .output()
            .unwrap();
        assert!(!output.status.success(), "it must not start");
        let log = String::from_utf8_lossy(&output.stdout);
        let line =
            log.lines().find(|l| l.contains("refusing to start")).unwrap_or_else(|| panic!("no log line: {log}"));
        let json: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert_eq!(json["level"], "ERROR");
        assert!(line.contains(says), "{line}");
    }
}
