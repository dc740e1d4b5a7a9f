//! Reviews: the form a shopper posts, and what the product page shows of them.

use crate::{catalog::model::average_tenths, error::FieldError};
use serde::{Deserialize, Serialize};

/// Longest review title, in characters.
pub const MAX_TITLE: usize = 120;
/// Longest review text, in characters.
pub const MAX_BODY: usize = 5_000;
/// Reviews on one page of a product's list.
pub const REVIEWS_PAGE_SIZE: i64 = 10;

/// The review form as posted (`review[rating]`, `review[title]`, `review[body]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

/// A checked review: 1–5 stars, a title of at most 120 characters, text of 1–5,000.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewInput {
    pub rating: i64,
    pub title: String,
    pub body: String,
}

impl ReviewForm {
    /// The review, or a message for every field that is wrong.
    pub fn check(&self) -> Result<ReviewInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let rating = match self.rating.trim().parse::<i64>() {
            Ok(stars @ 1..=5) => stars,
            _ => {
                errors.push(FieldError::new("rating", "Choose from 1 to 5 stars."));
                0
            }
        };
        let title = self.title.trim().to_owned();
        if title.chars().count() > MAX_TITLE {
            errors.push(FieldError::new(
                "title",
                "Keep the title to 120 characters.",
            ));
        }
        let body = self.body.trim().to_owned();
        if body.is_empty() {
            errors.push(FieldError::new(
                "body",
                "Tell other shoppers what you think.",
            ));
        } else if body.chars().count() > MAX_BODY {
            errors.push(FieldError::new(
                "body",
                "Keep the review to 5,000 characters.",
            ));
        }
        if errors.is_empty() {
            Ok(ReviewInput {
                rating,
                title,
                body,
            })
        } else {
            Err(errors)
        }
    }
}

/// A product's ratings: how many, the average, and how many gave each number of stars.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingSummary {
    pub count: i64,
    /// Average stars times ten (43 = 4.3), when there are ratings.
    pub tenths: Option<i64>,
    /// Ratings with 1, 2, 3, 4 and 5 stars, in that order.
    pub by_stars: [i64; 5],
}

impl RatingSummary {
    pub fn from_counts(by_stars: [i64; 5]) -> Self {
        let count: i64 = by_stars.iter().sum();
        let total: i64 = (1..).zip(by_stars).map(|(stars, n)| stars * n).sum();
        Self {
            count,
            tenths: average_tenths(total, count),
            by_stars,
        }
    }

    /// The share of ratings with `stars` stars, in whole percent.
    pub fn percent(&self, stars: usize) -> i64 {
        if self.count == 0 || !(1..=5).contains(&stars) {
            return 0;
        }
        (self.by_stars[stars - 1] * 100 + self.count / 2) / self.count
    }
}

/// `4.3`: an average in tenths of a star, as people read it.
pub fn format_tenths(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Five stars, filled up to `rating`: `★★★★☆`. Shown with a text alternative.
pub fn stars(rating: i64) -> String {
    (1..=5)
        .map(|n| if n <= rating { '★' } else { '☆' })
        .collect()
}

/// One review as shown on the product page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: i64,
    /// The author's first name and last initial ("Ann L."), never the email.
    pub author: String,
    pub rating: i64,
    pub title: String,
    pub body: String,
    pub verified: bool,
    pub created_at: i64,
}

/// What the product page's review section shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewsView {
    pub summary: RatingSummary,
    pub reviews: Vec<Review>,
    pub page: i64,
    pub pages: i64,
    /// The signed-in shopper's own review, to edit or delete.
    pub mine: Option<Review>,
    pub signed_in: bool,
    /// Admins may remove any review.
    pub moderator: bool,
}

/// "Ann Lee" → "Ann L.": enough to tell reviewers apart without publishing full names.
pub fn public_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    match (words.next(), words.last()) {
        (Some(first), Some(last)) => {
            let initial: String = last.chars().take(1).collect();
            format!("{first} {initial}.")
        }
        (Some(first), None) => first.to_owned(),
        // Only a deleted account has no name.
        _ => "Former customer".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(rating: &str, title: &str, body: &str) -> ReviewForm {
        ReviewForm {
            rating: rating.into(),
            title: title.into(),
            body: body.into(),
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn reviews_need_one_to_five_stars_and_some_text() {
        let ok = form(" 4 ", " Solid ", " Does the job. ").check().unwrap();
        assert_eq!(
            ok,
            ReviewInput {
                rating: 4,
                title: "Solid".into(),
                body: "Does the job.".into()
            }
        );
        for bad in ["0", "6", "-1", "4.5", "five", ""] {
            assert_eq!(
                fields(form(bad, "", "Fine.").check().unwrap_err()),
                ["rating"],
                "{bad:?}"
            );
        }
        assert_eq!(fields(form("5", "", "   ").check().unwrap_err()), ["body"]);
        let long_title = "t".repeat(MAX_TITLE + 1);
        let long_body = "b".repeat(MAX_BODY + 1);
        assert_eq!(
            fields(form("x", &long_title, &long_body).check().unwrap_err()),
            ["rating", "title", "body"]
        );
        assert!(form("1", &"é".repeat(MAX_TITLE), "ok").check().is_ok());
    }

    #[test]
    fn summaries_average_and_split_the_ratings() {
        let summary = RatingSummary::from_counts([1, 0, 0, 1, 2]);
        assert_eq!(summary.count, 4);
        assert_eq!(summary.tenths, Some(38), "(1 + 4 + 10) / 4 = 3.75, rounded");
        assert_eq!(summary.percent(5), 50);
        assert_eq!(summary.percent(2), 0);
        assert_eq!(summary.percent(0), 0);
        assert_eq!(format_tenths(38), "3.8");
        let none = RatingSummary::from_counts([0; 5]);
        assert_eq!((none.count, none.tenths, none.percent(5)), (0, None, 0));
    }

    #[test]
    fn authors_show_a_first_name_and_an_initial() {
        assert_eq!(public_name("Ann Lee"), "Ann L.");
        assert_eq!(public_name("  Mary Ann  van Dyke "), "Mary D.");
        assert_eq!(public_name("Cher"), "Cher");
        assert_eq!(public_name(" "), "Former customer");
        assert_eq!(public_name("Émile Ürs"), "Émile Ü.");
        assert_eq!(stars(3), "★★★☆☆");
    }
}
