//! The rebuild: on one node at a time, recent behaviour goes through the engine and every
//! product's nearest neighbours replace the old ones in `product_neighbours`.

use super::{
    db::{self, NeighbourRow, Neighbours},
    engine::{Interaction, Matrix, NEIGHBOURS, popularity},
    model::Build,
};
use crate::platform::db::{Db, now_ms};
use std::time::Instant;

/// How far back "popular this week" looks.
const WEEK_MS: i64 = 7 * 86_400_000;

/// Recomputes every product's neighbours from the behaviour and orders of the last 90 days,
/// and its popularity from the last seven.
pub async fn rebuild(db: &Db) -> Result<Build, sqlx::Error> {
    let started = Instant::now();
    let now = now_ms();
    let interactions = db::interactions(db, now).await?;
    let baskets = db::baskets(db, now).await?;
    let counted = i64::try_from(interactions.len() + baskets.len()).unwrap_or(i64::MAX);
    // The arithmetic takes seconds on a big shop: off the async threads that serve pages.
    let (rows, popularity) = tokio::task::spawn_blocking(move || {
        let mut rows = neighbour_rows(&interactions, Neighbours::Viewed);
        rows.extend(neighbour_rows(&baskets, Neighbours::Bought));
        (rows, popularity(&interactions, now - WEEK_MS))
    })
    .await
    .map_err(|e| sqlx::Error::Protocol(format!("the recommendation rebuild panicked: {e}")))?;
    let products = rows
        .iter()
        .filter(|row| row.kind == Neighbours::Viewed && row.rank == 1)
        .count();
    let build = Build {
        built_at: now,
        interactions: counted,
        products: i64::try_from(products).unwrap_or(i64::MAX),
        took_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    db::replace(db, &rows, &popularity, build).await?;
    Ok(build)
}

/// The `NEIGHBOURS` nearest of each product in `interactions`, ranked from 1.
fn neighbour_rows(interactions: &[Interaction], kind: Neighbours) -> Vec<NeighbourRow> {
    let mut rows = Vec::new();
    Matrix::new(interactions).similar_items(NEIGHBOURS, |product, near| {
        rows.extend(
            near.into_iter()
                .zip(1..)
                .map(|((neighbour, similarity), rank)| NeighbourRow {
                    product,
                    kind,
                    rank,
                    neighbour,
                    score: (f64::from(similarity) * 1e6).round() as i64,
                }),
        );
    });
    rows
}
