//! Tariffs: versions of a time-of-day schedule of bands (SPEC §5).

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use serde::Deserialize;

use crate::money::Cents;

const SECONDS_PER_DAY: u32 = 86_400;

/// The schedule shipped with the code.
pub const DEFAULT_SCHEDULE: &str = include_str!("tariffs.toml");

/// A part of the local day with its own charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub name: String,
    /// Start of the band in seconds after local midnight (inclusive).
    pub from: u32,
    /// End in seconds after local midnight (exclusive); at or before `from` when the
    /// band wraps past midnight.
    pub to: u32,
    pub standing_charge: Cents,
    pub per_minute: Cents,
}

impl Band {
    fn contains(&self, second_of_day: u32) -> bool {
        if self.from < self.to {
            (self.from..self.to).contains(&second_of_day)
        } else {
            second_of_day >= self.from || second_of_day < self.to
        }
    }

    /// Seconds from `second_of_day` (inside the band) until the band ends.
    pub(crate) fn seconds_left(&self, second_of_day: u32) -> u32 {
        match (self.to + SECONDS_PER_DAY - second_of_day) % SECONDS_PER_DAY {
            0 => SECONDS_PER_DAY,
            left => left,
        }
    }
}

/// One version of the tariff: bands that tile the local day, in effect from an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    pub id: String,
    pub effective_from: DateTime<Utc>,
    /// Sorted by `from`; together they cover each second of the day exactly once.
    bands: Vec<Band>,
}

impl Tariff {
    /// A tariff version whose bands must tile the 24 hours of the local day.
    pub fn new(
        id: impl Into<String>,
        effective_from: DateTime<Utc>,
        bands: Vec<Band>,
    ) -> Result<Tariff, ScheduleError> {
        let mut tariff = Tariff { id: id.into(), effective_from, bands };
        validate_bands(&mut tariff)?;
        Ok(tariff)
    }

    pub fn bands(&self) -> &[Band] {
        &self.bands
    }

    /// The band that holds a local time of day, given in seconds after midnight.
    pub fn band_at(&self, second_of_day: u32) -> &Band {
        self.bands.iter().find(|band| band.contains(second_of_day)).expect("validated bands cover the whole day")
    }
}

/// Every tariff version, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffSchedule {
    versions: Vec<Tariff>,
}

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid tariff schedule: {0}")]
pub struct ScheduleError(String);

impl TariffSchedule {
    /// The schedule that ships with the code.
    pub fn default_schedule() -> TariffSchedule {
        TariffSchedule::from_toml(DEFAULT_SCHEDULE).expect("the shipped tariffs.toml is valid")
    }

    /// Reads and validates a schedule written as `tariffs.toml` is.
    pub fn from_toml(text: &str) -> Result<TariffSchedule, ScheduleError> {
        let file: ScheduleFile = toml::from_str(text).map_err(|e| ScheduleError(e.message().to_owned()))?;
        TariffSchedule::new(file.tariff.into_iter().map(TariffVersionFile::into_tariff).collect::<Result<_, _>>()?)
    }

    /// Validates versions: unique ids and start instants, bands that tile the day.
    pub fn new(mut versions: Vec<Tariff>) -> Result<TariffSchedule, ScheduleError> {
        if versions.is_empty() {
            return Err(ScheduleError("it has no tariff version".into()));
        }
        versions.sort_by_key(|v| v.effective_from);
        for pair in versions.windows(2) {
            if pair[0].effective_from == pair[1].effective_from {
                return Err(ScheduleError(format!(
                    "versions {:?} and {:?} take effect at the same instant",
                    pair[0].id, pair[1].id
                )));
            }
        }
        let mut ids: Vec<&str> = versions.iter().map(|v| v.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(ScheduleError(format!("the version id {:?} is used twice", pair[0])));
        }
        Ok(TariffSchedule { versions })
    }

    pub fn versions(&self) -> &[Tariff] {
        &self.versions
    }

    /// The version that prices a call starting at `instant`: the latest in effect
    /// then, or the earliest when the call predates them all.
    pub fn in_effect_at(&self, instant: DateTime<Utc>) -> &Tariff {
        let later = self.versions.partition_point(|v| v.effective_from <= instant);
        &self.versions[later.saturating_sub(1)]
    }
}

fn validate_bands(tariff: &mut Tariff) -> Result<(), ScheduleError> {
    let refuse = |problem: String| Err(ScheduleError(format!("version {:?}: {problem}", tariff.id)));
    let bands = &mut tariff.bands;
    if tariff.id.trim().is_empty() {
        return Err(ScheduleError("a version has an empty id".into()));
    }
    if bands.is_empty() {
        return refuse("it has no bands".into());
    }
    for band in bands.iter() {
        if band.name.trim().is_empty() {
            return refuse("a band has an empty name".into());
        }
        if band.standing_charge.0 < 0 || band.per_minute.0 < 0 {
            return refuse(format!("band {:?} has a negative charge", band.name));
        }
        if bands.iter().filter(|other| other.name == band.name).count() > 1 {
            return refuse(format!("the band name {:?} is used twice", band.name));
        }
    }
    bands.sort_by_key(|band| band.from);
    if let [band] = bands.as_slice() {
        if band.from != band.to {
            return refuse(format!(
                "its only band, {:?}, must cover the whole day (from = to), not {} to {}",
                band.name,
                clock(band.from),
                clock(band.to)
            ));
        }
        return Ok(());
    }
    for (i, band) in bands.iter().enumerate() {
        let next = &bands[(i + 1) % bands.len()];
        if band.from == band.to {
            return refuse(format!("band {:?} is empty or covers the whole day, beside other bands", band.name));
        }
        if band.to != next.from {
            let what = if ahead(band.from, band.to) < ahead(band.from, next.from) { "a gap" } else { "an overlap" };
            return refuse(format!(
                "{what}: band {:?} ends at {} but the next band, {:?}, starts at {}; bands must tile the 24 hours",
                band.name,
                clock(band.to),
                next.name,
                clock(next.from)
            ));
        }
    }
    Ok(())
}

/// Seconds from `from` forward to `to` around the clock.
fn ahead(from: u32, to: u32) -> u32 {
    (to + SECONDS_PER_DAY - from) % SECONDS_PER_DAY
}

fn clock(second_of_day: u32) -> String {
    let (h, m, s) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    if s == 0 { format!("{h:02}:{m:02}") } else { format!("{h:02}:{m:02}:{s:02}") }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    tariff: Vec<TariffVersionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TariffVersionFile {
    id: String,
    effective_from: String,
    band: Vec<BandFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandFile {
    name: String,
    from: String,
    to: String,
    standing_charge_cents: i64,
    per_minute_cents: i64,
}

impl TariffVersionFile {
    fn into_tariff(self) -> Result<Tariff, ScheduleError> {
        let effective_from = DateTime::parse_from_rfc3339(&self.effective_from)
            .map_err(|_| {
                ScheduleError(format!(
                    "version {:?}: effective_from {:?} must be RFC 3339 with an offset, e.g. 2018-01-01T00:00:00Z",
                    self.id, self.effective_from
                ))
            })?
            .to_utc();
        let bands = self
            .band
            .into_iter()
            .map(|band| {
                let time = |text: &str| {
                    parse_clock(text).ok_or_else(|| {
                        ScheduleError(format!(
                            "version {:?}, band {:?}: {text:?} is not a time of day (HH:MM or HH:MM:SS, 24:00 for midnight)",
                            self.id, band.name
                        ))
                    })
                };
                Ok(Band {
                    from: time(&band.from)?,
                    to: time(&band.to)?,
                    name: band.name,
                    standing_charge: Cents(band.standing_charge_cents),
                    per_minute: Cents(band.per_minute_cents),
                })
            })
            .collect::<Result<_, ScheduleError>>()?;
        Tariff::new(self.id, effective_from, bands)
    }
}

/// `HH:MM` or `HH:MM:SS` as seconds after midnight; `24:00` is midnight.
fn parse_clock(text: &str) -> Option<u32> {
    if text == "24:00" || text == "24:00:00" {
        return Some(0);
    }
    ["%H:%M", "%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(text, format).ok())
        .map(|time| time.num_seconds_from_midnight())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(bands: &str) -> Result<TariffSchedule, ScheduleError> {
        TariffSchedule::from_toml(&format!(
            "[[tariff]]\nid = \"t\"\neffective_from = \"2020-01-01T00:00:00Z\"\n{bands}"
        ))
    }

    fn band(name: &str, from: &str, to: &str) -> String {
        format!(
            "[[tariff.band]]\nname = \"{name}\"\nfrom = \"{from}\"\nto = \"{to}\"\nstanding_charge_cents = 36\nper_minute_cents = 9\n"
        )
    }

    #[test]
    fn the_shipped_schedule_is_the_published_one() {
        let schedule = TariffSchedule::default_schedule();
        let [tariff] = schedule.versions() else { panic!("one version") };
        let names: Vec<_> =
            tariff.bands().iter().map(|b| (&*b.name, b.from, b.to, b.standing_charge, b.per_minute)).collect();
        assert_eq!(
            names,
            [
                ("standard", 6 * 3600, 22 * 3600, Cents(36), Cents(9)),
                ("reduced", 22 * 3600, 6 * 3600, Cents(36), Cents(0))
            ]
        );
    }

    #[test]
    fn refuses_schedules_that_do_not_tile_the_day() {
        let cases = [
            (band("a", "06:00", "22:00") + &band("b", "22:30", "06:00"), "a gap: band \"a\" ends at 22:00"),
            (band("a", "06:00", "22:00") + &band("b", "21:00", "06:00"), "an overlap"),
            (band("a", "06:00", "22:00"), "must cover the whole day"),
            (band("a", "06:00", "22:00") + &band("a", "22:00", "06:00"), "used twice"),
            (band("a", "06:00", "06:00") + &band("b", "06:00", "06:00"), "empty or covers the whole day"),
            (band("a", "6am", "22:00") + &band("b", "22:00", "06:00"), "\"6am\" is not a time of day"),
            (band("a", "25:00", "22:00") + &band("b", "22:00", "25:00"), "is not a time of day"),
            (String::new(), "missing field `band`"),
            (band("a", "06:00", "22:00").replace("36", "-1") + &band("b", "22:00", "06:00"), "negative charge"),
            (band("a", "06:00", "22:00") + "colour = \"red\"\n" + &band("b", "22:00", "06:00"), "unknown field"),
        ];
        for (bands, says) in cases {
            let error = schedule(&bands).unwrap_err().to_string();
            assert!(error.contains(says), "expected {says:?} in {error:?}");
        }
    }

    #[test]
    fn accepts_wrapping_single_and_midnight_bands() {
        assert!(schedule(&band("all", "00:00", "00:00")).is_ok());
        assert!(schedule(&(band("day", "00:00", "12:00") + &band("night", "12:00", "24:00"))).is_ok());
        let three = band("a", "07:30", "18:00") + &band("b", "18:00", "23:59:30") + &band("c", "23:59:30", "07:30");
        let s = schedule(&three).unwrap();
        let tariff = &s.versions()[0];
        assert_eq!(&*tariff.band_at(0).name, "c");
        assert_eq!(&*tariff.band_at(86_399).name, "c");
        assert_eq!(&*tariff.band_at(7 * 3600 + 1800).name, "a");
        assert_eq!(&*tariff.band_at(18 * 3600).name, "b");
    }

    #[test]
    fn picks_the_version_in_effect() {
        let text = format!(
            "[[tariff]]\nid = \"old\"\neffective_from = \"2017-01-01T00:00:00Z\"\n{}[[tariff]]\nid = \"new\"\neffective_from = \"2018-01-01T00:00:00-02:00\"\n{}",
            band("all", "00:00", "00:00"),
            band("all", "00:00", "00:00")
        );
        let s = TariffSchedule::from_toml(&text).unwrap();
        let at = |t: &str| s.in_effect_at(t.parse().unwrap()).id.clone();
        assert_eq!(at("2016-06-01T00:00:00Z"), "old"); // before every version: the earliest
        assert_eq!(at("2017-12-31T23:59:59Z"), "old");
        assert_eq!(at("2018-01-01T01:59:59Z"), "old");
        assert_eq!(at("2018-01-01T02:00:00Z"), "new"); // effective_from is inclusive
        let twice = text.replace("\"new\"", "\"old\"");
        assert!(TariffSchedule::from_toml(&twice).unwrap_err().to_string().contains("used twice"));
    }
}
