//! Whole numbers written as text: ids, periods and `limit` alike.

use std::str::FromStr;

/// The value of `s` if it is one or more ASCII digits and fits in a `T`.
///
/// `str::parse` alone would also take a leading `+`, which no number in the API
/// allows: `/v1/calls/+71` is not call 71.
pub fn parse_digits<T: FromStr>(s: &str) -> Option<T> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_digits_only() {
        let cases = [
            ("71", Some(71)),
            ("0071", Some(71)),
            ("0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("", None),
            ("+71", None),
            ("-1", None),
            (" 71", None),
            ("71 ", None),
            ("7_1", None),
            ("١٢", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_digits::<u64>(input), expected, "{input:?}");
        }
    }
}
