//! A bad configuration stops the function at start-up with a log line naming it (SPEC §8).

#[path = "../../tests-common/startup.rs"]
mod startup;

#[test]
fn refuses_to_start_without_a_valid_configuration() {
    startup::refuses_to_start_without_a_valid_configuration(env!("CARGO_BIN_EXE_call-records"));
}

#[test]
fn refuses_to_start_without_its_table() {
    startup::refuses_to_start_without_its_table(env!("CARGO_BIN_EXE_call-records"));
}
