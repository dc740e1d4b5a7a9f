//! `/admin/analytics?days=`: sales and shopper behaviour.

use super::{
    api::admin_analytics,
    model::{Analytics, PERIODS, RowClicks, SearchCount},
};
use crate::{
    admin::pages::AdminFrame,
    dates::{DAY_MS, long_date, long_date_time},
    recommendations::model::Build,
    ui::Bar,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-4";

#[component]
pub fn AdminAnalyticsPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || query.read().get("days").and_then(|d| d.parse::<i64>().ok());
    let analytics = Resource::new(days, admin_analytics);
    view! {
        <AdminFrame title="Analytics">
            <div class="mb-6 flex flex-wrap items-baseline justify-between gap-4">
                <h1 class="text-2xl font-bold">"Analytics"</h1>
                <nav aria-label="Period" class="flex gap-3">
                    {PERIODS.into_iter().map(|n| view! {
                        <a
                            href=format!("/admin/analytics?days={n}")
                            class="underline"
                            aria-current=move || (days().unwrap_or(30) == n).then_some("page")
                        >
                            {format!("Last {n} days")}
                        </a>
                    }).collect_view()}
                </nav>
            </div>
            {move || Suspend::new(async move {
                analytics.await.map(|analytics| view! { <Report analytics/> })
            })}
        </AdminFrame>
    }
}

#[component]
fn Report(analytics: Analytics) -> impl IntoView {
    let days = analytics.days;
    let busiest = analytics
        .by_day
        .iter()
        .map(|d| d.revenue.minor())
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <dl class="mb-8 grid grid-cols-1 gap-4 sm:grid-cols-3">
            <div class=CARD><dt class="text-sm text-slate-600">"Revenue"</dt><dd class="text-2xl font-semibold" data-testid="revenue">{analytics.revenue.to_string()}</dd></div>
            <div class=CARD><dt class="text-sm text-slate-600">"Orders"</dt><dd class="text-2xl font-semibold" data-testid="orders">{analytics.orders}</dd></div>
            <div class=CARD><dt class="text-sm text-slate-600">"Average order"</dt><dd class="text-2xl font-semibold">{analytics.average_order.to_string()}</dd></div>
        </dl>
        <div class="grid gap-8 lg:grid-cols-2">
            <section aria-labelledby="daily-heading">
                <Heading id="daily-heading" text="Sales by day" report="sales.csv" days/>
                <table class="w-full bg-white text-left text-sm">
                    <thead class="border-b border-slate-300 text-slate-600">
                        <tr><th class="p-1">"Day"</th><th class="p-1">"Orders"</th><th class="p-1">"Revenue"</th><th class="p-1 w-1/3"><span class="sr-only">"Share of the busiest day"</span></th></tr>
                    </thead>
                    <tbody>
                        {analytics.by_day.into_iter().rev().map(|day| {
                            let width = day.revenue.minor() * 100 / busiest;
                            view! {
                                <tr class="border-b border-slate-100">
                                    <td class="p-1">{long_date(day.day * DAY_MS)}</td>
                                    <td class="p-1">{day.orders}</td>
                                    <td class="p-1">{day.revenue.to_string()}</td>
                                    <td class="p-1"><Bar percent=width class="block h-2 rounded" fill="fill-brand-600"/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <div class="space-y-8">
                <section aria-labelledby="funnel-heading">
                    <Heading id="funnel-heading" text="From looking to buying" report="funnel.csv" days/>
                    <ol class="space-y-1" data-testid="funnel">
                        {analytics.funnel.into_iter().map(|step| view! {
                            <li class="flex justify-between gap-4 border-b border-slate-100 py-1">
                                <span>{step.label}</span>
                                <span>{format!("{} ({}%)", step.count, step.percent)}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                </section>
                <section aria-labelledby="top-products-heading">
                    <Heading id="top-products-heading" text="Best sellers" report="best-sellers.csv" days/>
                    {if analytics.top_products.is_empty() {
                        view! { <p>"No sales in this period."</p> }.into_any()
                    } else {
                        view! {
                            <table class="w-full bg-white text-left text-sm" data-testid="best-sellers">
                                <thead class="border-b border-slate-300 text-slate-600">
                                    <tr><th class="p-1">"Product"</th><th class="p-1">"Units"</th><th class="p-1">"Revenue"</th></tr>
                                </thead>
                                <tbody>
                                    {analytics.top_products.into_iter().map(|p| view! {
                                        <tr class="border-b border-slate-100"><td class="p-1">{p.title}</td><td class="p-1">{p.units}</td><td class="p-1">{p.revenue.to_string()}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                </section>
                <Searches id="top-searches" heading="Top searches" report="searches.csv" empty="No searches in this period." searches=analytics.top_searches days/>
                <Searches id="unfound-searches" heading="Searches that found nothing" report="unfound-searches.csv" empty="Every search found something." searches=analytics.unfound_searches days/>
                <Recommendations rows=analytics.recommendations last_build=analytics.last_build days/>
            </div>
        </div>
    }
}

/// Click-through of each row of recommendations, and the engine's last rebuild.
#[component]
fn Recommendations(rows: Vec<RowClicks>, last_build: Option<Build>, days: i64) -> impl IntoView {
    let rebuilt = match last_build {
        Some(build) => format!(
            "Last rebuilt {} UTC from {} interactions, in {:.1} s: neighbours for {} products.",
            long_date_time(build.built_at),
            build.interactions,
            build.took_ms as f64 / 1000.0,
            build.products
        ),
        None => "Not rebuilt yet: it runs every ten minutes.".into(),
    };
    view! {
        <section aria-labelledby="recommendations-heading">
            <Heading id="recommendations-heading" text="Recommendations" report="recommendations.csv" days/>
            <p class="mb-2 text-sm text-slate-600" data-testid="last-rebuild">{rebuilt}</p>
            {if rows.is_empty() {
                view! { <p>"No recommendations shown in this period."</p> }.into_any()
            } else {
                view! {
                    <table class="w-full bg-white text-left text-sm" data-testid="recommendation-rows">
                        <thead class="border-b border-slate-300 text-slate-600">
                            <tr><th class="p-1">"Row"</th><th class="p-1">"Shown"</th><th class="p-1">"Clicked"</th><th class="p-1">"Click-through"</th></tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr class="border-b border-slate-100"><td class="p-1">{r.row}</td><td class="p-1">{r.shown}</td><td class="p-1">{r.clicked}</td><td class="p-1">{r.click_through}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Searches(
    id: &'static str,
    heading: &'static str,
    report: &'static str,
    empty: &'static str,
    searches: Vec<SearchCount>,
    days: i64,
) -> impl IntoView {
    view! {
        <section aria-labelledby=id>
            <Heading id text=heading report days/>
            {if searches.is_empty() {
                view! { <p>{empty}</p> }.into_any()
            } else {
                view! {
                    <ol class="space-y-1" data-testid=id>
                        {searches.into_iter().map(|s| view! {
                            <li class="flex justify-between gap-4 border-b border-slate-100 py-1"><span>{s.query}</span><span>{s.count}</span></li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

/// A report's heading, with its download as CSV (the whole list, for the same period).
#[component]
fn Heading(id: &'static str, text: &'static str, report: &'static str, days: i64) -> impl IntoView {
    view! {
        <div class="mb-2 flex items-baseline justify-between gap-4">
            <h2 id=id class="text-lg font-semibold">{text}</h2>
            <a
                href=format!("/admin/analytics/{report}?days={days}")
                download
                rel="external"
                class="text-sm text-brand-700 underline"
                aria-label=format!("Download {} as CSV", text.to_lowercase())
            >
                "CSV"
            </a>
        </div>
    }
}
