//! What the analytics page shows, and the pure arithmetic behind it.

use crate::{
    platform::money::Money,
    recommendations::model::{Build, Row},
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Periods an admin can look at, in days.
pub const PERIODS: [i64; 3] = [7, 30, 90];

/// Sales on one day (UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySales {
    /// Days since the Unix epoch.
    pub day: i64,
    pub orders: i64,
    pub revenue: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopProduct {
    pub title: String,
    pub units: i64,
    pub revenue: Money,
}

/// One step from looking to buying, with its share of the first step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub label: String,
    pub count: i64,
    pub percent: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchCount {
    pub query: String,
    pub count: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analytics {
    pub days: i64,
    /// Paid, shipped or delivered orders placed in the period.
    pub orders: i64,
    pub revenue: Money,
    pub average_order: Money,
    /// Every day of the period, oldest first, days without sales included.
    pub by_day: Vec<DaySales>,
    pub top_products: Vec<TopProduct>,
    pub funnel: Vec<FunnelStep>,
    pub top_searches: Vec<SearchCount>,
    pub unfound_searches: Vec<SearchCount>,
    /// Each row of recommendations shown in the period, with its clicks.
    pub recommendations: Vec<RowClicks>,
    /// The recommendation engine's last rebuild, at any time.
    pub last_build: Option<Build>,
}

/// How often shoppers followed a row of recommendations they were shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowClicks {
    pub row: String,
    pub shown: i64,
    pub clicked: i64,
    /// Clicks per hundred showings, to one decimal: "2.5%".
    pub click_through: String,
}

/// The rows that were shown or clicked, in the rows' own order, from `(row, shown?, count)`.
pub fn click_through(counts: &[(Row, bool, i64)]) -> Vec<RowClicks> {
    let sum = |row: Row, shown: bool| -> i64 {
        counts
            .iter()
            .filter(|&&(r, s, _)| r == row && s == shown)
            .map(|&(_, _, n)| n)
            .sum()
    };
    Row::ALL
        .into_iter()
        .map(|row| (row, sum(row, true), sum(row, false)))
        .filter(|&(_, shown, clicked)| shown + clicked > 0)
        .map(|(row, shown, clicked)| {
            let tenths = if shown > 0 {
                (clicked * 1000 + shown / 2) / shown
            } else {
                0
            };
            RowClicks {
                row: row.label().into(),
                shown,
                clicked,
                click_through: format!("{}.{}%", tenths / 10, tenths % 10),
            }
        })
        .collect()
}

/// Every day from `first` to `last` (days since the epoch), with the sales of the days that had
/// any (`(day, orders, revenue in minor units)`).
pub fn every_day(first: i64, last: i64, sales: &[(i64, i64, i64)]) -> Vec<DaySales> {
    let by_day: HashMap<i64, (i64, i64)> = sales
        .iter()
        .map(|&(day, orders, revenue)| (day, (orders, revenue)))
        .collect();
    (first..=last)
        .map(|day| {
            let (orders, revenue) = by_day.get(&day).copied().unwrap_or_default();
            DaySales {
                day,
                orders,
                revenue: Money::from_minor(revenue).unwrap_or_default(),
            }
        })
        .collect()
}

/// The funnel's steps, each as a share of the first (rounded half up).
pub fn funnel(steps: &[(&str, i64)]) -> Vec<FunnelStep> {
    let first = steps.first().map_or(0, |(_, n)| *n);
    steps
        .iter()
        .map(|&(label, count)| FunnelStep {
            label: label.to_owned(),
            count,
            percent: if first > 0 {
                (count * 100 + first / 2) / first
            } else {
                0
            },
        })
        .collect()
}

/// What a search is counted as: trimmed and lower-cased, so "Lamp " and "lamp" are one; None
/// for an empty one (pure browsing by filter).
pub fn search_subject(query: &str) -> Option<String> {
    let query = query.trim().to_lowercase();
    (!query.is_empty()).then_some(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_of_the_period_is_listed() {
        let days = every_day(10, 13, &[(11, 2, 5_000), (13, 1, 250)]);
        let shown: Vec<_> = days
            .iter()
            .map(|d| (d.day, d.orders, d.revenue.minor()))
            .collect();
        assert_eq!(
            shown,
            [(10, 0, 0), (11, 2, 5_000), (12, 0, 0), (13, 1, 250)]
        );
    }

    #[test]
    fn funnel_steps_are_shares_of_the_first() {
        let steps = funnel(&[("Views", 200), ("Cart", 50), ("Bought", 3)]);
        let shares: Vec<_> = steps.iter().map(|s| s.percent).collect();
        assert_eq!(shares, [100, 25, 2], "1.5% rounds half up to 2%");
        assert_eq!(funnel(&[("Views", 0), ("Cart", 0)])[1].percent, 0);
    }

    #[test]
    fn click_through_is_clicks_per_hundred_showings_by_row() {
        let rows = click_through(&[
            (Row::RecentlyViewed, true, 3),
            (Row::AlsoViewed, false, 1),
            (Row::AlsoViewed, true, 40),
        ]);
        let shown: Vec<_> = rows
            .iter()
            .map(|r| (r.row.as_str(), r.shown, r.clicked, r.click_through.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Customers who viewed this also viewed", 40, 1, "2.5%"),
                ("Recently viewed", 3, 0, "0.0%"),
            ]
        );
        assert_eq!(
            click_through(&[(Row::WithYourCart, false, 2)])[0].click_through,
            "0.0%",
            "clicks without showings (a showing before the period) divide by nothing"
        );
    }

    #[test]
    fn searches_are_counted_alike_and_empty_ones_not_at_all() {
        assert_eq!(search_subject("Lamp "), Some("lamp".into()));
        assert_eq!(search_subject("LAMP"), search_subject(" lamp"));
        assert_eq!(search_subject("ÉCLAIR"), Some("éclair".into()));
        assert_eq!(search_subject("  "), None);
    }
}
