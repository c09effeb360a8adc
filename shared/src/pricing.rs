//! The price of a call (SPEC §5): the standing charge of the band the call starts
//! in, plus, for each maximal stretch of the call inside one band, its whole
//! minutes at that band's rate.

use std::sync::Arc;

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::duration::CallDuration;
use crate::money::Cents;
use crate::tariff::Tariff;

/// A price with the breakdown that explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Price {
    pub tariff_id: String,
    /// The band the call started in, whose standing charge applies.
    pub standing_band: Arc<str>,
    pub standing_charge: Cents,
    /// Consecutive, in time order; together they cover the whole call.
    pub segments: Vec<Segment>,
    pub total: Cents,
}

impl Price {
    /// Whole seconds the call lasted: the sum of its segments.
    pub fn duration(&self) -> CallDuration {
        CallDuration(self.segments.iter().map(|s| s.seconds).sum())
    }
}

/// A maximal stretch of a call inside one band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub band: Arc<str>,
    #[serde(with = "crate::timestamp::canonical")]
    pub start: DateTime<Utc>,
    #[serde(with = "crate::timestamp::canonical")]
    pub end: DateTime<Utc>,
    pub seconds: u64,
    /// Completed minutes of this segment alone (seconds / 60, rounded down).
    pub charged_minutes: u64,
    pub per_minute: Cents,
    pub cents: Cents,
}

/// Prices a call from `start` to `end` with `tariff`, whose bands are wall-clock
/// times in `zone`. Both instants are truncated to whole seconds; an end before
/// the start counts as a call of no length.
///
/// The work is proportional to the band boundaries and clock changes the call
/// crosses, never to its length in minutes.
pub fn price_call(start: DateTime<Utc>, end: DateTime<Utc>, tariff: &Tariff, zone: Tz) -> Price {
    let (start, end) = (start.timestamp(), end.timestamp().max(start.timestamp()));
    let clock = Clock { zone };
    let mut offset = clock.offset_at(start);
    let first_band = tariff.band_at(second_of_day(start, offset));

    let mut segments = Vec::new();
    let mut segment_start = start;
    let mut band = first_band;
    let mut now = start;
    while now < end {
        // The band ends at a wall-clock time; the offset may change before then.
        let band_end = now + i64::from(band.seconds_left(second_of_day(now, offset)));
        let change = clock.next_offset_change(now, band_end, offset);
        now = change.unwrap_or(band_end).min(end);
        if now == end {
            break;
        }
        if change == Some(now) {
            offset = clock.offset_at(now);
        }
        let next_band = tariff.band_at(second_of_day(now, offset));
        if !Arc::ptr_eq(&next_band.name, &band.name) {
            segments.push(segment(band, segment_start, now));
            segment_start = now;
            band = next_band;
        }
    }
    if end > start {
        segments.push(segment(band, segment_start, end));
    }

    let total = first_band.standing_charge + segments.iter().map(|s| s.cents).sum();
    Price {
        tariff_id: tariff.id.clone(),
        standing_band: first_band.name.clone(),
        standing_charge: first_band.standing_charge,
        segments,
        total,
    }
}

fn segment(band: &crate::tariff::Band, start: i64, end: i64) -> Segment {
    let seconds = (end - start) as u64;
    let charged_minutes = seconds / 60;
    Segment {
        band: band.name.clone(),
        start: instant(start),
        end: instant(end),
        seconds,
        charged_minutes,
        per_minute: band.per_minute,
        cents: band.per_minute * charged_minutes as i64,
    }
}

fn instant(unix_seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix_seconds, 0).expect("instants come from valid DateTimes")
}

fn second_of_day(unix_seconds: i64, offset: i64) -> u32 {
    (unix_seconds + offset).rem_euclid(86_400) as u32
}

/// UTC offsets of the billing zone, in seconds.
struct Clock {
    zone: Tz,
}

impl Clock {
    fn offset_at(&self, unix_seconds: i64) -> i64 {
        let utc = instant(unix_seconds).naive_utc();
        i64::from(
            self.zone
                .offset_from_utc_datetime(&utc)
                .fix()
                .local_minus_utc(),
        )
    }

    /// The first instant in `(after, until]` whose offset is not `offset`, if any.
    /// Zones change offset at most a few times a year, so between two band
    /// boundaries there is at most one change: a binary search finds it.
    fn next_offset_change(&self, after: i64, until: i64, offset: i64) -> Option<i64> {
        if self.offset_at(until) == offset {
            return None;
        }
        let (mut same, mut changed) = (after, until);
        while changed - same > 1 {
            let mid = same + (changed - same) / 2;
            if self.offset_at(mid) == offset {
                same = mid;
            } else {
                changed = mid;
            }
        }
        Some(changed)
    }
}
