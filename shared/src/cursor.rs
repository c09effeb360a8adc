//! Bill page cursors: opaque to clients, bound to one subscriber and period.
//!
//! A cursor holds a position, not totals: the place of the last line returned, how
//! many lines came before the next page, and the bill's call count when the
//! listing began, which tells whether the bill changed since (SPEC §4). Every page
//! reads the totals afresh, so an altered cursor can at most move where a listing
//! resumes; the CRC-32 only turns a damaged one into a clean `invalid_cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::bill::BillKey;
use crate::digits::parse_digits;
use crate::error::{ApiError, ErrorCode};
use crate::period::Period;
use crate::phone::PhoneNumber;

const VERSION: &str = "v2";

/// A cursor's text: its `|`-separated body with a CRC-32, base64url. The checksum
/// turns a damaged cursor into a clean `invalid_cursor`; it is no signature.
pub fn seal(body: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{body}|{:08x}", crc32fast::hash(body.as_bytes())))
}

/// The body of a text [`seal`] made, if it is undamaged.
pub fn unseal(text: &str) -> Option<String> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
    let (body, checksum) = decoded.rsplit_once('|')?;
    (format!("{:08x}", crc32fast::hash(body.as_bytes())) == checksum).then(|| body.to_owned())
}

/// Where a bill's next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The place of the last line already returned.
    pub after: BillKey,
    /// Lines on the pages before the next one.
    pub lines_before: u64,
    /// The bill's call count when the listing's first page was read.
    pub call_count: u64,
}

impl Cursor {
    pub fn encode(&self, subscriber: &PhoneNumber) -> String {
        seal(&format!("{VERSION}|{subscriber}|{}|{}|{}", self.after, self.lines_before, self.call_count))
    }

    /// The cursor, if this bill (subscriber and period) issued it and it is undamaged.
    pub fn decode(text: &str, subscriber: &PhoneNumber, period: Period) -> Result<Cursor, ApiError> {
        let invalid = || {
            ApiError::new(
                ErrorCode::InvalidCursor,
                format!(
                    "the cursor is not one this bill ({subscriber}, {period}) issued: pass next_cursor back \
                     unchanged, with the same subscriber and period"
                ),
            )
        };
        let body = unseal(text).ok_or_else(invalid)?;
        let fields: Vec<&str> = body.split('|').collect();
        let [VERSION, owner, after, lines_before, call_count] = fields.as_slice() else {
            return Err(invalid());
        };
        let after: BillKey = after.parse().map_err(|_| invalid())?;
        if *owner != subscriber.as_str() || after.period != period {
            return Err(invalid());
        }
        let (Some(lines_before), Some(call_count)) = (parse_digits(lines_before), parse_digits(call_count)) else {
            return Err(invalid());
        };
        Ok(Cursor { after, lines_before, call_count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_works_only_for_its_own_bill_and_undamaged() {
        let subscriber: PhoneNumber = "99988526423".parse().unwrap();
        let other: PhoneNumber = "9993468278".parse().unwrap();
        let december: Period = "2017-12".parse().unwrap();
        let place = |text: &str| text.parse::<BillKey>().unwrap();
        let cursor = Cursor {
            after: place("2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074"),
            lines_before: 2,
            call_count: 6,
        };
        let text = cursor.encode(&subscriber);
        assert_eq!(Cursor::decode(&text, &subscriber, december).unwrap(), cursor);

        let other_period = Cursor { after: place("2017-11#2017-11-12T04:57:13.000000000Z#0000000000000074"), ..cursor };
        let signed = |body: &str| URL_SAFE_NO_PAD.encode(format!("{body}|{:08x}", crc32fast::hash(body.as_bytes())));
        let mut flipped = text.clone().into_bytes();
        flipped[7] ^= 1;
        let cases = [
            (text.clone(), &other, december),
            (text.clone(), &subscriber, "2017-11".parse().unwrap()),
            (other_period.encode(&subscriber), &subscriber, december),
            (signed("v2|99988526423|2017-12#2017-12-12T04:57:13.000000000Z#74|2|6"), &subscriber, december),
            (
                signed("v2|99988526423|2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074|+2|6"),
                &subscriber,
                december,
            ),
            // Last turn's cursors carried totals: they are no cursors now.
            (
                signed("v1|99988526423|2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074|6|9081"),
                &subscriber,
                december,
            ),
            (String::from_utf8(flipped).unwrap(), &subscriber, december),
            (String::new(), &subscriber, december),
            ("not base64!".into(), &subscriber, december),
        ];
        for (text, subscriber, period) in cases {
            assert_eq!(Cursor::decode(&text, subscriber, period).unwrap_err().code, ErrorCode::InvalidCursor, "{text}");
        }
    }
}
