//! Search requests and results as they travel between browser and server.

use crate::{
    catalog::model::{ProductCard, is_slug},
    platform::money::Money,
    ui::encode_query,
};
use serde::{Deserialize, Serialize};

/// Results on one page.
pub const PAGE_SIZE: usize = 24;
/// Pages beyond this are not served (deep paging is for robots, not shoppers).
pub const MAX_PAGE: usize = 400;
/// Longer queries are cut here; nobody types more.
pub const MAX_QUERY_CHARS: usize = 200;
/// Search uses at most this many words of the query.
pub const MAX_TERMS: usize = 10;

/// How results are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Rating,
    Newest,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Relevance,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Rating,
        Sort::Newest,
    ];

    /// The value in the URL.
    pub fn key(self) -> &'static str {
        match self {
            Self::Relevance => "relevance",
            Self::PriceAsc => "price_asc",
            Self::PriceDesc => "price_desc",
            Self::Rating => "rating",
            Self::Newest => "newest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Relevance => "Relevance",
            Self::PriceAsc => "Price: low to high",
            Self::PriceDesc => "Price: high to low",
            Self::Rating => "Customer rating",
            Self::Newest => "Newest",
        }
    }

    fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// The query string exactly as it arrived: every filter and the sort live in the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawSearch {
    pub q: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    pub rating: Option<String>,
    pub in_stock: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
}

impl RawSearch {
    /// Reads each parameter through `get`, e.g. from a URL's query map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            q: get("q"),
            category: get("category"),
            brand: get("brand"),
            min_price: get("min_price"),
            max_price: get("max_price"),
            rating: get("rating"),
            in_stock: get("in_stock"),
            sort: get("sort"),
            page: get("page"),
        }
    }

    /// From `(name, value)` pairs.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self::from_lookup(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    }
}

/// A validated search. Built only by `SearchRequest::parse`, which turns every bad value into
/// a notice for the shopper and a sensible default, never an error page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub text: String,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    /// Minimum average rating, 1–5 stars.
    pub rating: Option<u8>,
    pub in_stock: bool,
    pub sort: Sort,
    /// 1-based.
    pub page: usize,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl SearchRequest {
    /// Validates the URL's values. Returns the request and what was wrong with the input.
    pub fn parse(raw: &RawSearch) -> (Self, Vec<String>) {
        let mut notices = Vec::new();
        let mut text: String = raw.q.as_deref().unwrap_or_default().trim().to_owned();
        if text.chars().count() > MAX_QUERY_CHARS {
            text = text.chars().take(MAX_QUERY_CHARS).collect();
            notices.push(format!(
                "Your search was shortened to its first {MAX_QUERY_CHARS} characters."
            ));
        }
        let slug = |value: &Option<String>, what: &str, notices: &mut Vec<String>| match non_empty(
            value,
        ) {
            Some(s) if is_slug(s) => Some(s.to_owned()),
            Some(_) => {
                notices.push(format!("That {what} doesn't exist, so it was ignored."));
                None
            }
            None => None,
        };
        let category = slug(&raw.category, "category", &mut notices);
        let brand = slug(&raw.brand, "brand", &mut notices);
        let mut price = |value: &Option<String>, what: &str| match non_empty(value) {
            Some(text) => match Money::parse(text) {
                Ok(money) => Some(money),
                Err(_) => {
                    notices.push(format!(
                        "{what} must be an amount like 25 or 19.99, so it was ignored."
                    ));
                    None
                }
            },
            None => None,
        };
        let mut min_price = price(&raw.min_price, "Min price");
        let mut max_price = price(&raw.max_price, "Max price");
        if let (Some(min), Some(max)) = (min_price, max_price)
            && min > max
        {
            notices.push("Min price was above max price, so the two were swapped.".into());
            (min_price, max_price) = (Some(max), Some(min));
        }
        let rating = match non_empty(&raw.rating) {
            Some(text) => match text.parse::<u8>() {
                Ok(stars @ 1..=5) => Some(stars),
                _ => {
                    notices.push("Minimum rating must be 1 to 5 stars, so it was ignored.".into());
                    None
                }
            },
            None => None,
        };
        let in_stock = matches!(non_empty(&raw.in_stock), Some("1" | "true" | "on" | "yes"));
        let sort = match non_empty(&raw.sort) {
            Some(key) => Sort::parse(key).unwrap_or_else(|| {
                notices.push(
                    "That sort order doesn't exist, so results are sorted by relevance.".into(),
                );
                Sort::Relevance
            }),
            None => Sort::Relevance,
        };
        let page = match non_empty(&raw.page) {
            Some(text) => match text.parse::<usize>() {
                Ok(page @ 1..=MAX_PAGE) => page,
                Ok(0) | Err(_) => {
                    notices.push("That page number isn't valid, so here is the first page.".into());
                    1
                }
                Ok(_) => {
                    notices.push(format!("Only the first {MAX_PAGE} pages can be shown."));
                    MAX_PAGE
                }
            },
            None => 1,
        };
        let request = Self {
            text,
            category,
            brand,
            min_price,
            max_price,
            rating,
            in_stock,
            sort,
            page,
        };
        (request, notices)
    }

    /// The URL of this search with some values changed: for facet links and pagination.
    pub fn url_with(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut next = self.clone();
        change(&mut next);
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !next.text.is_empty() {
            pairs.push(("q", next.text.clone()));
        }
        if let Some(c) = &next.category {
            pairs.push(("category", c.clone()));
        }
        if let Some(b) = &next.brand {
            pairs.push(("brand", b.clone()));
        }
        if let Some(p) = next.min_price {
            pairs.push(("min_price", dollars(p)));
        }
        if let Some(p) = next.max_price {
            pairs.push(("max_price", dollars(p)));
        }
        if let Some(r) = next.rating {
            pairs.push(("rating", r.to_string()));
        }
        if next.in_stock {
            pairs.push(("in_stock", "1".into()));
        }
        if next.sort != Sort::Relevance {
            pairs.push(("sort", next.sort.key().into()));
        }
        if next.page > 1 {
            pairs.push(("page", next.page.to_string()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_query(v)))
            .collect();
        if query.is_empty() {
            "/search".into()
        } else {
            format!("/search?{}", query.join("&"))
        }
    }

    /// The address search engines should index for this listing: filters and order dropped, so
    /// every filtered view of one search or one category points at the same page. A listing
    /// narrowed only by category is that category's page.
    pub fn canonical(&self) -> String {
        match (&self.category, self.text.is_empty()) {
            (Some(slug), true) if self.page > 1 => format!("/c/{slug}?page={}", self.page),
            (Some(slug), true) => format!("/c/{slug}"),
            _ => self.url_with(|r| {
                *r = Self {
                    text: r.text.clone(),
                    page: r.page,
                    ..Self::default()
                }
            }),
        }
    }
}

/// Minor units as the dollars a shopper types: 2500 → "25", 1999 → "19.99".
pub fn dollars(money: Money) -> String {
    let (whole, cents) = (money.minor() / 100, money.minor() % 100);
    if cents == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{cents:02}")
    }
}

/// A product offered while typing in the search box.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub title: String,
    pub slug: String,
}

/// Suggestions shown at most.
pub const MAX_SUGGESTIONS: usize = 8;

/// One value of a facet and how many results have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    /// What goes in the URL (a slug, or a number for bands and ratings).
    pub key: String,
    pub label: String,
    pub count: u64,
}

/// A price band offered as a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBand {
    pub min: Option<Money>,
    pub max: Option<Money>,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub categories: Vec<FacetCount>,
    pub brands: Vec<FacetCount>,
    pub price_bands: Vec<PriceBand>,
    /// "4 stars & up" … "1 star & up".
    pub ratings: Vec<FacetCount>,
}

/// A page of results.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub request: SearchRequest,
    pub notices: Vec<String>,
    pub total: u64,
    pub items: Vec<ProductCard>,
    pub facets: Facets,
    /// The category the search is scoped to, from the department down.
    pub trail: Vec<crate::catalog::model::CategoryLink>,
    /// A corrected query when this one found nothing because of unknown words.
    pub did_you_mean: Option<String>,
}

impl SearchResults {
    pub fn pages(&self) -> usize {
        let pages = usize::try_from(self.total)
            .unwrap_or(usize::MAX)
            .div_ceil(PAGE_SIZE);
        pages.clamp(1, MAX_PAGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_request_has_no_notices() {
        let (request, notices) = SearchRequest::parse(&RawSearch::from_pairs(&[
            ("q", " laptop "),
            ("category", "computers"),
            ("min_price", "25"),
            ("max_price", "99.5"),
            ("rating", "4"),
            ("in_stock", "1"),
            ("sort", "price_asc"),
            ("page", "3"),
        ]));
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(request.text, "laptop");
        assert_eq!(request.min_price.unwrap().minor(), 2500);
        assert_eq!(request.max_price.unwrap().minor(), 9950);
        assert_eq!(
            (request.rating, request.in_stock, request.sort, request.page),
            (Some(4), true, Sort::PriceAsc, 3)
        );
    }

    #[test]
    fn bad_values_become_notices_and_defaults() {
        let (request, notices) = SearchRequest::parse(&RawSearch::from_pairs(&[
            ("q", &"x".repeat(10_000)),
            ("category", "' OR 1=1 --"),
            ("min_price", "-5"),
            ("max_price", "abc"),
            ("rating", "9"),
            ("sort", "cheapest"),
            ("page", "1000000000"),
        ]));
        assert_eq!(notices.len(), 7, "{notices:?}");
        assert_eq!(request.text.len(), MAX_QUERY_CHARS);
        assert_eq!(request.category, None);
        assert_eq!(
            (request.min_price, request.max_price, request.rating),
            (None, None, None)
        );
        assert_eq!((request.sort, request.page), (Sort::Relevance, MAX_PAGE));
    }

    #[test]
    fn a_reversed_price_range_is_swapped() {
        let (request, notices) = SearchRequest::parse(&RawSearch::from_pairs(&[
            ("min_price", "100"),
            ("max_price", "20"),
        ]));
        assert_eq!(notices.len(), 1);
        assert_eq!(request.min_price.unwrap().minor(), 2000);
        assert_eq!(request.max_price.unwrap().minor(), 10000);
    }

    #[test]
    fn urls_round_trip_through_the_parser() {
        let (request, _) = SearchRequest::parse(&RawSearch::from_pairs(&[
            ("q", "red shoes"),
            ("brand", "acme"),
            ("max_price", "49.99"),
            ("sort", "newest"),
        ]));
        let url = request.url_with(|r| r.page = 2);
        assert_eq!(
            url,
            "/search?q=red+shoes&brand=acme&max_price=49.99&sort=newest&page=2"
        );
    }

    #[test]
    fn a_filtered_listing_names_its_unfiltered_page_for_search_engines() {
        let canonical = |pairs: &[(&str, &str)]| {
            SearchRequest::parse(&RawSearch::from_pairs(pairs))
                .0
                .canonical()
        };
        assert_eq!(
            canonical(&[("q", "red shoes"), ("brand", "acme"), ("sort", "newest")]),
            "/search?q=red+shoes"
        );
        assert_eq!(
            canonical(&[("q", "mug"), ("category", "kitchen"), ("page", "3")]),
            "/search?q=mug&page=3"
        );
        assert_eq!(
            canonical(&[("category", "kitchen"), ("in_stock", "1")]),
            "/c/kitchen"
        );
        assert_eq!(
            canonical(&[("category", "kitchen"), ("page", "2")]),
            "/c/kitchen?page=2"
        );
        assert_eq!(canonical(&[("rating", "4")]), "/search");
    }
}
