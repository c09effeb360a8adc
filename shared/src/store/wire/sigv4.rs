//! AWS Signature Version 4 for the wire's requests, which all have one shape: a
//! POST of a JSON body to the endpoint's path, with no query. For that shape the
//! signature is a few hashes; the signing key is derived once a day and kept.
//! The tests check every signature against the SDK's signer (`aws-sigv4`).

use chrono::{DateTime, Datelike, Timelike, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "dynamodb";

/// The key that signs a day's requests in one region with one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SigningKey {
    /// `YYYYMMDD`, the day the key signs for.
    pub date: String,
    key: [u8; 32],
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl SigningKey {
    pub(super) fn derive(secret: &str, date: &str, region: &str) -> SigningKey {
        let key = [region, SERVICE, "aws4_request"]
            .iter()
            .fold(hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes()), |key, part| hmac(&key, part.as_bytes()));
        SigningKey { date: date.to_owned(), key }
    }
}

/// The `x-amz-date` of a request made at `now`: `YYYYMMDDTHHMMSSZ`. Written field by
/// field: `format` parses its pattern on every call, and this runs for every request
/// (chrono's `StrftimeItems` showed in the profile).
pub(super) fn date_time(now: DateTime<Utc>) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        now.month(),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// The day a request is signed for (`YYYYMMDD`): the start of its `x-amz-date`.
pub(super) fn date(date_time: &str) -> &str {
    &date_time[..8]
}

/// The `authorization` header of a POST of `body` to `path`, whose `headers`
/// (lower-case names, sorted, `x-amz-date` among them) are all signed.
pub(super) fn authorization(
    access_key: &str,
    key: &SigningKey,
    region: &str,
    date_time: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> String {
    debug_assert!(headers.windows(2).all(|pair| pair[0].0 < pair[1].0), "headers sorted by name: {headers:?}");
    let signed_headers = headers.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(";");
    let mut canonical = format!("POST\n{path}\n\n");
    for (name, value) in headers {
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(value.trim());
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&signed_headers);
    canonical.push('\n');
    canonical.push_str(&hex::encode(Sha256::digest(body)));
    let scope = format!("{}/{region}/{SERVICE}/aws4_request", key.date);
    let to_sign = format!("{ALGORITHM}\n{date_time}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let signature = hex::encode(hmac(&key.key, to_sign.as_bytes()));
    format!("{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}")
}

/// Whether SigV4 can sign `path` as it is: the canonical URI of a path of
/// unreserved characters and slashes is the path itself. Every DynamoDB endpoint's
/// path is `/`.
pub(super) fn signable_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("//")
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b))
        && !path.split('/').any(|segment| segment == "." || segment == "..")
}
