//! Keeping every node's index in step with the database.
//!
//! Catalog writes append to `catalog_changes` in their own transaction. The node that wrote
//! re-indexes at once; every node (itself included) also polls the table, so a second node
//! behind a load balancer picks a change up within one poll interval.
//!
//! Each commit of the index records the position it reflects: the time from which changes must
//! be read again. A node that restarts opens its index and reads the changes from there; one
//! whose index is missing, unusable or older than the change table's memory builds it anew.

use super::index::{IndexError, SearchIndex};
use crate::platform::db::{Db, now_ms};
use std::{collections::HashMap, sync::Arc, time::Duration};

/// How often each node looks for changes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How far back every poll looks again. Change rows get their time before their transaction
/// commits, so one may become visible after a later one; a catalog write commits well within
/// this window (and node clocks are assumed to agree to within a second or two, as with NTP).
const OVERLAP_MS: i64 = 5_000;

/// Change rows older than this are deleted; every node has long applied them.
const KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// An index whose position is older than this is built anew: the changes since may be gone.
const CATCH_UP_MS: i64 = KEEP_MS - 60 * 60 * 1000;

/// How often an index with nothing to apply records that it is still up to date, so a node
/// restarted after a quiet day still catches up instead of rebuilding.
const MARK_EVERY_MS: i64 = 10 * 60 * 1000;

/// Records, inside the caller's transaction, that `product` must be indexed again (`None`:
/// everything must, e.g. after a category changed).
pub async fn record_change(
    tx: &mut sqlx::AnyConnection,
    product: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO catalog_changes (product_id, changed_at) VALUES ($1, $2)")
        .bind(product)
        .bind(now_ms())
        .execute(tx)
        .await?;
    Ok(())
}

/// This node's index follows a committed write to `product` at once (other nodes follow the
/// recorded change). The write has committed, so a failure here is logged, not reported.
pub async fn reindex_now(state: &crate::platform::state::AppState, product: i64) {
    if let Err(error) = SearchIndex::of(state).reindex(&state.db, &[product]).await {
        tracing::warn!(%error, product, "search index: re-indexing after a write failed");
    }
}

/// Follows the change table for one index.
pub struct Follower {
    index: Arc<SearchIndex>,
    db: Db,
    /// Changes are read from this time on.
    since: i64,
    /// Change rows already applied, with their times, for the overlap window.
    applied: HashMap<i64, i64>,
    /// The index must be built anew before changes are applied.
    build: bool,
    /// When the index last recorded its position.
    marked: i64,
}

impl Follower {
    /// Builds the whole index, then returns a follower for the changes made from then on.
    pub async fn start(index: Arc<SearchIndex>, db: Db) -> Result<Self, IndexError> {
        let mut follower = Self::new(index, db, 0, true);
        follower.poll().await?;
        Ok(follower)
    }

    /// A follower for an index opened from the data folder. When it reflects a recent
    /// position, the names it needs are read and it serves at once, catching up at the first
    /// poll; otherwise the first poll builds it, while searches hear that search is warming up
    /// (an empty index) or get its earlier state (an old one).
    pub async fn resume(index: Arc<SearchIndex>, db: Db) -> Result<Self, IndexError> {
        match index.position() {
            Some(position) => {
                index.load_names(&db).await?;
                let stale = position < now_ms() - CATCH_UP_MS;
                Ok(Self::new(index, db, position, stale))
            }
            None => {
                index.set_warming(true);
                Ok(Self::new(index, db, 0, true))
            }
        }
    }

    fn new(index: Arc<SearchIndex>, db: Db, since: i64, build: bool) -> Self {
        Self {
            index,
            db,
            since,
            applied: HashMap::new(),
            build,
            marked: now_ms(),
        }
    }

    /// Applies the changes that appeared since the last poll (or builds the whole index, the
    /// first time when it must). Returns how many changes there were.
    pub async fn poll(&mut self) -> Result<usize, IndexError> {
        let started = now_ms();
        if self.build {
            let since = started - OVERLAP_MS;
            self.index.rebuild_at(&self.db, Some(since)).await?;
            self.index.set_warming(false);
            self.build = false;
            self.since = since;
            self.marked = started;
            return Ok(0);
        }
        let rows: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT id, product_id, changed_at FROM catalog_changes WHERE changed_at >= $1 ORDER BY id",
        )
        .bind(self.since)
        .fetch_all(self.db.pool())
        .await?;
        let fresh: Vec<_> = rows
            .into_iter()
            .filter(|(id, _, _)| !self.applied.contains_key(id))
            .collect();
        let since = started - OVERLAP_MS;
        if fresh.iter().any(|(_, product, _)| product.is_none()) {
            self.index.rebuild_at(&self.db, Some(since)).await?;
            self.marked = started;
        } else if fresh.is_empty() {
            if started - self.marked >= MARK_EVERY_MS {
                self.index.mark(since).await?;
                self.marked = started;
            }
        } else {
            let mut products: Vec<i64> = fresh.iter().filter_map(|(_, p, _)| *p).collect();
            products.sort_unstable();
            products.dedup();
            self.index
                .reindex_at(&self.db, &products, Some(since))
                .await?;
            self.marked = started;
        }
        self.applied
            .extend(fresh.iter().map(|(id, _, at)| (*id, *at)));
        self.since = since;
        self.applied.retain(|_, at| *at >= since);
        Ok(fresh.len())
    }

    /// Polls for ever; failures are logged and retried at the next interval.
    pub async fn run(mut self) {
        let mut ticks = tokio::time::interval(POLL_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut polls: u64 = 0;
        loop {
            ticks.tick().await;
            match self.poll().await {
                // Scrapers compute the index's lag as the time now minus this.
                Ok(_) => {
                    metrics::gauge!("search_index_synced_at_seconds").set(now_ms() as f64 / 1000.0)
                }
                Err(error) => {
                    tracing::warn!(%error, "search index: applying catalog changes failed");
                }
            }
            polls += 1;
            // About once an hour, drop rows every node has applied long ago.
            if polls.is_multiple_of(7_200) {
                let deleted = sqlx::query("DELETE FROM catalog_changes WHERE changed_at < $1")
                    .bind(now_ms() - KEEP_MS)
                    .execute(self.db.writer())
                    .await;
                if let Err(error) = deleted {
                    tracing::warn!(%error, "search index: pruning catalog changes failed");
                }
            }
        }
    }
}
