//! `/admin/audit?action=&actor=&page=`: what staff changed, newest first.

use super::api::{AuditEntry, admin_audit};
use crate::{
    admin::pages::AdminFrame,
    dates::long_date_time,
    platform::audit::Action,
    ui::{
        Page, PagedTable, count_of, encode_query,
        forms::{INPUT, LABEL},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        (
            query.get("action").filter(|a| !a.is_empty()),
            query.get("actor").unwrap_or_default(),
            query.get("page").and_then(|p| p.parse::<i64>().ok()),
        )
    };
    let entries = Resource::new(filter, |(action, actor, page)| {
        admin_audit(action, Some(actor), page)
    });
    view! {
        <AdminFrame title="Audit log">
            <h1 class="mb-4 text-2xl font-bold">"Audit log"</h1>
            <form method="get" action="/admin/audit" class="mb-4 flex flex-wrap items-end gap-3">
                <div>
                    <label for="audit-action" class=LABEL>"What"</label>
                    <select id="audit-action" name="action" class=INPUT>
                        <option value="">"Any change"</option>
                        {Action::ALL.into_iter().map(|a| view! {
                            <option value=a.as_str() selected=move || filter().0.as_deref() == Some(a.as_str())>{a.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="audit-actor" class=LABEL>"Who (email)"</label>
                    <input id="audit-actor" name="actor" type="search" class=INPUT prop:value=move || filter().1/>
                </div>
                <button type="submit" class="rounded-md border border-slate-300 px-4 py-2 font-medium">"Filter"</button>
            </form>
            {move || Suspend::new(async move {
                entries.await.map(|page| {
                    let (action, actor, _) = filter();
                    view! { <AuditTable page action=action.unwrap_or_default() actor/> }
                })
            })}
        </AdminFrame>
    }
}

#[component]
fn AuditTable(page: Page<AuditEntry>, action: String, actor: String) -> impl IntoView {
    let link = Callback::new(move |to: i64| {
        format!(
            "/admin/audit?action={}&actor={}&page={to}",
            encode_query(&action),
            encode_query(&actor)
        )
    });
    view! {
        <PagedTable count=count_of(page.total, "entry", "entries") label="Audit log" headings=&["When", "Who", "What", "Changed", "Request"] page=page.page pages=page.pages link>
            {page.rows.into_iter().map(|entry| view! {
                <tr class="border-b border-slate-100 align-top" data-testid="audit-entry">
                    <td class="p-2 whitespace-nowrap">{long_date_time(entry.at)}</td>
                    <td class="p-2">{entry.actor}<span class="block text-sm text-slate-600">{entry.ip}</span></td>
                    <td class="p-2">{entry.action.label()}<span class="block text-sm text-slate-600">{entry.subject}</span></td>
                    <td class="p-2">{entry.summary}</td>
                    <td class="p-2 font-mono text-xs text-slate-600">{entry.request_id}</td>
                </tr>
            }).collect_view()}
        </PagedTable>
    }
}
