//! The price of a call (SPEC §5): the standing charge of the band the call starts
//! in, plus, for each maximal stretch of the call inside one band, its whole
//! minutes at that band's rate.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::duration::CallDuration;
use crate::money::Cents;
use crate::tariff::{Band, Tariff};

/// A price with the breakdown that explains it; names are borrowed from the tariff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Price<'t> {
    pub tariff_id: &'t str,
    /// The band the call started in, whose standing charge applies.
    pub standing_band: &'t str,
    pub standing_charge: Cents,
    /// Consecutive, in time order; together they cover the whole call.
    pub segments: Vec<Segment<'t>>,
    pub total: Cents,
}

impl Price<'_> {
    /// Whole seconds the call lasted: the sum of its segments.
    pub fn duration(&self) -> CallDuration {
        CallDuration(self.segments.iter().map(|s| s.seconds).sum())
    }
}

/// A maximal stretch of a call inside one band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment<'t> {
    pub band: &'t str,
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
pub fn price_call(start: DateTime<Utc>, end: DateTime<Utc>, tariff: &Tariff, zone: Tz) -> Price<'_> {
    let clock = Clock { zone };
    let start = Instant::truncate(start);
    let end = Instant::truncate(end.max(start.at));
    let mut offset = clock.offset_at(start.at);
    let first_band = tariff.band_at(second_of_day(start.seconds, offset));

    // About one segment per band per day: reserve them up front.
    let days = usize::try_from((end.seconds - start.seconds) / 86_400 + 1).unwrap_or(usize::MAX);
    let mut segments = Vec::with_capacity(days.saturating_mul(tariff.bands().len()).min(1024));
    let mut segment_start = start;
    let mut band = first_band;
    let mut now = start;
    while now.seconds < end.seconds {
        // The band ends at a wall-clock time; the offset may change before then.
        let band_end = now.seconds + i64::from(band.seconds_left(second_of_day(now.seconds, offset)));
        let until = if band_end < end.seconds { Instant::from_seconds(band_end) } else { end };
        now = match clock.next_offset_change(now.seconds, until, offset) {
            Some(change) => {
                offset = clock.offset_at(change.at);
                change
            }
            None => until,
        };
        if now.seconds == end.seconds {
            break;
        }
        let next_band = tariff.band_at(second_of_day(now.seconds, offset));
        if !std::ptr::eq(next_band, band) {
            segments.push(segment(band, segment_start, now));
            segment_start = now;
            band = next_band;
        }
    }
    if end.seconds > start.seconds {
        segments.push(segment(band, segment_start, end));
    }

    let total = first_band.standing_charge + segments.iter().map(|s| s.cents).sum();
    Price {
        tariff_id: &tariff.id,
        standing_band: &first_band.name,
        standing_charge: first_band.standing_charge,
        segments,
        total,
    }
}

fn segment(band: &Band, start: Instant, end: Instant) -> Segment<'_> {
    let seconds = (end.seconds - start.seconds) as u64;
    let charged_minutes = seconds / 60;
    Segment {
        band: &band.name,
        start: start.at,
        end: end.at,
        seconds,
        charged_minutes,
        per_minute: band.per_minute,
        cents: band.per_minute * charged_minutes as i64,
    }
}

/// A whole-second instant kept both ways: seconds for arithmetic, `DateTime` for
/// the zone and the breakdown, so that each is computed once.
#[derive(Clone, Copy)]
struct Instant {
    seconds: i64,
    at: DateTime<Utc>,
}

impl Instant {
    fn truncate(at: DateTime<Utc>) -> Instant {
        Instant::from_seconds(at.timestamp())
    }

    fn from_seconds(seconds: i64) -> Instant {
        let at = DateTime::from_timestamp(seconds, 0).expect("within the range of the call's own instants");
        Instant { seconds, at }
    }
}

fn second_of_day(unix_seconds: i64, offset: i64) -> u32 {
    (unix_seconds + offset).rem_euclid(86_400) as u32
}

/// UTC offsets of the billing zone, in seconds.
struct Clock {
    zone: Tz,
}

impl Clock {
    fn offset_at(&self, at: DateTime<Utc>) -> i64 {
        i64::from(self.zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc())
    }

    /// The first instant in `(after, until]` whose offset is not `offset`, if any.
    /// Zones change offset at most a few times a year, so between two band
    /// boundaries there is at most one change: a binary search finds it.
    fn next_offset_change(&self, after: i64, until: Instant, offset: i64) -> Option<Instant> {
        if self.offset_at(until.at) == offset {
            return None;
        }
        let (mut same, mut changed) = (after, until);
        while changed.seconds - same > 1 {
            let mid = Instant::from_seconds(same + (changed.seconds - same) / 2);
            if self.offset_at(mid.at) == offset {
                same = mid.seconds;
            } else {
                changed = mid;
            }
        }
        Some(changed)
    }
}
