//! Two-step sign-in: time-based one-time codes (RFC 6238, through `totp-rs`) from an
//! authenticator app, and ten single-use recovery codes for when the phone is lost. Enrolling
//! shows a QR code (an SVG made here) and the secret as text; it takes effect once a code from
//! the app and the current password are entered, and signs out every other device. Signing in
//! then asks for a code after the password (`session::sign_in`). Staff must have it: an admin
//! without it has a customer's rights until they turn it on (`UserRow::rights`).

use super::{
    db::{self, UserRow},
    model::{TwoFactorSetup, TwoFactorStatus},
    session::{self, attempt, password_is_right, start_session, succeeded, this_device},
};
use crate::{
    error::{AppError, FieldError, SIGN_IN_TIMED_OUT, WRONG_CODE, internal},
    platform::{
        auth::{SessionUser, require_user},
        config::Environment,
        db::now_ms,
        http::{client_ip, cookie, request_parts, set_cookie, set_response_cookies},
        state::AppState,
        tokens::{TokenKeys, hash_token},
    },
};
use axum::http::HeaderValue;
use rand::Rng;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per code, as every authenticator app expects.
const STEP_SECS: i64 = 30;
/// 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
const ISSUER: &str = "Emporium";
pub const RECOVERY_CODES: usize = 10;
/// Recovery codes are 16 letters of this alphabet (80 bits), shown in groups of four.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The cookie that carries a sign-in from its password to its code, and how long it lasts.
pub const CHALLENGE_COOKIE: &str = "emporium_sign_in";
const CHALLENGE_TTL_SECS: i64 = 5 * 60;
const CHALLENGE_PURPOSE: &str = "sign-in-code";

fn totp(secret: Vec<u8>, account: &str) -> TOTP {
    // No skew here: `matching_step` tries the neighbouring steps itself, to know which matched.
    TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECS as u64,
        secret,
        Some(ISSUER.into()),
        account.into(),
    )
}

/// The time step whose code `code` is — the current one, or the one before or after for a
/// phone clock a little off — if it is later than `last`, the step of the last code accepted.
pub fn matching_step(secret: &[u8], code: &str, now_secs: i64, last: Option<i64>) -> Option<i64> {
    let totp = totp(secret.to_vec(), "");
    let current = now_secs / STEP_SECS;
    (current - 1..=current + 1)
        .filter(|step| last.is_none_or(|last| *step > last))
        .find(|step| totp.check(code, (step * STEP_SECS) as u64))
}

/// A code as typed: spaces and dashes do not count, nor does case.
#[derive(Debug, PartialEq, Eq)]
enum Code {
    /// Six digits from the app.
    OneTime(String),
    /// A recovery code, as stored (16 lower-case letters and digits).
    Recovery(String),
}

impl Code {
    fn parse(raw: &str) -> Option<Self> {
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Some(Self::OneTime(code))
        } else if code.len() == 16 && code.bytes().all(|b| ALPHABET.contains(&b)) {
            Some(Self::Recovery(code))
        } else {
            None
        }
    }
}

/// Ten new recovery codes, as shown (`abcd-efgh-ijkl-mnop`), and the hashes stored for them.
fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let mut rng = rand::rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let letters: String = (0..16)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            in_fours(&letters, "-")
        })
        .collect();
    let hashes = codes
        .iter()
        .map(|code| hash_token(&code.replace('-', "")))
        .collect();
    (codes, hashes)
}

/// `text` in groups of four characters joined by `separator`, for reading and typing.
fn in_fours(text: &str, separator: &str) -> String {
    let letters: Vec<char> = text.chars().collect();
    letters
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(separator)
}

fn secret_bytes(base32: &str) -> Result<Vec<u8>, AppError> {
    Secret::Encoded(base32.to_owned())
        .to_bytes()
        .map_err(|_| internal(&"a stored TOTP secret is not base32"))
}

/// The value of the sign-in cookie for `user`: who, until when, and the server's signature.
fn challenge(keys: &TokenKeys, user: i64, expires: i64) -> String {
    let message = format!("{user}.{expires}");
    let signature = keys.sign(CHALLENGE_PURPOSE, &message);
    format!("{message}.{signature}")
}

/// The account a sign-in cookie stands for, if it is genuine and not expired.
fn challenged_user(keys: &TokenKeys, value: &str, now_secs: i64) -> Option<i64> {
    let (message, signature) = value.rsplit_once('.')?;
    let (user, expires) = message.split_once('.')?;
    let expires: i64 = expires.parse().ok()?;
    if expires <= now_secs || !keys.verify_signature(CHALLENGE_PURPOSE, message, signature) {
        return None;
    }
    user.parse().ok()
}

fn challenge_cookie(state: &AppState, value: &str, max_age: i64) -> Vec<HeaderValue> {
    let secure = state.config.environment == Environment::Production;
    set_cookie(CHALLENGE_COOKIE, value, max_age, secure)
        .into_iter()
        .collect()
}

/// Asks for the code of `user`, whose password was right: this device gets the sign-in cookie
/// and keeps no session of anyone else's.
pub(super) fn ask_for_code(state: &AppState, user: &UserRow) {
    let expires = now_ms() / 1000 + CHALLENGE_TTL_SECS;
    session::clear_cookies(state);
    set_response_cookies(challenge_cookie(
        state,
        &challenge(&state.tokens, user.id, expires),
        CHALLENGE_TTL_SECS,
    ));
}

/// Finishes a sign-in with the code from the app or a recovery code (each works once), counted
/// like a password.
pub async fn finish_sign_in(state: &AppState, code: &str) -> Result<SessionUser, AppError> {
    let now = now_ms();
    let user = request_parts()
        .and_then(|parts| {
            challenged_user(
                &state.tokens,
                cookie(&parts.headers, CHALLENGE_COOKIE)?,
                now / 1000,
            )
        })
        .ok_or_else(|| AppError::BadRequest(SIGN_IN_TIMED_OUT.into()))?;
    let user = db::find_user(&state.db, user)
        .await?
        .filter(|user| user.totp_secret.is_some())
        .ok_or_else(|| AppError::BadRequest(SIGN_IN_TIMED_OUT.into()))?;
    let ip_scope = format!("ip:{}", client_ip());
    let account_scope = format!("email:{}", user.email.to_lowercase());
    let attempt = attempt(state, &[&ip_scope, &account_scope]).await?;
    if !code_is_right(state, &user, code, now).await? {
        return Err(AppError::BadRequest(WRONG_CODE.into()));
    }
    succeeded(state, attempt).await?;
    set_response_cookies(challenge_cookie(state, "", 0));
    start_session(state, user.id, user.role()).await?;
    Ok(user.to_session_user())
}

async fn code_is_right(
    state: &AppState,
    user: &UserRow,
    code: &str,
    now: i64,
) -> Result<bool, AppError> {
    let Some(secret) = &user.totp_secret else {
        return Ok(false);
    };
    Ok(match Code::parse(code) {
        Some(Code::OneTime(code)) => {
            match matching_step(
                &secret_bytes(secret)?,
                &code,
                now / 1000,
                user.totp_last_step,
            ) {
                Some(step) => db::claim_step(&state.db, user.id, step).await?,
                None => false,
            }
        }
        Some(Code::Recovery(code)) => {
            db::use_recovery_code(&state.db, user.id, &hash_token(&code), now).await?
        }
        None => false,
    })
}

async fn signed_in_user(state: &AppState) -> Result<UserRow, AppError> {
    let session = require_user()?;
    db::find_user(&state.db, session.user_id)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// Whether the signed-in user has two-step sign-in, and how many recovery codes are left.
pub async fn status(state: &AppState) -> Result<TwoFactorStatus, AppError> {
    let user = signed_in_user(state).await?;
    Ok(TwoFactorStatus {
        enabled: user.totp_secret.is_some(),
        recovery_codes_left: db::recovery_codes_left(&state.db, user.id).await?,
        required: user.role().is_staff(),
    })
}

/// Starts enrolling an authenticator app: a new secret, kept until a code from it is entered.
pub async fn start(state: &AppState) -> Result<TwoFactorSetup, AppError> {
    let user = signed_in_user(state).await?;
    if user.totp_secret.is_some() {
        return Err(AppError::Conflict("Two-step sign-in is on already.".into()));
    }
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill(&mut secret[..]);
    let totp = totp(secret, &user.email);
    let base32 = totp.get_secret_base32();
    db::set_pending_totp(&state.db, user.id, &base32, now_ms()).await?;
    let qr_svg = qrcode::QrCode::new(totp.get_url())
        .map_err(|e| internal(&format!("drawing a QR code failed: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(192, 192)
        .build();
    Ok(TwoFactorSetup {
        secret: in_fours(&base32, " "),
        qr_svg,
    })
}

/// Turns two-step sign-in on with a code from the app being enrolled and the current password;
/// every other device is signed out. Returns the recovery codes, shown this once.
pub async fn confirm(
    state: &AppState,
    code: &str,
    password: String,
) -> Result<Vec<String>, AppError> {
    let user = signed_in_user(state).await?;
    let pending = db::pending_totp(&state.db, user.id)
        .await?
        .ok_or_else(|| AppError::Conflict("Start setting up two-step sign-in again.".into()))?;
    let now = now_ms();
    let mut errors = Vec::new();
    if !password_is_right(state, &user, password).await? {
        errors.push(FieldError::new("password", "Your password is not right."));
    }
    let step = match Code::parse(code) {
        Some(Code::OneTime(code)) => {
            matching_step(&secret_bytes(&pending)?, &code, now / 1000, None)
        }
        _ => None,
    };
    if step.is_none() {
        errors.push(FieldError::new(
            "code",
            "That code is not right. Enter the 6-digit code your app shows now.",
        ));
    }
    let (Some(step), true) = (step, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let (codes, hashes) = new_recovery_codes();
    let keep = this_device(state, user.id).await?;
    let mut tx = state.db.begin_write().await?;
    if !db::enable_totp(&mut tx, user.id, &pending, step, &hashes, now).await? {
        return Err(AppError::Conflict(
            "Two-step sign-in was set up from another page meanwhile. Start again.".into(),
        ));
    }
    db::revoke_user_families(&mut tx, user.id, keep.as_deref(), now).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Ten new recovery codes in place of the old ones (the current password is required).
pub async fn renew_recovery_codes(
    state: &AppState,
    password: String,
) -> Result<Vec<String>, AppError> {
    let user = signed_in_user(state).await?;
    if user.totp_secret.is_none() {
        return Err(AppError::Conflict("Two-step sign-in is off.".into()));
    }
    if !password_is_right(state, &user, password).await? {
        return Err(AppError::BadRequest("Your password is not right.".into()));
    }
    let (codes, hashes) = new_recovery_codes();
    let mut tx = state.db.begin_write().await?;
    db::replace_recovery_codes(&mut tx, user.id, &hashes, now_ms()).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns two-step sign-in off (the current password is required). Staff accounts keep it.
pub async fn turn_off(state: &AppState, password: String) -> Result<(), AppError> {
    let user = signed_in_user(state).await?;
    if user.role().is_staff() {
        return Err(AppError::Conflict(
            "Staff accounts keep two-step sign-in on.".into(),
        ));
    }
    if !password_is_right(state, &user, password).await? {
        return Err(AppError::BadRequest("Your password is not right.".into()));
    }
    let mut tx = state.db.begin_write().await?;
    db::disable_totp(&mut tx, user.id, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_rfc_6238_and_a_step_either_side() {
        // RFC 6238, appendix B: SHA-1 at 59 s is 94287082, whose last six digits are the code.
        assert_eq!(matching_step(SECRET, "287082", 59, None), Some(1));
        assert_eq!(
            matching_step(SECRET, "287082", 59 + 30, None),
            Some(1),
            "a step late"
        );
        assert_eq!(
            matching_step(SECRET, "287082", 59 - 30, None),
            Some(1),
            "a step early"
        );
        assert_eq!(
            matching_step(SECRET, "287082", 59 + 60, None),
            None,
            "two steps late"
        );
        assert_eq!(matching_step(SECRET, "287083", 59, None), None);
    }

    #[test]
    fn a_code_works_once() {
        assert_eq!(matching_step(SECRET, "287082", 59, Some(0)), Some(1));
        assert_eq!(matching_step(SECRET, "287082", 59, Some(1)), None);
        assert_eq!(
            matching_step(SECRET, "287082", 59, Some(2)),
            None,
            "nor an older one"
        );
    }

    #[test]
    fn typed_codes_are_read_without_spaces_dashes_or_case() {
        assert_eq!(
            Code::parse(" 287 082 "),
            Some(Code::OneTime("287082".into()))
        );
        assert_eq!(
            Code::parse("ABCD-efgh-2345-mnop"),
            Some(Code::Recovery("abcdefgh2345mnop".into()))
        );
        for bad in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "abcd-efgh-ijkl-mno1",
            "abcd-efgh-ijkl",
        ] {
            assert_eq!(Code::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_sign_in_cookie_names_its_account_until_it_expires() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let value = challenge(&keys, 42, 1_000);
        assert_eq!(challenged_user(&keys, &value, 999), Some(42));
        assert_eq!(challenged_user(&keys, &value, 1_000), None, "expired");
        let signature = value.rsplit_once('.').unwrap().1;
        for forged in [
            format!("43.1000.{signature}"),
            format!("42.2000.{signature}"),
            "42.1000".to_owned(),
            "42".to_owned(),
            String::new(),
        ] {
            assert_eq!(challenged_user(&keys, &forged, 999), None, "{forged:?}");
        }
        let other = TokenKeys::new(b"another secret, just as long....");
        assert_eq!(challenged_user(&other, &value, 999), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_stored_as_typed_back() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(code.len(), 19, "{code}");
            let Some(Code::Recovery(typed)) = Code::parse(&code.to_uppercase()) else {
                panic!("{code} does not read back");
            };
            assert_eq!(&hash_token(&typed), hash);
        }
    }
}
