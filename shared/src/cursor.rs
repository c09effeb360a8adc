//! Bill page cursors: opaque to clients, bound to one subscriber and period.
//!
//! A cursor carries where the next page starts and the period's totals as the first
//! page read them, so that every page of one listing shows the same totals and only
//! the first reads them. A CRC-32 over the contents turns an altered cursor into a
//! clean `invalid_cursor`; cursors hold nothing secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::bill::BillKey;
use crate::error::{ApiError, ErrorCode};
use crate::money::Cents;
use crate::period::Period;
use crate::phone::PhoneNumber;

const VERSION: &str = "v1";

/// Where a bill's next page starts, and the totals of the whole period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The place of the last line already returned.
    pub after: BillKey,
    pub call_count: u64,
    pub total: Cents,
}

impl Cursor {
    pub fn encode(&self, subscriber: &PhoneNumber) -> String {
        let body = format!("{VERSION}|{subscriber}|{}|{}|{}", self.after, self.call_count, self.total.0);
        let checksum = crc32fast::hash(body.as_bytes());
        URL_SAFE_NO_PAD.encode(format!("{body}|{checksum:08x}"))
    }

    /// The cursor, if this bill (subscriber and period) issued it and it is unaltered.
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
        let decoded = URL_SAFE_NO_PAD.decode(text).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(invalid)?;
        let (body, checksum) = decoded.rsplit_once('|').ok_or_else(invalid)?;
        if format!("{:08x}", crc32fast::hash(body.as_bytes())) != checksum {
            return Err(invalid());
        }
        let fields: Vec<&str> = body.split('|').collect();
        let [VERSION, owner, after, call_count, total] = fields.as_slice() else {
            return Err(invalid());
        };
        let (Ok(call_count), Ok(total)) = (call_count.parse(), total.parse()) else {
            return Err(invalid());
        };
        let after: BillKey = after.parse().map_err(|_| invalid())?;
        if *owner != subscriber.as_str() || after.period != period {
            return Err(invalid());
        }
        Ok(Cursor { after, call_count, total: Cents(total) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_works_only_for_its_own_bill_and_unaltered() {
        let subscriber: PhoneNumber = "99988526423".parse().unwrap();
        let other: PhoneNumber = "9993468278".parse().unwrap();
        let december: Period = "2017-12".parse().unwrap();
        let place = |text: &str| text.parse::<BillKey>().unwrap();
        let cursor = Cursor {
            after: place("2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074"),
            call_count: 6,
            total: Cents(9081),
        };
        let text = cursor.encode(&subscriber);
        assert_eq!(Cursor::decode(&text, &subscriber, december).unwrap(), cursor);

        let other_period =
            Cursor { after: place("2017-11#2017-11-12T04:57:13.000000000Z#0000000000000074"), ..cursor.clone() };
        let short_id =
            URL_SAFE_NO_PAD.encode("v1|99988526423|2017-12#2017-12-12T04:57:13.000000000Z#74|6|9081|00000000");
        let plain = |body: &str| URL_SAFE_NO_PAD.encode(body);
        let mut flipped = text.clone().into_bytes();
        flipped[7] ^= 1;
        let cases = [
            (text.clone(), &other, december),
            (text.clone(), &subscriber, "2017-11".parse().unwrap()),
            (other_period.encode(&subscriber), &subscriber, december),
            (short_id, &subscriber, december),
            (String::from_utf8(flipped).unwrap(), &subscriber, december),
            (
                plain("v1|99988526423|2017-12#2017-12-12T04:57:13.000000000Z#0000000000000074|6|1|00000000"),
                &subscriber,
                december,
            ),
            (String::new(), &subscriber, december),
            ("not base64!".into(), &subscriber, december),
        ];
        for (text, subscriber, period) in cases {
            assert_eq!(Cursor::decode(&text, subscriber, period).unwrap_err().code, ErrorCode::InvalidCursor, "{text}");
        }
    }
}
