pub fn fixture_path() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sample-calls.json")
}
