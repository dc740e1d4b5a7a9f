//! Background jobs that one node at a time runs. Every node starts each job's loop; before a
//! round, a node takes the job's lease in `job_leases` (a conditional upsert, so two nodes
//! never both hold it). A lease outlasts a round, so the node that holds it keeps it, and a node
//! that dies frees it when the lease runs out; a node that shuts down hands it back at once.

use super::{
    db::{Db, now_ms},
    tokens::random_hex,
};
use std::{future::Future, time::Duration};
use tokio::sync::watch;

/// Tells the node's background loops that it is shutting down: each one stops between rounds
/// and hands back what it holds (leases, claimed emails).
#[derive(Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    /// The signal's receiving end, and the sender that raises it (also when dropped).
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (sender, receiver) = watch::channel(false);
        (sender, Self(receiver))
    }

    /// Resolves once the node is shutting down.
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}

/// Takes job `name`'s lease for `holder` until `until`, unless another holder's lease runs
/// past `now`. True when `holder` holds it now (newly taken or renewed).
pub async fn claim(
    db: &Db,
    name: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "INSERT INTO job_leases (name, holder, leased_until) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, leased_until = excluded.leased_until \
         WHERE job_leases.holder = excluded.holder OR job_leases.leased_until <= $4",
    )
    .bind(name)
    .bind(holder)
    .bind(until)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Hands job `name`'s lease back, if `holder` holds it, so another node may take it at once.
async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM job_leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Runs `round(now)` every `period`, on whichever node holds job `name`'s lease, until the
/// node stops; then hands the lease back. Failures are the round's to log; a failed claim is
/// logged and retried.
pub async fn run_claimed<F, R>(
    db: Db,
    name: &'static str,
    period: Duration,
    mut stopping: Stopping,
    mut round: F,
) where
    F: FnMut(i64) -> R,
    R: Future<Output = ()>,
{
    let holder = random_hex(8);
    let lease = i64::try_from(period.as_millis() * 2).unwrap_or(i64::MAX);
    let mut ticks = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stopping.wait() => break,
        }
        let now = now_ms();
        match claim(&db, name, &holder, now, now.saturating_add(lease)).await {
            Ok(true) => round(now).await,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, job = name, "claiming a job failed"),
        }
    }
    if let Err(error) = release(&db, name, &holder).await {
        tracing::warn!(%error, job = name, "handing back a job's lease failed");
    }
}
