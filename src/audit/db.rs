//! Reading the audit log.

use super::api::{AUDIT_PAGE_SIZE, AuditEntry};
use crate::{
    platform::{
        audit::Action,
        db::{Db, contains_pattern},
    },
    ui::{Page, offset},
};

type Row = (i64, i64, String, String, String, String, String, String);

pub async fn list(
    db: &Db,
    action: Option<Action>,
    actor: &str,
    page: i64,
) -> Result<Page<AuditEntry>, sqlx::Error> {
    let action = action.map_or("", Action::as_str);
    let actor = actor.to_lowercase();
    let pattern = contains_pattern(&actor);
    let conditions = "($1 = '' OR action = $1) AND ($2 = '' OR lower(actor) LIKE $3 ESCAPE '\\')";
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE {conditions}"
    ))
    .bind(action)
    .bind(&actor)
    .bind(&pattern)
    .fetch_one(db.pool())
    .await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT id, at, actor, action, subject, summary, request_id, ip FROM audit_log \
         WHERE {conditions} ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(action)
    .bind(&actor)
    .bind(&pattern)
    .bind(AUDIT_PAGE_SIZE)
    .bind(offset(page, AUDIT_PAGE_SIZE))
    .fetch_all(db.pool())
    .await?;
    let rows = rows
        .into_iter()
        .filter_map(
            |(id, at, actor, action, subject, summary, request_id, ip)| {
                Some(AuditEntry {
                    id,
                    at,
                    actor,
                    // Written only from `Action::as_str`.
                    action: Action::parse(&action)?,
                    subject,
                    summary,
                    request_id,
                    ip,
                })
            },
        )
        .collect();
    Ok(Page::new(rows, total, page, AUDIT_PAGE_SIZE))
}
