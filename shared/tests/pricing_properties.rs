//! Properties of pricing over random calls, zones and tariffs (SPEC §5).

use callbill::{Band, Cents, Tariff, TariffSchedule, price_call};
use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

const DAY: i64 = 86_400;

/// Zones with and without daylight saving, including a 30-minute change.
const ZONES: [Tz; 5] = [
    Tz::UTC,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::America::New_York,
    chrono_tz::Europe::London,
    chrono_tz::Australia::Lord_Howe,
];

/// Instants next to clock changes, where pricing is easiest to get wrong.
const CLOCK_CHANGES: [i64; 5] = [
    1_508_036_400, // 2017-10-15T03:00Z, São Paulo forward
    1_518_919_200, // 2018-02-18T02:00Z, São Paulo back
    1_489_302_000, // 2017-03-12T07:00Z, New York forward
    1_509_861_600, // 2017-11-05T06:00Z, New York back
    1_506_785_400, // 2017-09-30T15:30Z, Lord Howe forward by 30 minutes
];

fn instant(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

/// A tariff of 1 to 5 bands cut at random seconds of the day, with random charges.
fn tariff() -> impl Strategy<Value = Tariff> {
    (prop::collection::btree_set(0u32..86_400, 1..=5), prop::collection::vec((0i64..100, 0i64..50), 5)).prop_map(
        |(cuts, charges)| {
            let cuts: Vec<u32> = cuts.into_iter().collect();
            let bands = (0..cuts.len())
                .map(|i| Band {
                    name: format!("band{i}"),
                    from: cuts[i],
                    to: cuts[(i + 1) % cuts.len()],
                    standing_charge: Cents(charges[i].0),
                    per_minute: Cents(charges[i].1),
                })
                .collect();
            Tariff::new("random", instant(0), bands).unwrap()
        },
    )
}

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES.to_vec())
}

/// A start between 2000 and 2030, or within half a day of a clock change.
fn start() -> impl Strategy<Value = i64> {
    prop_oneof![
        946_684_800i64..1_893_456_000,
        (prop::sample::select(CLOCK_CHANGES.to_vec()), -DAY / 2..DAY / 2).prop_map(|(t, d)| t + d),
    ]
}

/// Prices second by second: the definition, slowly.
fn price_by_the_second(start: i64, end: i64, tariff: &Tariff, zone: Tz) -> i64 {
    let band_at = |t: i64| {
        let offset = zone.offset_from_utc_datetime(&instant(t).naive_utc()).fix().local_minus_utc();
        tariff.band_at((t + i64::from(offset)).rem_euclid(DAY) as u32)
    };
    let mut total = band_at(start).standing_charge.0;
    let mut t = start;
    while t < end {
        let band = band_at(t);
        let run_start = t;
        while t < end && std::ptr::eq(band_at(t), band) {
            t += 1;
        }
        total += (t - run_start) / 60 * band.per_minute.0;
    }
    total
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_pricing_second_by_second(
        start in start(), length in 0i64..14 * 3600, tariff in tariff(), zone in zone(),
    ) {
        let price = price_call(instant(start), instant(start + length), &tariff, zone);
        prop_assert_eq!(price.total.0, price_by_the_second(start, start + length, &tariff, zone));
    }

    #[test]
    fn the_breakdown_adds_up_and_covers_every_second_once(
        start in start(), length in 0i64..40 * DAY, tariff in tariff(), zone in zone(),
    ) {
        let price = price_call(instant(start), instant(start + length), &tariff, zone);
        prop_assert!(price.total >= price.standing_charge);
        prop_assert_eq!(price.total, price.standing_charge + price.segments.iter().map(|s| s.cents).sum());
        prop_assert_eq!(price.duration().seconds(), length as u64);
        let mut at = instant(start);
        for (i, segment) in price.segments.iter().enumerate() {
            prop_assert_eq!(segment.start, at, "segment {} starts where the last ended", i);
            prop_assert!(segment.end > segment.start);
            prop_assert_eq!(segment.seconds as i64, (segment.end - segment.start).num_seconds());
            prop_assert_eq!(segment.charged_minutes, segment.seconds / 60);
            prop_assert_eq!(segment.cents, segment.per_minute * segment.charged_minutes as i64);
            at = segment.end;
        }
        prop_assert_eq!(at, instant(start + length));
        for pair in price.segments.windows(2) {
            prop_assert!(pair[0].band != pair[1].band, "segments are maximal: neighbours differ in band");
        }
    }

    #[test]
    fn a_later_end_never_costs_less(
        start in start(), length in 0i64..10 * DAY, more in 0i64..2 * DAY, tariff in tariff(), zone in zone(),
    ) {
        let shorter = price_call(instant(start), instant(start + length), &tariff, zone);
        let longer = price_call(instant(start), instant(start + length + more), &tariff, zone);
        prop_assert!(longer.total >= shorter.total);
    }

    #[test]
    fn a_version_published_after_the_start_changes_nothing(
        start in start(), length in 0i64..3 * DAY, after in 1i64..30 * DAY, old in tariff(), new in tariff(),
        zone in zone(),
    ) {
        let before = TariffSchedule::new(vec![old.clone()]).unwrap();
        let newer = Tariff::new("newer", instant(start + after), new.bands().to_vec()).unwrap();
        let both = TariffSchedule::new(vec![old, newer]).unwrap();
        let (s, e) = (instant(start), instant(start + length));
        prop_assert_eq!(
            price_call(s, e, before.in_effect_at(s), zone),
            price_call(s, e, both.in_effect_at(s), zone)
        );
    }
}
