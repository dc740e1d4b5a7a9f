//! What recommendation rows are and carry, in the browser and on the server.

use crate::catalog::model::ProductCard;
use serde::{Deserialize, Serialize};

/// Products shown in one row.
pub const PICKS: usize = 8;

/// Which row a pick was shown in: clicks and impressions are counted per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Row {
    AlsoViewed,
    PopularInCategory,
    BoughtTogether,
    RecentlyViewed,
    InspiredByBrowsing,
    PopularThisWeek,
    WithYourCart,
}

impl Row {
    pub const ALL: [Self; 7] = [
        Self::AlsoViewed,
        Self::PopularInCategory,
        Self::BoughtTogether,
        Self::RecentlyViewed,
        Self::InspiredByBrowsing,
        Self::PopularThisWeek,
        Self::WithYourCart,
    ];

    /// The row's name in events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlsoViewed => "also-viewed",
            Self::PopularInCategory => "popular-in-category",
            Self::BoughtTogether => "bought-together",
            Self::RecentlyViewed => "recently-viewed",
            Self::InspiredByBrowsing => "inspired-by-browsing",
            Self::PopularThisWeek => "popular-this-week",
            Self::WithYourCart => "with-your-cart",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|row| row.as_str() == text)
    }

    /// What the row is called, for shoppers and in the admin's report.
    pub fn label(self) -> &'static str {
        match self {
            Self::AlsoViewed => "Customers who viewed this also viewed",
            Self::PopularInCategory => "Popular in its category",
            Self::BoughtTogether => "Frequently bought together",
            Self::RecentlyViewed => "Recently viewed",
            Self::InspiredByBrowsing => "Inspired by your browsing",
            Self::PopularThisWeek => "Popular this week",
            Self::WithYourCart => "You may also like",
        }
    }
}

/// A row of recommended products and why they are there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picks {
    pub row: Row,
    pub heading: String,
    pub products: Vec<ProductCard>,
}

impl Picks {
    /// The products of `row`, under its own label.
    pub fn new(row: Row, products: Vec<ProductCard>) -> Self {
        Self {
            row,
            heading: row.label().into(),
            products,
        }
    }
}

/// A product and the one most often bought with it, both with a single variant, in stock and
/// not in the cart, so "Add both to cart" needs no choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Together {
    pub this: ProductCard,
    pub other: ProductCard,
}

/// What one rebuild of the neighbour table did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    pub built_at: i64,
    pub interactions: i64,
    pub products: i64,
    pub took_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::Row;

    #[test]
    fn every_row_reads_back_from_its_name() {
        for row in Row::ALL {
            assert_eq!(Row::parse(row.as_str()), Some(row));
        }
        assert_eq!(Row::parse("also_viewed"), None);
    }
}
