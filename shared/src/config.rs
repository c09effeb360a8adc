//! Configuration from the environment (SPEC §8), read and checked once at start-up.

use chrono_tz::Tz;

use crate::tariff::{ScheduleError, TariffSchedule};

/// What both functions need to know about their deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The DynamoDB table holding records, calls and the bill index.
    pub table_name: String,
    /// The IANA zone whose wall clock sets tariff bands, periods and bill dates.
    pub zone: Tz,
    pub tariffs: TariffSchedule,
}

/// A configuration the functions refuse to start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("TABLE_NAME is not set: name the DynamoDB table callbill uses")]
    MissingTable,
    #[error("BILLING_TIMEZONE {0:?} is not an IANA time zone name such as UTC or America/Sao_Paulo")]
    UnknownZone(String),
    #[error("TARIFF_SCHEDULE: {0}")]
    Tariffs(#[from] ScheduleError),
}

impl Config {
    /// Reads `TABLE_NAME`, `BILLING_TIMEZONE` (default `UTC`) and `TARIFF_SCHEDULE`
    /// (TOML; default the shipped schedule) from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`] with the variables read through `var`.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let set = |name| var(name).filter(|value: &String| !value.trim().is_empty());
        let table_name = set("TABLE_NAME").ok_or(ConfigError::MissingTable)?;
        let zone = match set("BILLING_TIMEZONE") {
            None => Tz::UTC,
            Some(name) => name.parse().map_err(|_| ConfigError::UnknownZone(name))?,
        };
        let tariffs = match set("TARIFF_SCHEDULE") {
            None => TariffSchedule::default_schedule(),
            Some(text) => TariffSchedule::from_toml(&text)?,
        };
        Ok(Config { table_name, zone, tariffs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn defaults_to_utc_and_the_shipped_tariffs() {
        let config = config(&[("TABLE_NAME", "calls")]).unwrap();
        assert_eq!(config.table_name, "calls");
        assert_eq!(config.zone, Tz::UTC);
        assert_eq!(config.tariffs, TariffSchedule::default_schedule());
    }

    #[test]
    fn reads_zone_and_a_one_line_schedule() {
        let schedule = r#"tariff = [{id = "flat", effective_from = "2020-01-01T00:00:00Z", band = [{name = "all", from = "00:00", to = "00:00", standing_charge_cents = 10, per_minute_cents = 5}]}]"#;
        let config = config(&[
            ("TABLE_NAME", "calls"),
            ("BILLING_TIMEZONE", "America/Sao_Paulo"),
            ("TARIFF_SCHEDULE", schedule),
        ])
        .unwrap();
        assert_eq!(config.zone, chrono_tz::America::Sao_Paulo);
        assert_eq!(config.tariffs.versions()[0].id, "flat");
    }

    #[test]
    fn refuses_a_bad_configuration_naming_the_problem() {
        let cases = [
            (vec![], "TABLE_NAME is not set"),
            (vec![("TABLE_NAME", " ")], "TABLE_NAME is not set"),
            (vec![("TABLE_NAME", "t"), ("BILLING_TIMEZONE", "Mars/Olympus")], "\"Mars/Olympus\" is not an IANA"),
            (vec![("TABLE_NAME", "t"), ("TARIFF_SCHEDULE", "tariff = []")], "no tariff version"),
            (vec![("TABLE_NAME", "t"), ("TARIFF_SCHEDULE", "not toml")], "TARIFF_SCHEDULE: invalid tariff schedule"),
        ];
        for (vars, says) in cases {
            let error = config(&vars).unwrap_err().to_string();
            assert!(error.contains(says), "{error:?} should contain {says:?}");
        }
    }
}
