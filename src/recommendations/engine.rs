//! Item-to-item collaborative filtering, after Amazon's (Linden, Smith & York, IEEE Internet
//! Computing 2003): the similarity of two products is the cosine of their columns in the
//! shopper × product matrix, computed offline for every product, and a page only looks up a
//! product's nearest neighbours. A cell holds the strongest thing a shopper did with a product
//! (viewed 1, carted 3, bought 5). Cosine divides by both products' weight, so a best seller is
//! not everyone's neighbour; a pair only a few shoppers share is shrunk towards zero
//! (× n / (n + `SHRINK`)), so one shopper's odd pair does not outrank a pattern.

use std::collections::{HashMap, HashSet};

/// How strongly each kind of behaviour shows interest.
pub const VIEWED: f32 = 1.0;
pub const CARTED: f32 = 3.0;
pub const BOUGHT: f32 = 5.0;

/// Neighbours kept per product.
pub const NEIGHBOURS: usize = 50;
/// A shopper's most recent products taken into account: the work per shopper grows with the
/// square of this, so one very busy visitor (or a crawler) cannot slow a rebuild down.
pub const ITEMS_PER_SHOPPER: usize = 100;
/// Shrinkage of pairs few shoppers share.
const SHRINK: f32 = 2.0;

/// Something a shopper (`actor`: an account or a visitor) did with a product, at a time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interaction {
    pub actor: i64,
    pub item: i64,
    pub weight: f32,
    pub at: i64,
}

/// The shopper × product matrix, stored both ways, with dense indices.
pub struct Matrix {
    items: Vec<i64>,
    by_actor: Vec<Vec<(u32, f32)>>,
    by_item: Vec<Vec<(u32, f32)>>,
    norms: Vec<f32>,
}

impl Matrix {
    /// The matrix of `interactions`: per shopper and product the strongest weight, and per
    /// shopper only the `ITEMS_PER_SHOPPER` products they touched last.
    pub fn new(interactions: &[Interaction]) -> Self {
        let mut actors: HashMap<i64, HashMap<i64, (f32, i64)>> = HashMap::new();
        for i in interactions {
            let cell = actors
                .entry(i.actor)
                .or_default()
                .entry(i.item)
                .or_insert((0.0, i64::MIN));
            cell.0 = cell.0.max(i.weight);
            cell.1 = cell.1.max(i.at);
        }
        let mut index: HashMap<i64, u32> = HashMap::new();
        let mut items = Vec::new();
        let mut by_actor = Vec::with_capacity(actors.len());
        for cells in actors.into_values() {
            let mut cells: Vec<(i64, f32, i64)> = cells
                .into_iter()
                .map(|(item, (w, at))| (item, w, at))
                .collect();
            if cells.len() > ITEMS_PER_SHOPPER {
                cells.sort_unstable_by_key(|&(item, _, at)| (std::cmp::Reverse(at), item));
                cells.truncate(ITEMS_PER_SHOPPER);
            }
            let row = cells
                .into_iter()
                .map(|(item, weight, _)| {
                    let next = u32::try_from(items.len()).expect("fewer than 2^32 products");
                    let ix = *index.entry(item).or_insert_with(|| {
                        items.push(item);
                        next
                    });
                    (ix, weight)
                })
                .collect();
            by_actor.push(row);
        }
        let mut by_item = vec![Vec::new(); items.len()];
        let mut norms = vec![0f32; items.len()];
        for (actor, row) in by_actor.iter().enumerate() {
            for &(item, weight) in row {
                by_item[item as usize].push((actor as u32, weight));
                norms[item as usize] += weight * weight;
            }
        }
        norms.iter_mut().for_each(|n| *n = n.sqrt());
        Self {
            items,
            by_actor,
            by_item,
            norms,
        }
    }

    /// Products in the matrix.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many shoppers touched each product, most first: the popularity baseline.
    pub fn popular(&self) -> Vec<i64> {
        let mut counted: Vec<(usize, i64)> = self
            .by_item
            .iter()
            .zip(&self.items)
            .map(|(actors, &item)| (actors.len(), item))
            .collect();
        counted.sort_unstable_by_key(|&(n, item)| (std::cmp::Reverse(n), item));
        counted.into_iter().map(|(_, item)| item).collect()
    }

    /// Calls `emit` with each product and its `k` most similar products, best first. The work
    /// is the sum over shoppers of their product count squared; memory is one row of scores.
    pub fn similar_items(&self, k: usize, mut emit: impl FnMut(i64, Vec<(i64, f32)>)) {
        let mut dot = vec![0f32; self.items.len()];
        let mut shared = vec![0u32; self.items.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (i, actors) in self.by_item.iter().enumerate() {
            for &(actor, wi) in actors {
                for &(j, wj) in &self.by_actor[actor as usize] {
                    if j as usize == i {
                        continue;
                    }
                    if shared[j as usize] == 0 {
                        touched.push(j);
                    }
                    dot[j as usize] += wi * wj;
                    shared[j as usize] += 1;
                }
            }
            let mut scored: Vec<(i64, f32)> = touched
                .iter()
                .map(|&j| {
                    let (j, n) = (j as usize, shared[j as usize] as f32);
                    let cosine = dot[j] / (self.norms[i] * self.norms[j]);
                    (self.items[j], cosine * n / (n + SHRINK))
                })
                .collect();
            top(&mut scored, k);
            for &j in &touched {
                dot[j as usize] = 0.0;
                shared[j as usize] = 0;
            }
            touched.clear();
            emit(self.items[i], scored);
        }
    }
}

/// Keeps the `k` best of `scored`, best first (ties by id, so results never depend on order).
fn top(scored: &mut Vec<(i64, f32)>, k: usize) {
    let order = |a: &(i64, f32), b: &(i64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if scored.len() > k {
        scored.select_nth_unstable_by(k, order);
        scored.truncate(k);
    }
    scored.sort_unstable_by(order);
}

/// The `n` products whose neighbours a shopper's `history` (products, weights) points at most,
/// leaving out `exclude`: each history product adds its weight × similarity to its neighbours.
pub fn blend(
    history: &[(i64, f32)],
    neighbours: &HashMap<i64, Vec<(i64, f32)>>,
    exclude: &HashSet<i64>,
    n: usize,
) -> Vec<i64> {
    let mut scores: HashMap<i64, f32> = HashMap::new();
    for (item, weight) in history {
        for &(other, similarity) in neighbours.get(item).map(Vec::as_slice).unwrap_or(&[]) {
            if !exclude.contains(&other) {
                *scores.entry(other).or_default() += weight * similarity;
            }
        }
    }
    let mut scored: Vec<(i64, f32)> = scores.into_iter().collect();
    top(&mut scored, n);
    scored.into_iter().map(|(item, _)| item).collect()
}

/// Each product's popularity since `since`: the sum of the weights of what shoppers did with
/// it (a view 1, a cart add 3, a purchase 5), by product id.
pub fn popularity(interactions: &[Interaction], since: i64) -> Vec<(i64, i64)> {
    let mut scores: HashMap<i64, f32> = HashMap::new();
    for i in interactions.iter().filter(|i| i.at >= since) {
        *scores.entry(i.item).or_default() += i.weight;
    }
    let mut scores: Vec<(i64, i64)> = scores
        .into_iter()
        .map(|(item, score)| (item, score.round() as i64))
        .collect();
    scores.sort_unstable();
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saw(actor: i64, items: &[i64]) -> Vec<Interaction> {
        items
            .iter()
            .enumerate()
            .map(|(at, &item)| Interaction {
                actor,
                item,
                weight: VIEWED,
                at: at as i64,
            })
            .collect()
    }

    fn neighbours(interactions: &[Interaction]) -> HashMap<i64, Vec<(i64, f32)>> {
        let mut all = HashMap::new();
        Matrix::new(interactions).similar_items(NEIGHBOURS, |item, near| {
            all.insert(item, near);
        });
        all
    }

    #[test]
    fn popularity_adds_up_what_shoppers_did_lately_with_each_product() {
        let mut interactions = saw(1, &[10, 20]);
        interactions.extend(saw(2, &[20]));
        interactions.push(Interaction {
            actor: 3,
            item: 30,
            weight: BOUGHT,
            at: 5,
        });
        interactions.push(Interaction {
            actor: 3,
            item: 40,
            weight: CARTED,
            at: -1,
        });
        assert_eq!(popularity(&interactions, 0), [(10, 1), (20, 2), (30, 5)]);
    }

    #[test]
    fn products_shared_by_more_shoppers_are_nearer() {
        let mut events = Vec::new();
        for actor in 0..4 {
            events.extend(saw(actor, &[1, 2]));
        }
        events.extend(saw(10, &[1, 3]));
        let near = neighbours(&events);
        let of_1: Vec<i64> = near[&1].iter().map(|&(item, _)| item).collect();
        assert_eq!(of_1, [2, 3]);
        assert!(
            near[&2].iter().all(|&(item, _)| item != 3),
            "2 and 3 share nobody"
        );
    }

    #[test]
    fn a_best_seller_is_not_everyones_nearest_neighbour() {
        // Everyone views 99; the shoppers of 1 also view 2, and few others do.
        let mut events = Vec::new();
        for actor in 0..50 {
            events.extend(saw(actor, &[99]));
        }
        for actor in 0..5 {
            events.extend(saw(actor, &[1, 2]));
        }
        let near = neighbours(&events);
        assert_eq!(near[&1][0].0, 2, "{:?}", near[&1]);
    }

    #[test]
    fn the_strongest_signal_counts_once_per_shopper_and_product() {
        let mut events = saw(1, &[1, 1, 1, 2]);
        events.push(Interaction {
            actor: 1,
            item: 1,
            weight: BOUGHT,
            at: 9,
        });
        let matrix = Matrix::new(&events);
        assert_eq!(matrix.len(), 2);
        assert_eq!(matrix.by_actor[0].len(), 2);
        let weight_of_1 = matrix.by_actor[0]
            .iter()
            .find(|&&(ix, _)| matrix.items[ix as usize] == 1)
            .unwrap()
            .1;
        assert_eq!(weight_of_1, BOUGHT);
    }

    #[test]
    fn only_a_shoppers_latest_products_count() {
        let items: Vec<i64> = (0..ITEMS_PER_SHOPPER as i64 + 20).collect();
        let matrix = Matrix::new(&saw(7, &items));
        assert_eq!(matrix.len(), ITEMS_PER_SHOPPER);
        assert!(!matrix.items.contains(&0), "the oldest products fall out");
    }

    #[test]
    fn blending_adds_up_neighbours_of_the_history_and_skips_the_excluded() {
        let neighbours =
            HashMap::from([(1, vec![(3, 0.5), (4, 0.4)]), (2, vec![(4, 0.4), (5, 0.9)])]);
        let picks = blend(&[(1, 1.0), (2, 1.0)], &neighbours, &HashSet::from([5]), 10);
        assert_eq!(picks, [4, 3]);
        assert_eq!(blend(&[(1, 1.0)], &neighbours, &HashSet::new(), 1), [3]);
    }

    #[test]
    fn the_most_similar_come_first_and_at_most_k() {
        let mut scored = vec![(1, 0.1), (2, 0.9), (3, 0.5), (4, 0.9)];
        top(&mut scored, 3);
        assert_eq!(scored, [(2, 0.9), (4, 0.9), (3, 0.5)]);
    }
}
