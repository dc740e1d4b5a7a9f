//! `/admin/promotions`: every promotion with its uses and what it sold, the form that creates or
//! edits one, and switching one off or on.

use super::pages::AdminFrame;
#[cfg(feature = "ssr")]
use crate::{
    catalog::db::category_options,
    checkout::db::promotion_sales,
    error::optional_id,
    platform::{
        audit::{Action, Entry},
        auth::{Permission, require},
        db::now_ms,
        money::Money,
        state::AppState,
    },
    promotions::db,
};
use crate::{
    catalog::model::CategoryOption,
    dates::long_date,
    error::AppError,
    promotions::model::{PromotionForm, PromotionRow},
    ui::forms::{FieldMessage, FormError, INPUT, LABEL, error_of, successes},
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// What the promotions page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionsDesk {
    pub rows: Vec<PromotionRow>,
    pub categories: Vec<CategoryOption>,
    /// The promotion being edited (`?edit=ID`), as its form shows it.
    pub editing: Option<(i64, PromotionForm)>,
}

/// Every promotion, newest first, with its uses and sales; and promotion `edit` for the form.
#[server(endpoint = "admin_promotions")]
pub async fn admin_promotions(edit: Option<i64>) -> Result<PromotionsDesk, AppError> {
    require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let (promotions, sales, categories) = tokio::try_join!(
        db::all(&state.db),
        promotion_sales(&state.db),
        category_options(&state.db)
    )?;
    let editing = match edit {
        Some(id) => Some((
            id,
            db::form(&state.db, id).await?.ok_or(AppError::NotFound)?,
        )),
        None => None,
    };
    let rows = promotions
        .into_iter()
        .map(|p| {
            let (orders, revenue, discounted) = sales
                .iter()
                .find(|(id, ..)| *id == p.id)
                .map_or((0, Money::default(), Money::default()), |s| (s.1, s.2, s.3));
            PromotionRow {
                id: p.id,
                code: p.code,
                name: p.name,
                benefit: p.benefit,
                starts_at: p.starts_at,
                ends_at: p.ends_at,
                active: p.active,
                usage_limit: p.usage_limit,
                uses: p.uses,
                orders,
                revenue,
                discounted,
            }
        })
        .collect();
    Ok(PromotionsDesk {
        rows,
        categories,
        editing,
    })
}

/// Creates a promotion (`id` empty) or changes one, then shows the list.
#[server(endpoint = "save_promotion")]
pub async fn save_promotion(id: Option<String>, promotion: PromotionForm) -> Result<i64, AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let id = optional_id(id.as_deref())?;
    let now = now_ms();
    let checked = promotion.check(now).map_err(AppError::Invalid)?;
    let code = promotion.code.trim();
    let summary = format!(
        "{} “{}”{}",
        if id.is_some() { "changed" } else { "created" },
        promotion.name.trim(),
        if code.is_empty() {
            String::new()
        } else {
            format!(", code {code}")
        }
    );
    let entry = Entry::staff(staff.user_id, Action::PromotionSaved).saying(summary);
    let saved = db::save(&state.db, id, &checked, now, entry).await?;
    leptos_axum::redirect("/admin/promotions");
    Ok(saved)
}

/// Switches a promotion off (no new order can use it) or on again.
#[server(endpoint = "set_promotion_active")]
pub async fn set_promotion_active(id: i64, active: bool) -> Result<(), AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let summary = if active {
        "switched on"
    } else {
        "switched off"
    };
    let entry = Entry::staff(staff.user_id, Action::PromotionActive)
        .about(format!("promotion {id}"), summary);
    if !db::set_active(&state.db, id, active, &entry).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// `/admin/promotions?edit=ID`.
#[component]
pub fn AdminPromotionsPage() -> impl IntoView {
    let save = ServerAction::<SavePromotion>::new();
    let toggle = ServerAction::<SetPromotionActive>::new();
    let saves = successes(save);
    let query = use_query_map();
    let edit = move || {
        query
            .read()
            .get("edit")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let desk = Resource::new(
        move || (edit(), saves.get(), toggle.version().get()),
        |(edit, ..)| admin_promotions(edit),
    );
    view! {
        <AdminFrame title="Promotions">
            <h1 class="mb-6 text-2xl font-bold">"Promotions"</h1>
            {move || Suspend::new(async move {
                desk.await.map(|desk| view! {
                    <PromotionTable rows=desk.rows toggle/>
                    <PromotionEditor save categories=desk.categories editing=desk.editing/>
                })
            })}
        </AdminFrame>
    }
}

#[component]
fn PromotionTable(
    rows: Vec<PromotionRow>,
    toggle: ServerAction<SetPromotionActive>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="mb-8">"No promotions yet. Create the first one below."</p> }
            .into_any();
    }
    view! {
        // `relative` keeps the screen-reader-only heading inside the scrolling box: placed
        // absolutely against the page, it would widen the page on a phone.
        <div class="relative mb-8 overflow-x-auto" tabindex="0" role="region" aria-label="Promotions">
            <table class="w-full bg-white text-left text-sm">
                <thead class="border-b border-slate-200 text-slate-600">
                    <tr>
                        <th class="p-2">"Promotion"</th><th class="p-2">"Gives"</th><th class="p-2">"Runs"</th>
                        <th class="p-2">"Uses"</th><th class="p-2">"Orders"</th><th class="p-2">"Revenue"</th>
                        <th class="p-2">"Status"</th><th class="p-2"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let runs = match row.ends_at {
                            Some(end) => format!("{} – {}", long_date(row.starts_at), long_date(end - 1)),
                            None => format!("From {}", long_date(row.starts_at)),
                        };
                        let uses = match row.usage_limit {
                            Some(limit) => format!("{} of {limit}", row.uses),
                            None => row.uses.to_string(),
                        };
                        view! {
                            <tr class="border-b border-slate-100" data-testid="promotion">
                                <td class="p-2">
                                    <span class="font-medium">{row.code.clone().unwrap_or_else(|| "Automatic".to_owned())}</span>
                                    <span class="block text-slate-600">{row.name.clone()}</span>
                                </td>
                                <td class="p-2">{row.benefit.describe()}</td>
                                <td class="p-2">{runs}</td>
                                <td class="p-2" data-testid="promotion-uses">{uses}</td>
                                <td class="p-2">{row.orders}</td>
                                <td class="p-2">{row.revenue.to_string()}<span class="block text-slate-600">{format!("−{} discounted", row.discounted)}</span></td>
                                <td class="p-2">{if row.active { "Active" } else { "Off" }}</td>
                                <td class="flex gap-3 p-2">
                                    <a href=format!("/admin/promotions?edit={}", row.id) class="underline">"Edit"</a>
                                    <ActionForm action=toggle>
                                        <input type="hidden" name="id" value=row.id/>
                                        <input type="hidden" name="active" value=(!row.active).to_string()/>
                                        <button type="submit" class="underline">{if row.active { "Deactivate" } else { "Activate" }}</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

#[component]
fn PromotionEditor(
    save: ServerAction<SavePromotion>,
    categories: Vec<CategoryOption>,
    editing: Option<(i64, PromotionForm)>,
) -> impl IntoView {
    let error = error_of(save);
    let (id, form) = editing.map_or((None, PromotionForm::default()), |(id, form)| {
        (Some(id), form)
    });
    let field = move |name: &'static str,
                      label: &'static str,
                      value: String,
                      kind: &'static str,
                      hint: &'static str| {
        let input = format!("promotion-{name}");
        let message = format!("{input}-error");
        view! {
            <div>
                <label for=input.clone() class=LABEL>{label}</label>
                <input id=input name=format!("promotion[{name}]") type=kind value=value class=INPUT aria-describedby=message.clone()/>
                {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-sm text-slate-600">{hint}</p> })}
                <FieldMessage error field=name id=message/>
            </div>
        }
    };
    let kind = form.kind.clone();
    let category = form.category.clone();
    view! {
        <section class="max-w-2xl space-y-4 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="promotion-editor">
            <h2 id="promotion-editor" class="text-lg font-semibold">{if id.is_some() { "Edit promotion" } else { "New promotion" }}</h2>
            <ActionForm action=save attr:class="grid gap-4 sm:grid-cols-2">
                <input type="hidden" name="id" value=id.map(|id| id.to_string()).unwrap_or_default()/>
                {field("code", "Code", form.code, "text", "Leave empty for an automatic promotion (no code).")}
                {field("name", "Name", form.name, "text", "")}
                <div>
                    <label for="promotion-kind" class=LABEL>"Gives"</label>
                    <select id="promotion-kind" name="promotion[kind]" class=INPUT>
                        {[("percent", "A percentage off"), ("amount", "An amount off"), ("free_shipping", "Free shipping")].into_iter().map(|(value, text)| view! {
                            <option value=value selected=kind == value>{text}</option>
                        }).collect_view()}
                    </select>
                    <FieldMessage error field="kind" id="promotion-kind-error"/>
                </div>
                {field("value", "Percentage or amount", form.value, "text", "10 for 10%, or 5.00 for $5.00 off.")}
                {field("min_subtotal", "Minimum subtotal", form.min_subtotal, "text", "")}
                <div>
                    <label for="promotion-category" class=LABEL>"Products"</label>
                    <select id="promotion-category" name="promotion[category]" class=INPUT>
                        <option value="">"All products"</option>
                        {categories.into_iter().map(|c| {
                            let selected = c.slug == category;
                            view! { <option value=c.slug selected=selected>{c.label}</option> }
                        }).collect_view()}
                    </select>
                    <FieldMessage error field="category" id="promotion-category-error"/>
                </div>
                {field("starts", "Starts", form.starts, "date", "")}
                {field("ends", "Ends (last day)", form.ends, "date", "")}
                {field("usage_limit", "Uses in total", form.usage_limit, "number", "Empty for no limit.")}
                {field("per_customer_limit", "Uses per customer", form.per_customer_limit, "number", "")}
                <div class="sm:col-span-2">
                    <FormError error/>
                    <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Save promotion"</button>
                </div>
            </ActionForm>
        </section>
    }
}
