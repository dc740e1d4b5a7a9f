//! The demo shop after its catalog (`catalog::seed`): a month of simulated browsing
//! (`recommendations::demo`), and customers who bought (three in four of them: delivered orders,
//! `checkout::demo`) and reviewed what they put in their carts, with a realistic spread of stars,
//! verified where they bought. So ratings, the "Customer rating" filter, review sections, sales
//! in the analytics and every recommendation row work on a first start. Demo customers cannot
//! sign in: their password hash is no hash at all.

use crate::{
    accounts::{db::insert_user, model::Email},
    checkout::demo::{PastOrder, delivered},
    platform::{
        auth::Role,
        config::Config,
        db::{Db, now_ms},
    },
    recommendations,
    reviews::db::{ImportedReview, import},
};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Simulated visitors who become customers, and the most products each buys or reviews.
const REVIEWERS: usize = 400;
const REVIEWS_EACH: usize = 3;
/// One customer in this many only reviews; the others buy what they carted first.
const WINDOW_SHOPPERS: usize = 4;
/// How long after the last cart add an order is placed, and after a cart add its review is
/// written (after delivery, for a buyer).
const ORDER_AFTER_MS: i64 = 3_600_000;
const REVIEW_AFTER_MS: i64 = 5 * 86_400_000;

const FIRST_NAMES: [&str; 12] = [
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas", "Kemi", "Luca",
];
const LAST_NAMES: [&str; 10] = [
    "Adams", "Brown", "Costa", "Dubois", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
];

/// What `fill` wrote.
#[derive(Debug)]
pub struct Filled {
    pub events: usize,
    pub customers: usize,
    pub orders: usize,
    pub reviews: u64,
}

/// Writes the demo shop's behaviour, customers, orders and reviews over its catalog.
pub async fn fill(db: &Db, config: &Config, seed: u64) -> Result<Filled, sqlx::Error> {
    let events = recommendations::demo::seed_behaviour(db, seed).await?;
    let carts = recommendations::demo::carted(db, seed, REVIEWERS, REVIEWS_EACH).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let now = now_ms();
    let (mut orders, mut reviews) = (Vec::new(), Vec::new());
    for (n, cart) in carts.iter().enumerate() {
        let name = format!(
            "{} {}",
            FIRST_NAMES[n % FIRST_NAMES.len()],
            LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()]
        );
        let email = Email::parse(&format!("demo-customer-{seed}-{n}@example.com"))
            .map_err(|m| sqlx::Error::Protocol(m.into()))?;
        let user = insert_user(db, &email, &name, "-", Role::Customer, now).await?;
        if n % WINDOW_SHOPPERS != 0 {
            orders.push(PastOrder {
                user,
                name: name.clone(),
                products: cart.iter().map(|&(product, _)| product).collect(),
                at: cart.iter().map(|&(_, at)| at).max().unwrap_or(now) + ORDER_AFTER_MS,
            });
        }
        for &(product, at) in cart {
            let rating = stars(quality(product), rng.random(), rng.random());
            let (title, body) = words(rating, rng.random_range(0..3));
            reviews.push(ImportedReview {
                product,
                user,
                rating,
                title: title.into(),
                body: body.into(),
                at: (at + REVIEW_AFTER_MS).min(now),
            });
        }
    }
    let orders = delivered(db, &orders, config, now, seed).await?;
    let reviews = import(db, &reviews).await?;
    Ok(Filled {
        events,
        customers: carts.len(),
        orders,
        reviews,
    })
}

/// How good a product is, 3.0 to 4.9 stars on average, spread evenly over the catalog.
fn quality(product: i64) -> f64 {
    3.0 + 1.9 * (product as f64 * 0.618_034).fract()
}

/// One shopper's stars for a product of `quality`: mostly near it, and one in twenty a
/// disappointed single star (`fluke`, `noise` in 0..1).
fn stars(quality: f64, fluke: f64, noise: f64) -> i64 {
    if fluke < 0.05 {
        return 1;
    }
    (quality + (noise - 0.5) * 2.4).round().clamp(1.0, 5.0) as i64
}

/// A title and text for a review of `rating` stars; `pick` chooses among three of each.
fn words(rating: i64, pick: usize) -> (&'static str, &'static str) {
    const BY_STARS: [[(&str, &str); 3]; 5] = [
        [
            (
                "Disappointed",
                "Not what I expected. It went back after a week.",
            ),
            (
                "Would not buy again",
                "It stopped working properly within days.",
            ),
            (
                "Poor",
                "The pictures flatter it. The real thing feels cheap.",
            ),
        ],
        [
            (
                "Not great",
                "It does the job, just, but the finish is rough.",
            ),
            (
                "Below average",
                "Smaller than I thought and a little flimsy.",
            ),
            ("Meh", "Works, but I would pick something else next time."),
        ],
        [
            (
                "It's fine",
                "Nothing special, nothing wrong. Fair for the price.",
            ),
            ("Okay", "Does what it says. Delivery was quick."),
            ("Average", "Good enough for everyday use."),
        ],
        [
            (
                "Very good",
                "Well made and looks better than in the photos.",
            ),
            (
                "Happy with it",
                "Does everything I wanted; one small scuff on arrival.",
            ),
            (
                "Good value",
                "Solid quality for the money. Would recommend.",
            ),
        ],
        [
            ("Love it", "Exactly as described and beautifully made."),
            ("Excellent", "Use it every day. Worth every cent."),
            ("Perfect", "Bought one for a friend too."),
        ],
    ];
    let rating = usize::try_from(rating.clamp(1, 5) - 1).unwrap_or_default();
    BY_STARS[rating][pick % 3]
}

#[cfg(test)]
mod tests {
    use super::{quality, stars, words};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn stars_spread_over_the_whole_scale_and_lean_towards_the_good() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0usize; 5];
        for product in 1..=2_000 {
            let rating = stars(quality(product), rng.random(), rng.random());
            counts[usize::try_from(rating - 1).unwrap()] += 1;
        }
        assert!(counts.iter().all(|&n| n > 0), "{counts:?}");
        assert!(
            counts[3] + counts[4] > counts[0] + counts[1] + counts[2],
            "{counts:?}"
        );
        assert_eq!(stars(4.9, 0.01, 1.0), 1, "a fluke");
        assert_eq!(stars(4.9, 0.5, 1.0), 5, "never above five");
    }

    #[test]
    fn products_differ_in_quality_within_range() {
        let all: Vec<f64> = (1..=1_000).map(quality).collect();
        assert!(all.iter().all(|q| (3.0..4.9).contains(q)));
        assert!(all.iter().any(|&q| q < 3.2) && all.iter().any(|&q| q > 4.7));
    }

    #[test]
    fn words_match_their_stars() {
        assert_eq!(words(5, 0).0, "Love it");
        assert_eq!(words(1, 4).0, "Would not buy again");
    }
}
