//! Subscriber telephone numbers: `AAXXXXXXXX[X]` (SPEC §2).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A telephone number: a two-digit area code and an 8- or 9-digit number, digits only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// What a valid number looks like, for error messages.
pub const PHONE_FORMAT: &str = "must be 10 or 11 digits (area code + 8 or 9 digits, no spaces or signs)";

impl PhoneNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PhoneNumber {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if matches!(s.len(), 10 | 11) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PhoneNumber(s.to_owned()))
        } else {
            Err(PHONE_FORMAT)
        }
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ten_or_eleven_digits_only() {
        let cases = [
            ("9993468278", true),
            ("99988526423", true),
            ("999346827", false),
            ("999885264231", false),
            ("", false),
            ("99 88526423", false),
            ("+9988526423", false),
            ("(99)88526423", false),
            ("99-8852-6423", false),
            ("999885264２3", false), // a full-width digit is not ASCII
        ];
        for (input, valid) in cases {
            assert_eq!(input.parse::<PhoneNumber>().is_ok(), valid, "{input:?}");
        }
    }
}
