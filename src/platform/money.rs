//! Money: integer minor units (cents), never a float. Every domain that prices something uses it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in minor units (cents). Never a float.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Money(i64);

impl Money {
    /// Builds an amount from minor units; negative amounts are not prices.
    pub fn from_minor(minor: i64) -> Result<Self, NegativeAmount> {
        if minor < 0 {
            Err(NegativeAmount)
        } else {
            Ok(Self(minor))
        }
    }

    /// The amount in minor units, as stored in the database.
    pub fn minor(self) -> i64 {
        self.0
    }

    /// The amount as a person types it: `1234.50`.
    pub fn amount(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// Parses dollars as typed by a person ("25", "19.99", ".5") into minor units.
    pub fn parse(text: &str) -> Result<Self, BadAmount> {
        let text = text.trim();
        if text.starts_with('-') {
            return Err(BadAmount::Negative);
        }
        let (whole, cents) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && cents.is_empty()
            || cents.len() > 2
            || whole.len() > 9
            || !digits(whole)
            || !digits(cents)
        {
            return Err(BadAmount::Malformed);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| BadAmount::Malformed)?
        };
        let cents: i64 = if cents.is_empty() {
            0
        } else {
            format!("{cents:0<2}")
                .parse()
                .map_err(|_| BadAmount::Malformed)?
        };
        Ok(Self(whole * 100 + cents))
    }
}

/// Why typed text is not an amount of money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadAmount {
    #[error("Enter an amount like 25 or 19.99.")]
    Malformed,
    #[error("An amount can't be negative.")]
    Negative,
}

/// A price below zero was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an amount of money cannot be negative")]
pub struct NegativeAmount;

impl fmt::Display for Money {
    /// Formats as US dollars with thousands separators: `$1,234.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 100;
        let cents = self.0 % 100;
        let digits = whole.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "${grouped}.{cents:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_with_cents_and_thousands() {
        let cases = [
            (0, "$0.00"),
            (5, "$0.05"),
            (1999, "$19.99"),
            (100_000, "$1,000.00"),
            (123_456_789, "$1,234,567.89"),
        ];
        for (minor, shown) in cases {
            assert_eq!(Money::from_minor(minor).unwrap().to_string(), shown);
        }
    }

    #[test]
    fn typed_amounts_parse_to_cents() {
        for (text, minor) in [
            ("25", 2500),
            ("19.99", 1999),
            ("0.5", 50),
            (".5", 50),
            (" 7 ", 700),
        ] {
            assert_eq!(Money::parse(text).map(Money::minor), Ok(minor), "{text}");
        }
        for text in ["", ".", "abc", "1.234", "1e3", "12,50", "9999999999", "+5"] {
            assert_eq!(Money::parse(text), Err(BadAmount::Malformed), "{text}");
        }
        assert_eq!(Money::parse("-1"), Err(BadAmount::Negative));
    }

    #[test]
    fn money_rejects_negative_amounts() {
        assert_eq!(Money::from_minor(-1), Err(NegativeAmount));
    }
}
