//! Background jobs that one node at a time runs. Every node starts each job's loop; before a
//! round, a node takes the job's lease in `job_leases` (a conditional upsert, so two nodes
//! never both hold it). A lease outlasts a round, so the node that holds it keeps it, and a node
//! that dies frees it when the lease runs out.

use super::{
    db::{Db, now_ms},
    tokens::random_hex,
};
use std::{future::Future, time::Duration};

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

/// Runs `round(now)` every `period` for as long as the process lives, on whichever node holds
/// job `name`'s lease. Failures are the round's to log; a failed claim is logged and retried.
pub async fn run_claimed<F, R>(db: Db, name: &'static str, period: Duration, mut round: F)
where
    F: FnMut(i64) -> R,
    R: Future<Output = ()>,
{
    let holder = random_hex(8);
    let lease = i64::try_from(period.as_millis() * 2).unwrap_or(i64::MAX);
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        let now = now_ms();
        match claim(&db, name, &holder, now, now.saturating_add(lease)).await {
            Ok(true) => round(now).await,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, job = name, "claiming a job failed"),
        }
    }
}
