//! The sitemap for search engines. `/sitemap.xml` is an index of parts of at most 50,000
//! addresses each: one for the home and category pages, then one per block of 50,000 product
//! ids that holds a product on sale. A product part is streamed from the database a page of rows
//! at a time, so even a million products never sit in memory at once.

use super::db::{category_slugs, product_blocks, product_slugs_between};
use crate::{dates::iso_date, platform::state::AppState};
use axum::{
    body::{Body, Bytes},
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::stream::{self, StreamExt};

/// Addresses in one part of the sitemap: the protocol's limit.
pub const URLS_PER_PART: i64 = 50_000;

/// Products read per query while a part streams.
const ROWS_PER_QUERY: i64 = 2_000;

const URLSET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
"#;

/// `GET /sitemap.xml`.
pub async fn index(State(state): State<AppState>) -> Response {
    let blocks = match product_blocks(&state.db, URLS_PER_PART).await {
        Ok(blocks) => blocks,
        Err(error) => return unavailable(&error),
    };
    let base = base_url(&state);
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
"#,
    );
    xml.push_str(&format!(
        "<sitemap><loc>{base}/sitemap/pages.xml</loc></sitemap>\n"
    ));
    for block in blocks {
        xml.push_str(&format!(
            "<sitemap><loc>{base}/sitemap/products-{}.xml</loc><lastmod>{}</lastmod></sitemap>\n",
            block.block,
            iso_date(block.updated_at)
        ));
    }
    xml.push_str("</sitemapindex>\n");
    xml_response(Body::from(xml))
}

/// `GET /sitemap/pages.xml` (the home and category pages) and `GET /sitemap/products-{n}.xml`
/// (the products on sale with ids from `n` × 50,000 up to the next block).
pub async fn part(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    if file == "pages.xml" {
        return pages(&state).await;
    }
    let Some(block) = file
        .strip_prefix("products-")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| (0..i64::MAX / URLS_PER_PART).contains(n))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    products(state, block).await
}

async fn pages(state: &AppState) -> Response {
    let slugs = match category_slugs(&state.db).await {
        Ok(slugs) => slugs,
        Err(error) => return unavailable(&error),
    };
    let base = base_url(state);
    let mut xml = format!("{URLSET}<url><loc>{base}/</loc></url>\n");
    for slug in slugs {
        xml.push_str(&format!("<url><loc>{base}/c/{slug}</loc></url>\n"));
    }
    xml.push_str("</urlset>\n");
    xml_response(Body::from(xml))
}

async fn products(state: AppState, block: i64) -> Response {
    let (after, before) = (block * URLS_PER_PART - 1, (block + 1) * URLS_PER_PART);
    let first = match product_slugs_between(&state.db, after, before, ROWS_PER_QUERY).await {
        Ok(rows) if rows.is_empty() => return StatusCode::NOT_FOUND.into_response(),
        Ok(rows) => rows,
        Err(error) => return unavailable(&error),
    };
    let base = base_url(&state);
    let head = Bytes::from(format!("{URLSET}{}", product_urls(&base, &first)));
    let cursor = next_after(&first);
    // Each step reads the rows after the last one sent; a failing query ends the body early,
    // which the crawler sees as a broken download and fetches again later.
    let rest = stream::unfold(cursor, move |cursor| {
        let (db, base) = (state.db.clone(), base.clone());
        async move {
            let rows = match product_slugs_between(&db, cursor?, before, ROWS_PER_QUERY).await {
                Ok(rows) => rows,
                Err(error) => return Some((Err(error), None)),
            };
            Some((
                Ok(Bytes::from(product_urls(&base, &rows))),
                next_after(&rows),
            ))
        }
    });
    let body = stream::once(async { Ok(head) })
        .chain(rest)
        .chain(stream::once(async {
            Ok(Bytes::from_static(b"</urlset>\n"))
        }));
    xml_response(Body::from_stream(body))
}

/// Where the next query starts: after the last row, when this query filled its page.
fn next_after(rows: &[(i64, String, i64)]) -> Option<i64> {
    let last = rows.last()?;
    (rows.len() as i64 == ROWS_PER_QUERY).then_some(last.0)
}

fn product_urls(base: &str, rows: &[(i64, String, i64)]) -> String {
    rows.iter()
        .map(|(_, slug, updated_at)| {
            format!(
                "<url><loc>{base}/p/{slug}</loc><lastmod>{}</lastmod></url>\n",
                iso_date(*updated_at)
            )
        })
        .collect()
}

fn base_url(state: &AppState) -> String {
    html_escape::encode_text(&state.config.public_url).into_owned()
}

fn xml_response(body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn unavailable(error: &sqlx::Error) -> Response {
    tracing::error!(%error, "sitemap: reading the catalog failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "60")],
        "The sitemap is unavailable; try again later.",
    )
        .into_response()
}
