//! Account types shared by the server and the browser: validated emails and the rules for
//! names and new passwords.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address, trimmed, with its domain in lower case. Built only by `Email::parse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Checks the shape (one `@`, a dotted domain, no spaces, at most 254 characters) and
    /// normalises the domain's case.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("Enter your email address.");
        }
        let (local, domain) = raw
            .rsplit_once('@')
            .ok_or("Enter a valid email address, like name@example.com.")?;
        let valid = !local.is_empty()
            && local.len() <= 64
            && raw.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
            && !local.contains('@');
        // The mail crate must read it as a bare address too: no display name or angle brackets
        // (`a<attacker@evil.com>`) that a mailer would read as someone else's address.
        #[cfg(feature = "ssr")]
        let valid = valid && raw.parse::<lettre::Address>().is_ok();
        if !valid {
            return Err("Enter a valid email address, like name@example.com.");
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An authenticator app being enrolled: the QR code to scan and the secret to type instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// Base32, in groups of four for reading aloud or typing.
    pub secret: String,
    /// An SVG image made on the server.
    pub qr_svg: String,
}

/// Two-step sign-in on the security page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub recovery_codes_left: i64,
    /// Staff accounts must keep it on.
    pub required: bool,
}

/// Shortest and longest passwords accepted (in characters).
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// A display name: trimmed, 1–100 characters.
pub fn parse_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err("Enter your name."),
        1..=100 => Ok(name.to_owned()),
        _ => Err("Use at most 100 characters for your name."),
    }
}

/// Length rules for a new password; the guessability check runs on the server.
pub fn check_password_length(password: &str) -> Result<(), &'static str> {
    match password.chars().count() {
        n if n < PASSWORD_MIN => Err("Use at least 8 characters for your password."),
        n if n > PASSWORD_MAX => Err("Use at most 128 characters for your password."),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_their_domain_lowercased() {
        assert_eq!(
            Email::parse("  Ann.Lee@Example.COM ").unwrap().as_str(),
            "Ann.Lee@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "   ",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann lee@example.com",
            "ann@.com",
            "ann@example.com.",
            "a<attacker@evil.com>",
            "Ann <ann@example.com>",
            "ann@example.com>",
            "\"a@b\"@example.com",
            "ann,bob@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn password_length_is_8_to_128_characters() {
        assert!(check_password_length("short").is_err());
        assert!(check_password_length("exactly8").is_ok());
        assert!(check_password_length(&"x".repeat(128)).is_ok());
        assert!(check_password_length(&"x".repeat(129)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Ann  ").unwrap(), "Ann");
        assert!(parse_name("  ").is_err());
        assert!(parse_name(&"n".repeat(101)).is_err());
    }
}
