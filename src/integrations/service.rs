//! Making, checking and revoking API keys. A key reads `emp_<prefix>_<secret>`: the prefix (8
//! hex digits) finds the row and is shown in the admin's list; only the SHA-256 of the whole key
//! is stored, so a leaked table opens nothing. The secret has 192 random bits, so a plain digest
//! is enough (no slow password hash is needed).

use super::{
    db,
    model::{ApiKeyForm, ApiKeyView, IssuedKey, Scope},
};
use crate::{
    error::{AppError, FieldError},
    platform::{
        audit::Entry,
        db::Db,
        limits::Limit,
        tokens::{hash_token, random_hex},
    },
};

/// How every key starts, so a leaked one is easy to recognise (and to search for).
pub const KEY_START: &str = "emp_";

/// A key that was presented and holds.
#[derive(Clone, Debug)]
pub struct Caller {
    pub key_id: i64,
    /// The key's public part, as the audit log names it.
    pub prefix: String,
    pub scopes: Vec<Scope>,
}

/// The name and scopes of a key form, or what is wrong with them.
pub fn parse_form(form: &ApiKeyForm) -> Result<(String, Vec<Scope>), AppError> {
    let mut errors = Vec::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "Name the key after the system that uses it (1 to 100 characters).",
        ));
    }
    let mut scopes = Vec::new();
    for text in &form.scopes {
        match Scope::parse(text) {
            Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
            Some(_) => {}
            None => errors.push(FieldError::new(
                "scopes",
                "That is not a scope a key can hold.",
            )),
        }
    }
    if scopes.is_empty() && errors.iter().all(|e| e.field != "scopes") {
        errors.push(FieldError::new(
            "scopes",
            "Tick at least one thing the key may do.",
        ));
    }
    if errors.is_empty() {
        Ok((name.to_owned(), scopes))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Makes a key for whoever `entry` names, logged with it; the whole key is in the answer and
/// nowhere else.
pub async fn issue(
    db: &Db,
    form: &ApiKeyForm,
    entry: Entry,
    now: i64,
) -> Result<IssuedKey, AppError> {
    let (name, scopes) = parse_form(form)?;
    let prefix = random_hex(4);
    let key = format!("{KEY_START}{prefix}_{}", random_hex(24));
    let mut tx = db.begin_write().await?;
    let digest = hash_token(&key);
    let view = db::insert(
        &mut tx,
        &name,
        &prefix,
        &digest,
        &scopes,
        entry.staff_id(),
        now,
    )
    .await?;
    let scopes: Vec<&str> = scopes.iter().map(|scope| scope.as_str()).collect();
    let summary = format!("“{name}” {prefix}, {}", scopes.join(" "));
    let entry = entry.about(format!("API key {}", view.id), summary);
    entry.write(&mut tx).await?;
    tx.commit().await?;
    Ok(IssuedKey { view, key })
}

/// Revokes a key at once (404 when there is none), logging `entry`.
pub async fn revoke(db: &Db, id: i64, now: i64, entry: &Entry) -> Result<(), AppError> {
    if db::revoke(db, id, now, entry).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The prefix of a key as presented, when it has a key's shape.
fn prefix_of(key: &str) -> Option<&str> {
    let (prefix, secret) = key.strip_prefix(KEY_START)?.split_once('_')?;
    let hex = |text: &str, len: usize| {
        text.len() == len
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (hex(prefix, 8) && hex(secret, 48)).then_some(prefix)
}

/// Keys that do not open anything, allowed per network address in a minute: beyond that a wrong
/// key gets 429 instead of 401 (a live key still opens).
pub const WRONG_KEYS: Limit = Limit::in_minutes(20, 1);

/// The caller a key presented from `address` stands for: None for anything but a live key
/// (malformed, unknown, revoked, or a wrong secret), which counts against `WRONG_KEYS`.
pub async fn authenticate(
    db: &Db,
    key: &str,
    address: &str,
    now: i64,
) -> Result<Option<Caller>, AppError> {
    let live = match prefix_of(key) {
        Some(prefix) => db::live(db, prefix).await?,
        None => None,
    };
    let Some((view, _)) = live.filter(|(_, digest)| hash_token(key) == *digest) else {
        // Counted, never given back: the attempt is what is limited.
        let _counted = WRONG_KEYS
            .take(db, &[&format!("api-key-ip:{address}")], now)
            .await?;
        return Ok(None);
    };
    if db::touch(db, view.id, now).await? {
        db::forget_usage(db, view.id, window(now).0 - WINDOW_MS).await?;
    }
    Ok(Some(Caller {
        key_id: view.id,
        prefix: view.prefix,
        scopes: view.scopes,
    }))
}

/// How long a key's count of requests runs before it starts again.
const WINDOW_MS: i64 = 60_000;

/// The window `now` falls in: when it started, and the seconds until the next one starts.
fn window(now: i64) -> (i64, i64) {
    let start = now - now.rem_euclid(WINDOW_MS);
    (start, (start + WINDOW_MS - now + 999) / 1000)
}

/// Where a key stands against its limit, this request counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// Requests a minute.
    pub limit: i64,
    /// Requests in this minute so far, this one included.
    pub used: i64,
    /// Seconds until the count starts again.
    pub reset_secs: i64,
}

impl Allowance {
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    pub fn remaining(&self) -> i64 {
        (self.limit - self.used).max(0)
    }
}

/// Counts a request of `caller` against `per_minute` requests a minute (every node counts in
/// the database, so together they allow no more).
pub async fn count_request(
    db: &Db,
    caller: &Caller,
    per_minute: i64,
    now: i64,
) -> Result<Allowance, AppError> {
    let (start, reset_secs) = window(now);
    let used = db::count_request(db, caller.key_id, start).await?;
    Ok(Allowance {
        limit: per_minute,
        used,
        reset_secs,
    })
}

/// Every key, newest first.
pub async fn list(db: &Db) -> Result<Vec<ApiKeyView>, AppError> {
    Ok(db::all(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_starts_on_the_minute_and_says_when_the_next_one_does() {
        assert_eq!(window(120_000), (120_000, 60));
        assert_eq!(window(120_001), (120_000, 60));
        assert_eq!(window(179_000), (120_000, 1));
        assert_eq!(window(179_999), (120_000, 1));
        let allowance = |used| Allowance {
            limit: 2,
            used,
            reset_secs: 5,
        };
        assert!(!allowance(2).exceeded());
        assert_eq!(allowance(2).remaining(), 0);
        assert!(allowance(3).exceeded());
        assert_eq!(allowance(3).remaining(), 0);
        assert_eq!(allowance(1).remaining(), 1);
    }

    #[test]
    fn only_a_key_shaped_text_has_a_prefix() {
        let key = format!("emp_0a1b2c3d_{}", "f".repeat(48));
        assert_eq!(prefix_of(&key), Some("0a1b2c3d"));
        for bad in [
            "",
            "emp_",
            "0a1b2c3d_ffff",
            &format!("emp_0a1b2c3d{}", "f".repeat(48)),
            &format!("emp_0A1B2C3D_{}", "f".repeat(48)),
            &format!("emp_0a1b2c3d_{}", "f".repeat(47)),
            &format!("emp_0a1b2c3_{}", "f".repeat(49)),
            &format!("emp_0a1b2c3d_{}g", "f".repeat(47)),
        ] {
            assert_eq!(prefix_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_form_needs_a_name_and_known_scopes() {
        let form = |name: &str, scopes: &[&str]| ApiKeyForm {
            name: name.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert_eq!(
            parse_form(&form(
                " Warehouse ",
                &["orders:read", "catalog:read", "orders:read"]
            ))
            .unwrap(),
            (
                "Warehouse".to_owned(),
                vec![Scope::OrdersRead, Scope::CatalogRead]
            )
        );
        let error = parse_form(&form("", &[])).unwrap_err();
        assert!(error.field("name").is_some() && error.field("scopes").is_some());
        let error = parse_form(&form("ERP", &["catalog:delete"])).unwrap_err();
        assert_eq!(
            error.field("scopes").as_deref(),
            Some("That is not a scope a key can hold.")
        );
        assert!(parse_form(&form(&"x".repeat(101), &["catalog:read"])).is_err());
    }
}
