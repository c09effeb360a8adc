//! Bill page cursors: opaque to clients, bound to one subscriber and period.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ApiError, ErrorCode};
use crate::period::Period;
use crate::phone::PhoneNumber;

const VERSION: &str = "v1";

/// The cursor that continues a bill after the line with index key `bill_key`.
pub fn encode_cursor(subscriber: &PhoneNumber, bill_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}|{subscriber}|{bill_key}"))
}

/// The index key a cursor continues from, if it was issued for this subscriber and
/// period and is unaltered.
pub fn decode_cursor(cursor: &str, subscriber: &PhoneNumber, period: Period) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidCursor,
            format!(
                "the cursor is not one this bill ({subscriber}, {period}) issued: pass next_cursor back \
                 unchanged, with the same subscriber and period"
            ),
        )
    };
    let text =
        URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(invalid)?;
    let mut parts = text.splitn(3, '|');
    let (Some(VERSION), Some(owner), Some(bill_key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let mut key = bill_key.split('#');
    let well_formed = owner == subscriber.as_str()
        && key.next() == Some(&period.to_string())
        && key.next().is_some_and(|start| start.parse::<chrono::DateTime<chrono::Utc>>().is_ok())
        && key.next().is_some_and(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_digit()))
        && key.next().is_none();
    if well_formed { Ok(bill_key.to_owned()) } else { Err(invalid()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_works_only_for_its_own_bill() {
        let subscriber: PhoneNumber = "99988526423".parse().unwrap();
        let other: PhoneNumber = "9993468278".parse().unwrap();
        let december: Period = "2017-12".parse().unwrap();
        let key = "2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074";
        let cursor = encode_cursor(&subscriber, key);
        assert_eq!(decode_cursor(&cursor, &subscriber, december).unwrap(), key);

        let tampered = encode_cursor(&subscriber, "2017-12#2017-12-12T04:57:13.000000000Z#74");
        let forged_period = encode_cursor(&subscriber, "2017-11#2017-11-12T04:57:13.000000000Z#0000000000000074");
        let mut flipped = cursor.clone().into_bytes();
        flipped[5] ^= 1;
        let cases = [
            (cursor.as_str(), &other, december),
            (cursor.as_str(), &subscriber, "2017-11".parse().unwrap()),
            (tampered.as_str(), &subscriber, december),
            (forged_period.as_str(), &subscriber, december),
            ("", &subscriber, december),
            ("not base64!", &subscriber, december),
            (std::str::from_utf8(&flipped).unwrap(), &subscriber, december),
        ];
        for (cursor, subscriber, period) in cases {
            assert_eq!(
                decode_cursor(cursor, subscriber, period).unwrap_err().code,
                ErrorCode::InvalidCursor,
                "{cursor}"
            );
        }
    }
}
