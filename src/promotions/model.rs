//! Promotions: what a discount code or an automatic promotion takes off an order, and how that
//! discount is shared across the order's lines so that every line knows its own price.

use crate::{dates::DAY_MS, error::FieldError, platform::money::Money};
use serde::{Deserialize, Serialize};

/// What a promotion gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Benefit {
    /// A share of the eligible items' price, in basis points (1,000 = 10 %).
    PercentOff(i64),
    /// A fixed amount off the eligible items, never more than they cost.
    AmountOff(Money),
    /// The shipping price, whatever the method.
    FreeShipping,
}

impl Benefit {
    /// The stored kind and value: basis points, minor units, or nothing.
    pub fn stored(self) -> (&'static str, i64) {
        match self {
            Self::PercentOff(points) => ("percent", points),
            Self::AmountOff(amount) => ("amount", amount.minor()),
            Self::FreeShipping => ("free_shipping", 0),
        }
    }

    pub fn from_stored(kind: &str, value: i64) -> Option<Self> {
        match kind {
            "percent" => Some(Self::PercentOff(value)),
            "amount" => Money::from_minor(value).ok().map(Self::AmountOff),
            "free_shipping" => Some(Self::FreeShipping),
            _ => None,
        }
    }

    /// What a shopper reads: "10% off", "$5.00 off", "Free shipping".
    pub fn describe(self) -> String {
        match self {
            Self::PercentOff(points) if points % 100 == 0 => format!("{}% off", points / 100),
            Self::PercentOff(points) => format!("{}.{:02}% off", points / 100, points % 100),
            Self::AmountOff(amount) => format!("{amount} off"),
            Self::FreeShipping => "Free shipping".to_owned(),
        }
    }

    /// The discount on a cart whose lines cost `lines` (minor units; a line outside the
    /// promotion's categories or products is not `eligible`) and whose shipping costs
    /// `shipping`. The items' discount is shared across the eligible lines by `allocate`.
    pub fn apply(self, lines: &[i64], eligible: &[bool], shipping: Money) -> Discount {
        let weights: Vec<i64> = lines
            .iter()
            .zip(eligible.iter().chain(std::iter::repeat(&false)))
            .map(|(total, eligible)| if *eligible { *total } else { 0 })
            .collect();
        let base: i64 = weights.iter().sum();
        let items = match self {
            Self::PercentOff(points) => {
                (i128::from(base) * i128::from(points.clamp(0, 10_000)) + 5_000) / 10_000
            }
            Self::AmountOff(amount) => i128::from(amount.minor().min(base)),
            Self::FreeShipping => 0,
        };
        Discount {
            lines: allocate(i64::try_from(items).unwrap_or(0), &weights),
            shipping: if self == Self::FreeShipping {
                shipping
            } else {
                Money::default()
            },
        }
    }
}

/// A discount on one order: each line's share (minor units, in the order of the lines) and
/// what comes off the shipping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub lines: Vec<i64>,
    pub shipping: Money,
}

impl Discount {
    /// What comes off the items.
    pub fn items(&self) -> Money {
        Money::from_minor(self.lines.iter().sum()).unwrap_or_default()
    }

    /// Everything that comes off the order.
    pub fn total(&self) -> Money {
        Money::from_minor(self.items().minor() + self.shipping.minor()).unwrap_or_default()
    }
}

/// Shares `amount` across lines in proportion to `weights` by the largest-remainder method:
/// each line first gets the whole cents of its share, and the cents left over go one each to
/// the lines with the largest fractions (the earlier line on a tie). The shares add up to
/// `amount` exactly, and no line gets more than its weight when `amount` is at most their sum.
pub fn allocate(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if total == 0 || amount <= 0 {
        return vec![0; weights.len()];
    }
    let amount = i128::from(amount);
    let mut shares: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, weight) in weights.iter().enumerate() {
        let exact = amount * i128::from((*weight).max(0));
        shares.push(exact / total);
        remainders.push((exact % total, i));
    }
    let left = amount - shares.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders
        .into_iter()
        .take(usize::try_from(left).unwrap_or(0))
    {
        shares[i] += 1;
    }
    shares
        .into_iter()
        .map(|s| i64::try_from(s).unwrap_or(0))
        .collect()
}

/// A promotion as it applies to one shopper's cart right now: what the checkout page shows and
/// computes its totals with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The code as the shop spells it, or None for an automatic promotion.
    pub code: Option<String>,
    /// The promotion's name, e.g. "10% off lamps this week".
    pub name: String,
    pub benefit: Benefit,
    /// Which of the cart's lines, in order, the promotion covers.
    pub eligible: Vec<bool>,
}

impl Offer {
    /// The summary line: "SPRING10 — 10% off lamps".
    pub fn label(&self) -> String {
        match &self.code {
            Some(code) => format!("{code} — {}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A stored promotion and the facts about one cart that decide whether it applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promotion {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub benefit: Benefit,
    pub min_subtotal: Money,
    pub starts_at: i64,
    /// None: it never ends.
    pub ends_at: Option<i64>,
    pub active: bool,
    pub usage_limit: Option<i64>,
    pub uses: i64,
    pub per_customer_limit: Option<i64>,
    /// Limited to a category (and the categories below it).
    pub restricted: bool,
}

impl Promotion {
    /// The offer for a cart with this `subtotal` whose lines are `eligible` or not, for a
    /// shopper who has used the promotion `used_by_shopper` times, at `now`; or why not.
    pub fn offer(
        &self,
        subtotal: Money,
        eligible: Vec<bool>,
        used_by_shopper: i64,
        now: i64,
    ) -> Result<Offer, String> {
        let named = match &self.code {
            Some(code) => format!("The code {code}"),
            None => format!("“{}”", self.name),
        };
        if !self.active || self.ends_at.is_some_and(|end| now >= end) {
            return Err(format!("{named} has expired."));
        }
        if now < self.starts_at {
            return Err(format!("{named} is not valid yet."));
        }
        if self.usage_limit.is_some_and(|limit| self.uses >= limit) {
            return Err(format!("{named} has been used up."));
        }
        if self
            .per_customer_limit
            .is_some_and(|limit| used_by_shopper >= limit)
        {
            return Err(format!(
                "{named} can be used {} per customer, and you have used it.",
                times(self.per_customer_limit.unwrap_or(0))
            ));
        }
        if subtotal < self.min_subtotal {
            return Err(format!(
                "{named} needs a subtotal of {} or more.",
                self.min_subtotal
            ));
        }
        if self.restricted && !eligible.contains(&true) {
            return Err(format!(
                "{named} is not for anything in your cart: it covers only some products."
            ));
        }
        Ok(Offer {
            code: self.code.clone(),
            name: self.name.clone(),
            benefit: self.benefit,
            eligible: if self.restricted {
                eligible
            } else {
                vec![true; eligible.len()]
            },
        })
    }
}

fn times(n: i64) -> String {
    match n {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

/// The spelling a code is stored and compared in: trimmed, upper case (codes are
/// case-insensitive).
pub fn normalise_code(text: &str) -> String {
    text.trim().to_uppercase()
}

/// A promotion in the admin's list, with how it has done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionRow {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub benefit: Benefit,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub active: bool,
    pub usage_limit: Option<i64>,
    /// Uses orders hold now (unpaid ones included).
    pub uses: i64,
    /// Orders that carry it and are sold (paid, shipped or delivered).
    pub orders: i64,
    /// What those orders came to, after the discount.
    pub revenue: Money,
    /// What it took off them.
    pub discounted: Money,
}

/// The promotion form as typed by an admin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionForm {
    /// Empty for an automatic promotion.
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// `percent`, `amount` or `free_shipping`.
    #[serde(default)]
    pub kind: String,
    /// A percentage ("10", "12.5") or an amount ("5.00"); ignored for free shipping.
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub min_subtotal: String,
    /// `YYYY-MM-DD`, UTC; the promotion runs from the start of `starts` to the end of `ends`.
    #[serde(default)]
    pub starts: String,
    #[serde(default)]
    pub ends: String,
    #[serde(default)]
    pub usage_limit: String,
    #[serde(default)]
    pub per_customer_limit: String,
    /// A category's slug, or empty for every product.
    #[serde(default)]
    pub category: String,
}

/// A checked promotion form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPromotion {
    pub code: Option<String>,
    pub name: String,
    pub benefit: Benefit,
    pub min_subtotal: Money,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub usage_limit: Option<i64>,
    pub per_customer_limit: Option<i64>,
    /// A category's slug.
    pub category: Option<String>,
}

impl PromotionForm {
    /// Checks every field and reports every problem at once; `today` (Unix ms) is the start
    /// when none is given.
    pub fn check(&self, today: i64) -> Result<NewPromotion, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = normalise_code(&self.code);
        let well_formed = code.len() <= 32
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            errors.push(FieldError::new(
                "code",
                "Use up to 32 letters, digits, - and _.",
            ));
        }
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new(
                "name",
                "Give the promotion a name of up to 100 characters.",
            ));
        }
        let value = self.value.trim();
        let benefit = match self.kind.as_str() {
            "percent" => match Money::parse(value) {
                Ok(points) if (1..=10_000).contains(&points.minor()) => {
                    Some(Benefit::PercentOff(points.minor()))
                }
                _ => {
                    errors.push(FieldError::new(
                        "value",
                        "Enter a percentage between 0.01 and 100.",
                    ));
                    None
                }
            },
            "amount" => match Money::parse(value) {
                Ok(amount) if amount.minor() > 0 => Some(Benefit::AmountOff(amount)),
                _ => {
                    errors.push(FieldError::new(
                        "value",
                        "Enter the amount off, such as 5.00.",
                    ));
                    None
                }
            },
            "free_shipping" => Some(Benefit::FreeShipping),
            _ => {
                errors.push(FieldError::new("kind", "Choose what the promotion gives."));
                None
            }
        };
        let min_subtotal = match self.min_subtotal.trim() {
            "" => Money::default(),
            text => Money::parse(text).unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "min_subtotal",
                    "Enter an amount such as 50.00, or leave it empty.",
                ));
                Money::default()
            }),
        };
        let mut date = |field: &str, text: &str| match text.trim() {
            "" => None,
            text => crate::dates::parse_iso_date(text).or_else(|| {
                errors.push(FieldError::new(field, "Enter a date as YYYY-MM-DD."));
                None
            }),
        };
        let starts_at = date("starts", &self.starts).unwrap_or(today);
        let ends_at = date("ends", &self.ends).map(|day| day + DAY_MS);
        if ends_at.is_some_and(|end| end <= starts_at) {
            errors.push(FieldError::new("ends", "End on or after the start date."));
        }
        let mut count = |field: &str, text: &str| match text.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(n) if (1..=1_000_000_000).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError::new(
                        field,
                        "Enter a whole number of at least 1, or leave it empty.",
                    ));
                    None
                }
            },
        };
        let usage_limit = count("usage_limit", &self.usage_limit);
        let per_customer_limit = count("per_customer_limit", &self.per_customer_limit);
        let category = Some(self.category.trim().to_owned()).filter(|c| !c.is_empty());
        match benefit {
            Some(benefit) if errors.is_empty() => Ok(NewPromotion {
                code: (!code.is_empty()).then_some(code),
                name,
                benefit,
                min_subtotal,
                starts_at,
                ends_at,
                usage_limit,
                per_customer_limit,
                category,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor: i64) -> Money {
        Money::from_minor(minor).unwrap()
    }

    #[test]
    fn shares_add_up_exactly_and_follow_the_weights() {
        assert_eq!(allocate(1_000, &[3_333, 3_333, 3_334]), [333, 333, 334]);
        assert_eq!(allocate(100, &[1, 1, 1]), [34, 33, 33], "a tie goes first");
        assert_eq!(allocate(0, &[500, 500]), [0, 0]);
        assert_eq!(allocate(700, &[0, 0]), [0, 0]);
        assert_eq!(allocate(300, &[1_000, 0, 2_000]), [100, 0, 200]);
        for (amount, weights) in [
            (997, vec![1_999, 2_499, 12_000, 1]),
            (1, vec![5, 5, 5]),
            (4_321, vec![9_999, 1, 1, 1, 1]),
        ] {
            let shares = allocate(amount, &weights);
            assert_eq!(shares.iter().sum::<i64>(), amount, "{weights:?}");
            assert!(shares.iter().zip(&weights).all(|(s, w)| s <= w));
        }
    }

    #[test]
    fn percentages_round_half_up_and_amounts_stop_at_the_price() {
        let lines = [1_999, 2_500];
        let all = [true, true];
        let tenth = Benefit::PercentOff(1_000).apply(&lines, &all, money(499));
        assert_eq!(tenth.items(), money(450), "449.9 cents rounds to 450");
        assert_eq!(tenth.lines, [200, 250]);
        assert_eq!(tenth.shipping, money(0));
        let only_second = Benefit::PercentOff(1_000).apply(&lines, &[false, true], money(0));
        assert_eq!(only_second.lines, [0, 250]);
        let big = Benefit::AmountOff(money(10_000)).apply(&lines, &all, money(0));
        assert_eq!(big.items(), money(4_499), "never more than the items cost");
        let free = Benefit::FreeShipping.apply(&lines, &all, money(499));
        assert_eq!((free.items(), free.total()), (money(0), money(499)));
    }

    fn promotion() -> Promotion {
        Promotion {
            id: 1,
            code: Some("SPRING10".into()),
            name: "Spring sale".into(),
            benefit: Benefit::PercentOff(1_000),
            min_subtotal: money(5_000),
            starts_at: 1_000,
            ends_at: Some(2_000),
            active: true,
            usage_limit: Some(10),
            uses: 9,
            per_customer_limit: Some(1),
            restricted: true,
        }
    }

    #[test]
    fn a_promotion_applies_only_within_its_rules() {
        let p = promotion();
        let offer = p.offer(money(5_000), vec![false, true], 0, 1_500).unwrap();
        assert_eq!(offer.eligible, [false, true]);
        assert_eq!(offer.label(), "SPRING10 — Spring sale");
        let refused = |p: &Promotion, subtotal: i64, eligible: Vec<bool>, used: i64, now: i64| {
            p.offer(money(subtotal), eligible, used, now).unwrap_err()
        };
        assert_eq!(
            refused(&p, 5_000, vec![true], 0, 2_000),
            "The code SPRING10 has expired."
        );
        assert_eq!(
            refused(&p, 5_000, vec![true], 0, 999),
            "The code SPRING10 is not valid yet."
        );
        assert_eq!(
            refused(&p, 4_999, vec![true], 0, 1_500),
            "The code SPRING10 needs a subtotal of $50.00 or more."
        );
        assert!(refused(&p, 5_000, vec![true], 1, 1_500).contains("once per customer"));
        assert!(refused(&p, 5_000, vec![false], 0, 1_500).contains("not for anything"));
        let used_up = Promotion {
            uses: 10,
            ..p.clone()
        };
        assert_eq!(
            refused(&used_up, 5_000, vec![true], 0, 1_500),
            "The code SPRING10 has been used up."
        );
        let everything = Promotion {
            restricted: false,
            ..p
        };
        assert_eq!(
            everything
                .offer(money(5_000), vec![false, false], 0, 1_500)
                .unwrap()
                .eligible,
            [true, true]
        );
    }

    #[test]
    fn the_admin_form_is_checked_field_by_field() {
        let form = PromotionForm {
            code: " spring10 ".into(),
            name: "Spring sale".into(),
            kind: "percent".into(),
            value: "12.5".into(),
            starts: "2026-12-01".into(),
            ends: "2026-12-01".into(),
            usage_limit: "10".into(),
            ..PromotionForm::default()
        };
        let checked = form.check(0).unwrap();
        assert_eq!(checked.code.as_deref(), Some("SPRING10"));
        assert_eq!(checked.benefit, Benefit::PercentOff(1_250));
        assert_eq!(checked.ends_at, Some(checked.starts_at + DAY_MS));
        assert_eq!(checked.usage_limit, Some(10));
        assert_eq!(Benefit::PercentOff(1_250).describe(), "12.50% off");
        let bad = PromotionForm {
            code: "no spaces".into(),
            kind: "amount".into(),
            value: "-3".into(),
            starts: "2026-12-02".into(),
            ends: "2026-12-01".into(),
            usage_limit: "0".into(),
            ..PromotionForm::default()
        };
        let fields: Vec<String> = bad
            .check(0)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["code", "name", "value", "ends", "usage_limit"]);
        assert_eq!(
            Benefit::from_stored("amount", 500),
            Some(Benefit::AmountOff(money(500)))
        );
        assert_eq!(Benefit::from_stored("bogus", 1), None);
    }
}
