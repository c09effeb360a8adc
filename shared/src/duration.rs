//! Call durations in the `{h}h{m}m{s}s` form of SPEC §6.

use std::fmt;

use serde::Serialize;

/// Whole seconds a call lasted. `Display` gives `24h13m43s`; hours are unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CallDuration(pub u64);

impl CallDuration {
    pub fn seconds(self) -> u64 {
        self.0
    }

    /// Hours (unbounded), minutes and seconds.
    pub fn hms(self) -> (u64, u64, u64) {
        (self.0 / 3600, self.0 % 3600 / 60, self.0 % 60)
    }
}

impl fmt::Display for CallDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = self.hms();
        write!(f, "{h}h{m}m{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_hours_minutes_seconds() {
        let cases = [
            (0, "0h0m0s"),
            (59, "0h0m59s"),
            (180, "0h3m0s"),
            (463, "0h7m43s"),
            (3600, "1h0m0s"),
            (87_223, "24h13m43s"),
            (31 * 86_400 + 1, "744h0m1s"),
        ];
        for (seconds, shown) in cases {
            assert_eq!(CallDuration(seconds).to_string(), shown);
        }
    }
}
