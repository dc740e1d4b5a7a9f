//! `/admin/users?q=&page=`: accounts and their roles.

use super::api::{AccountPage, SetUserRole, admin_users};
use crate::{
    admin::pages::AdminFrame,
    dates::{iso_date, long_date},
    platform::auth::Role,
    ui::{
        PagedTable, count_of, encode_query,
        forms::{FormError, INPUT, LABEL, error_of, successes},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let change = ServerAction::<SetUserRole>::new();
    let changes = successes(change);
    let filter = move || {
        let query = query.read();
        (
            query.get("q").unwrap_or_default(),
            query.get("page").and_then(|p| p.parse::<i64>().ok()),
        )
    };
    let users = Resource::new(
        move || (filter(), changes.get()),
        |((q, page), _)| admin_users(Some(q), page),
    );
    view! {
        <AdminFrame title="Customers">
            <h1 class="mb-4 text-2xl font-bold">"Customers"</h1>
            <form method="get" action="/admin/users" class="mb-4 flex flex-wrap items-end gap-3">
                <div>
                    <label for="users-q" class=LABEL>"Name or email"</label>
                    <input id="users-q" name="q" type="search" class=INPUT prop:value=move || filter().0/>
                </div>
                <button type="submit" class="rounded-md border border-slate-300 px-4 py-2 font-medium">"Find"</button>
            </form>
            <FormError error=error_of(change)/>
            {move || Suspend::new(async move {
                users.await.map(|page| view! { <AccountTable page q=filter().0 change/> })
            })}
        </AdminFrame>
    }
}

#[component]
fn AccountTable(page: AccountPage, q: String, change: ServerAction<SetUserRole>) -> impl IntoView {
    let link =
        Callback::new(move |to: i64| format!("/admin/users?q={}&page={to}", encode_query(&q)));
    let AccountPage {
        accounts,
        me,
        can_change_roles,
    } = page;
    let headings: &'static [&'static str] = if can_change_roles {
        &["Name", "Joined", "Orders", "Role", "Change role"]
    } else {
        &["Name", "Joined", "Orders", "Role"]
    };
    view! {
        <PagedTable count=count_of(accounts.total, "account", "accounts") label="Account list" headings page=accounts.page pages=accounts.pages link>
            {accounts.rows.into_iter().map(|account| {
                let select = format!("role-{}", account.id);
                view! {
                    <tr class="border-b border-slate-100" data-testid="account">
                        <td class="p-2">{account.name.clone()}<span class="block text-sm text-slate-600">{account.email}</span></td>
                        <td class="p-2"><time datetime=iso_date(account.created_at)>{long_date(account.created_at)}</time></td>
                        <td class="p-2">{account.orders}</td>
                        <td class="p-2">{account.role.label()}</td>
                        {can_change_roles.then(|| view! {
                            <td class="p-2">
                                {(account.id != me).then(|| view! {
                                    <ActionForm action=change attr:class="flex items-center gap-2">
                                        <input type="hidden" name="id" value=account.id/>
                                        <label for=select.clone() class="sr-only">{format!("Role of {}", account.name)}</label>
                                        <select id=select name="role" class="rounded-md border border-slate-300 px-2 py-1 text-sm">
                                            {Role::ALL.into_iter().map(|role| view! {
                                                <option value=role.as_str() selected=role == account.role>{role.label()}</option>
                                            }).collect_view()}
                                        </select>
                                        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm">"Change"</button>
                                    </ActionForm>
                                })}
                            </td>
                        })}
                    </tr>
                }
            }).collect_view()}
        </PagedTable>
    }
}
