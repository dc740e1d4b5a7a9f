//! Stripe's webhook signature scheme, which the shop checks on Stripe's calls and uses for its
//! own webhooks: the header `t=<unix seconds>,v1=<hex>`, where `v1` is the HMAC-SHA256, keyed
//! with the endpoint's secret, of `<t>.<body>`. A receiver refuses a stale `t`, so a captured
//! request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Requests signed longer ago than this are refused.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// Why a signed request was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing or malformed signature header")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a signature header (`t=…,v1=…`): HMAC-SHA256 of `"{t}.{payload}"` with the
/// endpoint's secret, signed within `SIGNATURE_TOLERANCE_SECS` of `now_secs`.
pub fn verify_signature(
    payload: &[u8],
    header: &str,
    secret: &str,
    now_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now_secs - timestamp).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for signature in signatures {
        let Ok(expected) = hex::decode(signature) else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|_| SignatureError::Malformed)?;
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        // `verify_slice` compares in constant time.
        if mac.verify_slice(&expected).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// The signature header of `payload`, signed at `timestamp` (unix seconds).
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let digest = hex::encode(mac.finalize().into_bytes());
    format!("t={timestamp},v1={digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn signatures_are_checked_and_dated() {
        let payload = br#"{"type":"payment_intent.succeeded"}"#;
        let header = sign(payload, SECRET, 1_000_000);
        assert_eq!(
            verify_signature(payload, &header, SECRET, 1_000_100),
            Ok(())
        );
        assert_eq!(
            verify_signature(payload, &header, SECRET, 1_000_400),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature(b"{}", &header, SECRET, 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(payload, &header, "whsec_other", 1_000_000),
            Err(SignatureError::Mismatch)
        );
        for bad in ["", "t=1", "v1=00", "t=x,v1=00", "nonsense"] {
            assert!(verify_signature(payload, bad, SECRET, 1).is_err(), "{bad}");
        }
        // A second, valid signature among others (Stripe sends several while rolling secrets).
        let valid = header.split_once(",v1=").unwrap().1;
        let several = format!("t=1000000,v1=deadbeef,v1={valid}");
        assert_eq!(
            verify_signature(payload, &several, SECRET, 1_000_000),
            Ok(())
        );
    }
}
