//! Session tokens. The access token is a short-lived JWT (HS256 only); the refresh token is an
//! opaque 256-bit random value of which the database keeps only a SHA-256 hash.

use super::auth::Role;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Access tokens live 15 minutes; a refresh renews them silently.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// Refresh tokens live 30 days from their issue.
pub const REFRESH_TTL_SECS: i64 = 30 * 24 * 60 * 60;

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// A unique token id.
    pub jti: String,
}

/// Signing and verification keys, built once from the server secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// The secret itself, for signatures that are not tokens (`sign`).
    mac: std::sync::Arc<[u8]>,
}

impl TokenKeys {
    /// Keys for the server secret's bytes.
    pub fn new(secret: &[u8]) -> Self {
        // Only HS256 is accepted: a token naming any other algorithm (or `none`) is rejected.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            mac: secret.into(),
        }
    }

    fn mac(&self, purpose: &str, message: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.mac).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        mac
    }

    /// A signature of `message` for `purpose` (so one purpose's signature never passes for
    /// another's): 128 bits of HMAC-SHA256 as 32 hex digits.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        hex::encode(&self.mac(purpose, message).finalize().into_bytes()[..16])
    }

    /// True when `signature` is `sign(purpose, message)`, compared in constant time.
    pub fn verify_signature(&self, purpose: &str, message: &str, signature: &str) -> bool {
        hex::decode(signature).is_ok_and(|bytes| {
            bytes.len() == 16
                && self
                    .mac(purpose, message)
                    .verify_truncated_left(&bytes)
                    .is_ok()
        })
    }

    /// Signs an access token for `user_id` valid from `now_secs` for `ACCESS_TTL_SECS`.
    pub fn issue(&self, user_id: i64, role: Role, now_secs: i64) -> String {
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iat: now_secs,
            exp: now_secs + ACCESS_TTL_SECS,
            jti: random_hex(16),
        };
        // HMAC signing of a serialisable struct cannot fail.
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 signing")
    }

    /// The user id and role of a valid, unexpired token signed with our key.
    pub fn verify(&self, token: &str) -> Option<(i64, Role)> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some((data.claims.sub.parse().ok()?, data.claims.role))
    }
}

/// `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A new opaque token (refresh token, guest cart): 256 random bits as hex.
pub fn new_token() -> String {
    random_hex(32)
}

/// What the database stores for an opaque token: its SHA-256, so a leaked table leaks no token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_hold_for_their_purpose_and_message_only() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let signature = keys.sign("checkout", "7:abc");
        assert_eq!(signature.len(), 32);
        assert!(keys.verify_signature("checkout", "7:abc", &signature));
        assert!(!keys.verify_signature("checkout", "8:abc", &signature));
        assert!(!keys.verify_signature("other", "7:abc", &signature));
        assert!(!keys.verify_signature("checkout", "7:abc", "zz"));
        let other = TokenKeys::new(b"another secret, just as long....");
        assert!(!other.verify_signature("checkout", "7:abc", &signature));
    }
    use jsonwebtoken::{decode_header, encode};

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(secret.as_bytes())
    }

    fn now() -> i64 {
        crate::platform::db::now_ms() / 1000
    }

    #[test]
    fn tokens_round_trip() {
        let keys = keys("a-secret-of-at-least-thirty-two-bytes!");
        let token = keys.issue(42, Role::Customer, now());
        assert_eq!(keys.verify(&token), Some((42, Role::Customer)));
        assert_eq!(decode_header(&token).unwrap().alg, Algorithm::HS256);
    }

    #[test]
    fn garbage_and_foreign_tokens_are_rejected() {
        let keys = keys("a-secret-of-at-least-thirty-two-bytes!");
        let other = self::keys("another-secret-of-at-least-thirty-two!");
        for garbage in [
            "",
            "abc",
            "a.b.c",
            "eyJhbGciOiJIUzI1NiJ9..",
            &"x".repeat(10_000),
        ] {
            assert_eq!(keys.verify(garbage), None, "{garbage:?}");
        }
        assert_eq!(
            keys.verify(&other.issue(1, Role::Owner, now())),
            None,
            "signed with another key"
        );
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let keys = keys("a-secret-of-at-least-thirty-two-bytes!");
        let token = keys.issue(1, Role::Customer, now() - ACCESS_TTL_SECS - 60);
        assert_eq!(keys.verify(&token), None);
    }

    #[test]
    fn unsigned_tokens_are_rejected() {
        let keys = keys("a-secret-of-at-least-thirty-two-bytes!");
        let b64 = |s: &str| base64_url(s.as_bytes());
        let claims = format!(
            r#"{{"sub":"1","role":"owner","iat":{},"exp":{},"jti":"x"}}"#,
            now(),
            now() + 600
        );
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims));
        assert_eq!(keys.verify(&none), None);
    }

    #[test]
    fn tampered_claims_are_rejected() {
        let keys = keys("a-secret-of-at-least-thirty-two-bytes!");
        let token = keys.issue(7, Role::Customer, now());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let claims = format!(
            r#"{{"sub":"7","role":"owner","iat":{},"exp":{},"jti":"x"}}"#,
            now(),
            now() + 600
        );
        parts[1] = base64_url(claims.as_bytes());
        assert_eq!(keys.verify(&parts.join(".")), None);
    }

    #[test]
    fn tokens_with_another_algorithm_are_rejected() {
        let keys = keys("a-secret-of-at-least-thirty-two-bytes!");
        let claims = Claims {
            sub: "1".into(),
            role: Role::Owner,
            iat: now(),
            exp: now() + 600,
            jti: "x".into(),
        };
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"a-secret-of-at-least-thirty-two-bytes!"),
        )
        .unwrap();
        assert_eq!(keys.verify(&hs512), None);
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
    }

    /// Base64url without padding, as JWTs use.
    fn base64_url(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }
}
