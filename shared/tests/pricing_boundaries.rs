//! Pricing at the edges (SPEC §5), each expected price worked out by hand.
//! Default tariff: standard 06:00-22:00 R$ 0,36 + R$ 0,09/min; reduced 22:00-06:00
//! R$ 0,36 + R$ 0,00/min.

use callbill::{Period, TariffSchedule, price_call};
use chrono::{DateTime, Utc};
use chrono_tz::America::Sao_Paulo;
use chrono_tz::Tz;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

struct Case {
    start: &'static str,
    end: &'static str,
    cents: i64,
    /// (band, seconds) of each segment, in order.
    segments: &'static [(&'static str, u64)],
    why: &'static str,
}

fn check(zone: Tz, cases: &[Case]) {
    let tariffs = TariffSchedule::default_schedule();
    for case in cases {
        let (start, end) = (at(case.start), at(case.end));
        let price = price_call(start, end, tariffs.in_effect_at(start), zone);
        let segments: Vec<(&str, u64)> = price.segments.iter().map(|s| (s.band, s.seconds)).collect();
        assert_eq!(price.total.0, case.cents, "{} -> {} in {zone}: {}", case.start, case.end, case.why);
        assert_eq!(segments, case.segments, "{} -> {} in {zone}: {}", case.start, case.end, case.why);
    }
}

#[test]
fn band_boundaries_at_six_and_twenty_two() {
    check(
        Tz::UTC,
        &[
            Case {
                start: "2017-12-12T06:00:00Z",
                end: "2017-12-12T06:01:00Z",
                cents: 45,
                segments: &[("standard", 60)],
                why: "06:00:00 is standard: 36 + 1 min x 9",
            },
            Case {
                start: "2017-12-12T05:59:00Z",
                end: "2017-12-12T06:00:00Z",
                cents: 36,
                segments: &[("reduced", 60)],
                why: "ends exactly at 06:00: all reduced, 36 + 0",
            },
            Case {
                start: "2017-12-12T05:59:00Z",
                end: "2017-12-12T06:01:00Z",
                cents: 45,
                segments: &[("reduced", 60), ("standard", 60)],
                why: "reduced standing 36 + 1 standard min 9",
            },
            Case {
                start: "2017-12-12T05:59:30Z",
                end: "2017-12-12T06:00:30Z",
                cents: 36,
                segments: &[("reduced", 30), ("standard", 30)],
                why: "a whole minute long, but no segment holds a whole minute: each floors to 0",
            },
            Case {
                start: "2017-12-12T22:00:00Z",
                end: "2017-12-12T22:05:00Z",
                cents: 36,
                segments: &[("reduced", 300)],
                why: "22:00:00 is already reduced",
            },
            Case {
                start: "2017-12-12T21:59:00Z",
                end: "2017-12-12T22:00:00Z",
                cents: 45,
                segments: &[("standard", 60)],
                why: "the last standard minute: 36 + 9",
            },
            Case {
                start: "2017-12-12T21:55:00Z",
                end: "2017-12-12T22:00:00Z",
                cents: 81,
                segments: &[("standard", 300)],
                why: "36 + 5 x 9",
            },
            Case {
                start: "2017-12-12T21:59:59Z",
                end: "2017-12-12T22:00:01Z",
                cents: 36,
                segments: &[("standard", 1), ("reduced", 1)],
                why: "one second each side: nothing per minute",
            },
        ],
    );
}

#[test]
fn whole_minutes_only() {
    check(
        Tz::UTC,
        &[
            Case {
                start: "2017-12-12T10:00:00Z",
                end: "2017-12-12T10:00:59Z",
                cents: 36,
                segments: &[("standard", 59)],
                why: "59 s is no completed minute",
            },
            Case {
                start: "2017-12-12T10:00:00Z",
                end: "2017-12-12T10:01:00Z",
                cents: 45,
                segments: &[("standard", 60)],
                why: "60 s is one minute",
            },
            Case {
                start: "2017-12-12T10:00:00Z",
                end: "2017-12-12T10:01:01Z",
                cents: 45,
                segments: &[("standard", 61)],
                why: "61 s is still one minute",
            },
            Case {
                start: "2017-12-12T10:00:00Z",
                end: "2017-12-12T10:01:59Z",
                cents: 45,
                segments: &[("standard", 119)],
                why: "119 s is one minute",
            },
            Case {
                start: "2017-12-12T10:00:00Z",
                end: "2017-12-12T10:02:00Z",
                cents: 54,
                segments: &[("standard", 120)],
                why: "120 s is two minutes",
            },
            Case {
                start: "2017-12-12T10:00:00.900Z",
                end: "2017-12-12T10:01:00.100Z",
                cents: 45,
                segments: &[("standard", 60)],
                why: "fractions are truncated: 10:00:00 to 10:01:00",
            },
        ],
    );
}

#[test]
fn zero_length_calls_pay_the_standing_charge() {
    check(
        Tz::UTC,
        &[
            Case {
                start: "2017-12-12T10:00:00Z",
                end: "2017-12-12T10:00:00Z",
                cents: 36,
                segments: &[],
                why: "no time, standard standing charge",
            },
            Case {
                start: "2017-12-12T22:00:00Z",
                end: "2017-12-12T22:00:00Z",
                cents: 36,
                segments: &[],
                why: "no time, reduced standing charge",
            },
            Case {
                start: "2017-12-12T10:00:00.200Z",
                end: "2017-12-12T10:00:00.700Z",
                cents: 36,
                segments: &[],
                why: "half a second truncates to nothing",
            },
        ],
    );
}

#[test]
fn calls_over_midnight_days_month_ends_and_leap_days() {
    check(
        Tz::UTC,
        &[
            Case {
                start: "2017-12-12T23:50:00Z",
                end: "2017-12-13T00:10:00Z",
                cents: 36,
                segments: &[("reduced", 1200)],
                why: "the reduced band wraps midnight: one segment",
            },
            Case {
                start: "2017-12-12T21:00:00Z",
                end: "2017-12-13T07:00:00Z",
                cents: 1116,
                segments: &[("standard", 3600), ("reduced", 28_800), ("standard", 3600)],
                why: "36 + 60 min x 9 before 22:00 + 60 min x 9 after 06:00",
            },
            Case {
                start: "2017-12-12T10:00:00Z",
                end: "2017-12-15T10:00:00Z",
                cents: 25_956,
                segments: &[
                    ("standard", 43_200),
                    ("reduced", 28_800),
                    ("standard", 57_600),
                    ("reduced", 28_800),
                    ("standard", 57_600),
                    ("reduced", 28_800),
                    ("standard", 14_400),
                ],
                why: "three days hold 3 x 16 h = 2880 standard minutes: 36 + 2880 x 9",
            },
            Case {
                start: "2017-12-31T21:00:00Z",
                end: "2018-01-01T07:00:00Z",
                cents: 1116,
                segments: &[("standard", 3600), ("reduced", 28_800), ("standard", 3600)],
                why: "a month and year end change nothing in the price",
            },
            Case {
                start: "2016-02-28T21:00:00Z",
                end: "2016-03-01T07:00:00Z",
                cents: 9756,
                segments: &[
                    ("standard", 3600),
                    ("reduced", 28_800),
                    ("standard", 57_600),
                    ("reduced", 28_800),
                    ("standard", 3600),
                ],
                why: "29 February counts: 60 + 960 + 60 = 1080 standard minutes, 36 + 1080 x 9",
            },
            Case {
                start: "2017-12-12T21:59:30Z",
                end: "2017-12-13T06:00:30Z",
                cents: 36,
                segments: &[("standard", 30), ("reduced", 28_800), ("standard", 30)],
                why: "each end segment floors on its own: 30 s + 30 s is not a minute",
            },
        ],
    );
}

#[test]
fn calls_over_a_month_end_belong_to_the_month_they_end_in() {
    assert_eq!(Period::containing(at("2018-01-01T07:00:00Z"), Tz::UTC).to_string(), "2018-01");
    assert_eq!(Period::containing(at("2016-03-01T07:00:00Z"), Tz::UTC).to_string(), "2016-03");
}

/// São Paulo used summer time (UTC-2) from 2017-10-15 00:00, when clocks went
/// forward to 01:00, to 2018-02-18 00:00, when they went back to 23:00 of the 17th
/// (UTC-3 again). Bands follow the wall clock; durations are real elapsed time.
#[test]
fn sao_paulo_across_daylight_saving_changes() {
    check(
        Sao_Paulo,
        &[
            Case {
                start: "2017-10-15T00:00:00Z",
                end: "2017-10-15T09:00:00Z",
                cents: 1116,
                segments: &[("standard", 3600), ("reduced", 25_200), ("standard", 3600)],
                why: "21:00-03 to 07:00-02: 9 h elapsed (10 on the wall); 22:00-03 is 01:00Z and 06:00-02 is \
                  08:00Z, so reduced lasts 7 h; 60 + 60 standard minutes: 36 + 1080",
            },
            Case {
                start: "2018-02-17T23:30:00Z",
                end: "2018-02-18T09:30:00Z",
                cents: 576,
                segments: &[("standard", 1800), ("reduced", 32_400), ("standard", 1800)],
                why: "21:30-02 to 06:30-03: 10 h elapsed (9 on the wall); 22:00-02 is 00:00Z and 06:00-03 is \
                  09:00Z, so reduced lasts 9 h; 30 + 30 standard minutes: 36 + 540",
            },
            Case {
                start: "2017-10-15T07:30:00Z",
                end: "2017-10-15T08:30:00Z",
                cents: 306,
                segments: &[("reduced", 1800), ("standard", 1800)],
                why: "05:30-02 to 06:30-02: standard starts at 06:00 wall time (08:00Z), not 09:00Z as at -03: \
                  36 + 30 x 9",
            },
            Case {
                start: "2017-10-15T02:30:00Z",
                end: "2017-10-15T04:30:00Z",
                cents: 36,
                segments: &[("reduced", 7200)],
                why: "23:30-03 to 02:30-02 across the skipped hour: 2 h elapsed, all reduced",
            },
            Case {
                start: "2017-12-12T23:55:00Z",
                end: "2017-12-13T00:05:00Z",
                cents: 81,
                segments: &[("standard", 300), ("reduced", 300)],
                why: "21:55-02 to 22:05-02: 5 standard minutes, 36 + 45 (in UTC it would be all reduced)",
            },
        ],
    );
}

#[test]
fn the_sample_worked_examples_hold_in_utc() {
    // SPEC §5's table; the sample data set drives the full check in sample_data.rs.
    check(
        Tz::UTC,
        &[Case {
            start: "2017-12-12T21:57:13Z",
            end: "2017-12-13T22:10:56Z",
            cents: 8694,
            segments: &[("standard", 167), ("reduced", 28_800), ("standard", 57_600), ("reduced", 656)],
            why: "2 min x 9 + 960 min x 9 + 36",
        }],
    );
}
