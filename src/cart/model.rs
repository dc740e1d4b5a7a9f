//! Cart and wishlist types shared by the server and the browser.

use crate::{catalog::model::Picture, platform::money::Money};
use serde::{Deserialize, Serialize};

/// Distinct lines one cart may hold.
pub const MAX_LINES: i64 = 100;

/// How many units of a variant a line holds: a whole number from 1 to the configured limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    /// Parses a quantity as typed ("3"); `max` is the per-line limit.
    pub fn parse(text: &str, max: i64) -> Result<Self, String> {
        let message = || format!("Quantity must be a whole number from 1 to {max}.");
        let n: i64 = text.trim().parse().map_err(|_| message())?;
        if (1..=max).contains(&n) {
            Ok(Self(n))
        } else {
            Err(message())
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// One line of a cart as the shopper sees it, with prices read from the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub sku: String,
    pub slug: String,
    pub title: String,
    /// "Size: M, Colour: Red"; empty for a product without options.
    pub variant: String,
    /// Today's catalog price.
    pub unit_price: Money,
    /// The price when the line was added, shown when it differs.
    pub added_price: Money,
    pub quantity: i64,
    pub stock: i64,
    /// The uploaded picture's file name; empty for the generated one.
    pub image: String,
}

impl CartLine {
    /// Why the line cannot be bought as it is, if it cannot.
    pub fn problem(&self) -> Option<String> {
        match self.stock {
            0 => Some("Out of stock. Remove it or move it to your wishlist.".into()),
            stock if stock < self.quantity => Some(format!(
                "Only {stock} left. Lower the quantity to buy this item."
            )),
            _ => None,
        }
    }

    /// Unit price times quantity.
    pub fn total(&self) -> Money {
        Money::from_minor(self.unit_price.minor().saturating_mul(self.quantity)).unwrap_or_default()
    }

    pub fn picture(&self) -> Picture {
        Picture::of(&self.slug, &self.image)
    }
}

/// A whole cart. Lines with a problem are shown but left out of the subtotal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    /// What changed since the shopper last looked (e.g. an item is no longer sold).
    pub notices: Vec<String>,
}

impl CartView {
    /// The sum of the lines that can be bought.
    pub fn subtotal(&self) -> Money {
        let minor = self
            .lines
            .iter()
            .filter(|l| l.problem().is_none())
            .map(|l| l.total().minor())
            .fold(0_i64, i64::saturating_add);
        Money::from_minor(minor).unwrap_or_default()
    }

    /// Units across the lines that can be bought.
    pub fn items(&self) -> i64 {
        self.lines
            .iter()
            .filter(|l| l.problem().is_none())
            .map(|l| l.quantity)
            .sum()
    }
}

/// A saved variant on the wishlist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WishlistItem {
    pub sku: String,
    pub slug: String,
    pub title: String,
    pub variant: String,
    pub price: Money,
    pub stock: i64,
    /// The uploaded picture's file name; empty for the generated one.
    pub image: String,
}

impl WishlistItem {
    pub fn picture(&self) -> Picture {
        Picture::of(&self.slug, &self.image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i64, stock: i64, price: i64) -> CartLine {
        CartLine {
            sku: "SKU".into(),
            slug: "thing".into(),
            title: "Thing".into(),
            variant: String::new(),
            unit_price: Money::from_minor(price).unwrap(),
            added_price: Money::from_minor(price).unwrap(),
            quantity,
            stock,
            image: String::new(),
        }
    }

    #[test]
    fn quantities_are_whole_numbers_within_the_limit() {
        assert_eq!(Quantity::parse(" 3 ", 99).map(Quantity::get), Ok(3));
        assert_eq!(Quantity::parse("99", 99).map(Quantity::get), Ok(99));
        for bad in [
            "0",
            "-1",
            "1.5",
            "abc",
            "",
            "100",
            "1000",
            "9999999999999999999999",
        ] {
            assert_eq!(
                Quantity::parse(bad, 99),
                Err("Quantity must be a whole number from 1 to 99.".into()),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn lines_that_cannot_be_bought_are_flagged_and_left_out() {
        let cart = CartView {
            lines: vec![line(2, 10, 1_000), line(1, 0, 500), line(4, 3, 100)],
            notices: Vec::new(),
        };
        assert_eq!(cart.lines[0].problem(), None);
        assert!(cart.lines[1].problem().unwrap().starts_with("Out of stock"));
        assert!(cart.lines[2].problem().unwrap().starts_with("Only 3 left"));
        assert_eq!(cart.subtotal().minor(), 2_000);
        assert_eq!(cart.items(), 2);
    }
}
