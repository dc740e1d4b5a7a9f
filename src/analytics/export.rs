//! `GET /admin/analytics/{report}.csv?days=`: each report of the analytics page as CSV, whole
//! (every product sold and every search, not only the page's first ten), for staff who read
//! the analytics.

use super::{
    db::analytics,
    model::{Analytics, PERIODS},
};
use crate::{
    dates::{DAY_MS, iso_date},
    platform::{
        auth::{Permission, Session, permitted},
        db::now_ms,
        state::AppState,
    },
};
use axum::{
    Extension,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

/// The reports, by the file name they are asked for with.
pub const REPORTS: [&str; 6] = [
    "sales.csv",
    "best-sellers.csv",
    "funnel.csv",
    "searches.csv",
    "unfound-searches.csv",
    "recommendations.csv",
];

#[derive(Deserialize)]
pub struct Period {
    days: Option<String>,
}

pub async fn export(
    State(state): State<AppState>,
    session: Option<Extension<Session>>,
    Path(report): Path<String>,
    period: Result<Query<Period>, QueryRejection>,
) -> Response {
    if let Err(refused) = permitted(session, Permission::ReadAnalytics) {
        return refused.into_response();
    }
    if !REPORTS.contains(&report.as_str()) {
        return (StatusCode::NOT_FOUND, "There is no such report.").into_response();
    }
    let days = match period.map(|Query(p)| p.days) {
        Ok(None) => 30,
        Ok(Some(text)) if PERIODS.iter().any(|n| n.to_string() == text) => {
            text.parse().unwrap_or(30)
        }
        _ => {
            let refusal = "Choose a period of 7, 30 or 90 days.";
            return (StatusCode::BAD_REQUEST, refusal).into_response();
        }
    };
    let report_of = match analytics(&state.db, days, now_ms(), None).await {
        Ok(analytics) => analytics,
        Err(error) => {
            tracing::error!(%error, "reading the analytics failed");
            let refusal = "The report could not be read; try again in a moment.";
            return (StatusCode::SERVICE_UNAVAILABLE, refusal).into_response();
        }
    };
    let body = match table(&report, &report_of) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "writing a report failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let name = format!(
        "attachment; filename=\"{}-last-{days}-days.csv\"",
        report.trim_end_matches(".csv")
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The CSV of `report` (one of `REPORTS`) from the period's figures.
fn table(report: &str, of: &Analytics) -> Result<Vec<u8>, csv::Error> {
    let rows: Vec<Vec<String>> = match report {
        "sales.csv" => std::iter::once(vec!["Day".into(), "Orders".into(), "Revenue".into()])
            .chain(of.by_day.iter().map(|day| {
                vec![
                    iso_date(day.day * DAY_MS),
                    day.orders.to_string(),
                    day.revenue.amount(),
                ]
            }))
            .collect(),
        "best-sellers.csv" => {
            std::iter::once(vec!["Product".into(), "Units".into(), "Revenue".into()])
                .chain(
                    of.top_products
                        .iter()
                        .map(|p| vec![cell(&p.title), p.units.to_string(), p.revenue.amount()]),
                )
                .collect()
        }
        "funnel.csv" => std::iter::once(vec!["Step".into(), "Count".into(), "Percent".into()])
            .chain(of.funnel.iter().map(|step| {
                vec![
                    step.label.clone(),
                    step.count.to_string(),
                    step.percent.to_string(),
                ]
            }))
            .collect(),
        "searches.csv" | "unfound-searches.csv" => {
            let searches = if report == "searches.csv" {
                &of.top_searches
            } else {
                &of.unfound_searches
            };
            std::iter::once(vec!["Search".into(), "Count".into()])
                .chain(
                    searches
                        .iter()
                        .map(|s| vec![cell(&s.query), s.count.to_string()]),
                )
                .collect()
        }
        _ => std::iter::once(vec![
            "Row".into(),
            "Shown".into(),
            "Clicked".into(),
            "Click-through".into(),
        ])
        .chain(of.recommendations.iter().map(|r| {
            vec![
                r.row.clone(),
                r.shown.to_string(),
                r.clicked.to_string(),
                r.click_through.clone(),
            ]
        }))
        .collect(),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Text a shopper or staff member typed, made safe to open in a spreadsheet: one that would
/// start a formula (`=`, `+`, `-`, `@`, a tab or a carriage return) is led by an apostrophe.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_would_start_a_formula_is_led_by_an_apostrophe() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("lamp"), "lamp");
        assert_eq!(cell("a=b"), "a=b");
    }
}
