//! Offline evaluation: is the engine better than a list of best sellers? Each shopper's last
//! product is held out, the engine learns from everything else, and for each shopper both the
//! engine (blending the neighbours of what they did) and the popularity baseline (the most
//! touched products) rank ten products they have not touched yet. Hit rate @10 is how often the
//! held-out product is among the ten; NDCG @10 also rewards ranking it high (1 / log2(rank + 1),
//! one relevant product per shopper). `simulate` makes behaviour with known structure: shoppers
//! with tastes over categories, for the tests, the benchmark and the demo shop.

use super::engine::{BOUGHT, CARTED, Interaction, Matrix, NEIGHBOURS, VIEWED, blend};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::collections::{HashMap, HashSet};

/// Products each method ranks for a shopper.
pub const TOP: usize = 10;

/// How well a method found the held-out products.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Scores {
    pub hit_rate: f64,
    pub ndcg: f64,
}

/// The engine against the popularity baseline, over `shoppers` held-out products.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    pub shoppers: usize,
    pub engine: Scores,
    pub popularity: Scores,
}

/// The table `emporium recs evaluate` and the benchmark print.
impl std::fmt::Display for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} shoppers, each with their last product held out",
            self.shoppers
        )?;
        writeln!(f, "method       hit rate@10   NDCG@10")?;
        for (method, scores) in [("engine", self.engine), ("popularity", self.popularity)] {
            writeln!(
                f,
                "{method:<12} {:>11.3}   {:>7.3}",
                scores.hit_rate, scores.ndcg
            )?;
        }
        Ok(())
    }
}

impl Scores {
    fn add(&mut self, ranked: &[i64], held_out: i64) {
        if let Some(rank) = ranked.iter().position(|&item| item == held_out) {
            self.hit_rate += 1.0;
            self.ndcg += 1.0 / ((rank + 2) as f64).log2();
        }
    }

    fn averaged(self, shoppers: usize) -> Self {
        let n = shoppers.max(1) as f64;
        Self {
            hit_rate: self.hit_rate / n,
            ndcg: self.ndcg / n,
        }
    }
}

/// Holds out each shopper's last product (shoppers with at least two products), trains on the
/// rest and scores both methods.
pub fn evaluate(interactions: &[Interaction]) -> Evaluation {
    let mut by_actor: HashMap<i64, Vec<&Interaction>> = HashMap::new();
    for i in interactions {
        by_actor.entry(i.actor).or_default().push(i);
    }
    let mut held_out: HashMap<i64, i64> = HashMap::new();
    for (actor, done) in &by_actor {
        let last = done
            .iter()
            .max_by_key(|i| (i.at, i.item))
            .expect("every actor did something");
        if done.iter().any(|i| i.item != last.item) {
            held_out.insert(*actor, last.item);
        }
    }
    // Everything but the held-out products: a shopper who viewed it before buying it last keeps
    // none of it, so the answer is not in the question.
    let train: Vec<Interaction> = interactions
        .iter()
        .filter(|i| held_out.get(&i.actor) != Some(&i.item))
        .copied()
        .collect();
    let matrix = Matrix::new(&train);
    let mut neighbours = HashMap::with_capacity(matrix.len());
    matrix.similar_items(NEIGHBOURS, |item, near| {
        neighbours.insert(item, near);
    });
    let popular = matrix.popular();

    let mut history: HashMap<i64, HashMap<i64, f32>> = HashMap::new();
    for i in &train {
        let weight = history
            .entry(i.actor)
            .or_default()
            .entry(i.item)
            .or_default();
        *weight = weight.max(i.weight);
    }
    let (mut engine, mut popularity) = (Scores::default(), Scores::default());
    for (actor, &target) in &held_out {
        let done = &history[actor];
        let seen: HashSet<i64> = done.keys().copied().collect();
        let mut past: Vec<(i64, f32)> = done.iter().map(|(&item, &w)| (item, w)).collect();
        past.sort_unstable_by_key(|&(item, _)| item);
        engine.add(&blend(&past, &neighbours, &seen, TOP), target);
        let best_sellers: Vec<i64> = popular
            .iter()
            .filter(|item| !seen.contains(item))
            .take(TOP)
            .copied()
            .collect();
        popularity.add(&best_sellers, target);
    }
    let shoppers = held_out.len();
    Evaluation {
        shoppers,
        engine: engine.averaged(shoppers),
        popularity: popularity.averaged(shoppers),
    }
}

/// Behaviour with known structure: `shoppers` shoppers who each like two of the `categories`
/// (each a run of `per_category` product ids from 1), and do `per_shopper` things: mostly with
/// products of their categories, sometimes with a best seller of any; within a category some
/// products are much more popular than others (Zipf). About one in four views leads to a cart,
/// and a third of those to a purchase. The same `seed` gives the same behaviour.
pub fn simulate(
    seed: u64,
    shoppers: usize,
    categories: usize,
    per_category: usize,
    per_shopper: usize,
) -> Vec<Interaction> {
    let mut rng = StdRng::seed_from_u64(seed);
    let zipf = |rng: &mut StdRng, n: usize| -> usize {
        // Inverse-transform sampling of 1/(rank+1) weights, by rejection: cheap for small n.
        loop {
            let rank = rng.random_range(0..n);
            if rng.random::<f64>() < 1.0 / (rank as f64 + 1.0) {
                return rank;
            }
        }
    };
    let mut out = Vec::with_capacity(shoppers * per_shopper * 2);
    let mut at = 0;
    for actor in 0..shoppers as i64 {
        let tastes = [
            rng.random_range(0..categories),
            rng.random_range(0..categories),
        ];
        for _ in 0..per_shopper {
            let item = if rng.random::<f64>() < 0.85 {
                let category = tastes[rng.random_range(0..2)];
                (category * per_category + zipf(&mut rng, per_category)) as i64 + 1
            } else {
                zipf(&mut rng, categories * per_category) as i64 + 1
            };
            at += 1;
            out.push(Interaction {
                actor,
                item,
                weight: VIEWED,
                at,
            });
            if rng.random::<f64>() < 0.25 {
                at += 1;
                let weight = if rng.random::<f64>() < 0.33 {
                    BOUGHT
                } else {
                    CARTED
                };
                out.push(Interaction {
                    actor,
                    item,
                    weight,
                    at,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_finds_tastes_that_a_best_seller_list_cannot() {
        let behaviour = simulate(7, 600, 20, 30, 12);
        let result = evaluate(&behaviour);
        assert!(result.shoppers > 500, "{result:?}");
        assert!(
            result.engine.hit_rate >= 2.0 * result.popularity.hit_rate,
            "{result:?}"
        );
        assert!(result.engine.ndcg > result.popularity.ndcg, "{result:?}");
    }

    #[test]
    fn a_held_out_product_found_first_scores_a_full_hit() {
        // Nine shoppers view 1 then 2, then something nobody else views (held out, not
        // findable); the tenth views 1 then 2, and that 2 is held out.
        let mut events = Vec::new();
        for actor in 0..10 {
            let mut done = vec![(1, 1), (2, 2)];
            if actor < 9 {
                done.push((3, 100 + actor));
            }
            for (at, item) in done {
                events.push(Interaction {
                    actor,
                    item,
                    weight: VIEWED,
                    at,
                });
            }
        }
        let result = evaluate(&events);
        assert_eq!(result.shoppers, 10);
        assert_eq!(
            result.engine,
            Scores {
                hit_rate: 0.1,
                ndcg: 0.1
            }
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_behaviour() {
        assert_eq!(simulate(3, 20, 4, 5, 6), simulate(3, 20, 4, 5, 6));
        assert_ne!(simulate(3, 20, 4, 5, 6), simulate(4, 20, 4, 5, 6));
    }
}
