//! Admin pages. Signed-out visitors are sent to sign in; customers get the 403 page (and every
//! server function behind these pages refuses them too).

use super::{
    api::{
        AdminCategory, AdminProducts, ConfirmImport, DeleteCategory, DeleteProduct, LowStock,
        Overview, ProductEditor, ProductFilter, SaveCategory, SaveProduct, SetProductStatus,
        admin_low_stock, get_admin_overview, get_product_editor, list_admin_categories,
        list_admin_products, product_import,
    },
    model::{ImportState, ImportView, ProductForm, VariantForm, variant_field},
};
use crate::{
    catalog::model::ProductStatus,
    error::AppError,
    platform::auth::Permission,
    ui::{
        ErrorPage, PageTitle, PagedTable, count_of, encode_query,
        forms::{FieldMessage, FormError, INPUT, LABEL, error_of, successes},
        session::{RequireStaff, SessionContext},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The admin pages, and the permission each needs (the dashboard is every staff member's).
const ADMIN_PAGES: [(&str, &str, Option<Permission>); 10] = [
    ("/admin", "Dashboard", None),
    ("/admin/orders", "Orders", Some(Permission::ReadOrders)),
    (
        "/admin/analytics",
        "Analytics",
        Some(Permission::ReadAnalytics),
    ),
    ("/admin/users", "Customers", Some(Permission::ReadCustomers)),
    ("/admin/products", "Products", Some(Permission::EditCatalog)),
    (
        "/admin/categories",
        "Categories",
        Some(Permission::EditCatalog),
    ),
    (
        "/admin/promotions",
        "Promotions",
        Some(Permission::EditCatalog),
    ),
    (
        "/admin/api-keys",
        "API keys",
        Some(Permission::ManageIntegrations),
    ),
    (
        "/admin/webhooks",
        "Webhooks",
        Some(Permission::ManageIntegrations),
    ),
    ("/admin/audit", "Audit log", Some(Permission::ReadAudit)),
];

/// Links to the admin pages the signed-in staff member's role opens.
#[component]
fn AdminNav() -> impl IntoView {
    let user = expect_context::<SessionContext>().user;
    view! {
        <nav aria-label="Admin" class="mb-6 flex flex-wrap gap-x-4 gap-y-2 border-b border-slate-200 pb-3 font-medium">
            {move || Suspend::new(async move {
                let role = user.await.ok().flatten().map(|user| user.role);
                ADMIN_PAGES
                    .into_iter()
                    .filter(|(_, _, needs)| role.is_some_and(|role| needs.is_none_or(|p| role.can(p))))
                    .map(|(href, text, _)| view! { <a href=href class="hover:text-brand-700">{text}</a> })
                    .collect_view()
            })}
        </nav>
    }
}

/// The frame of every admin page: sign-in gate, navigation, loading and error states.
#[component]
pub(crate) fn AdminFrame(#[prop(into)] title: String, children: ChildrenFn) -> impl IntoView {
    let children = StoredValue::new(children);
    view! {
        <PageTitle text=format!("{title} — Emporium admin")/>
        <RequireStaff>
            <AdminNav/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                    {children.read_value()()}
                </ErrorBoundary>
            </Suspense>
        </RequireStaff>
    }
}

/// `/admin`: the dashboard: the shop's figures and the variants running out, each for the
/// roles that may see it; anyone else finds their pages in the menu.
#[component]
pub fn AdminPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_admin_overview());
    let low = Resource::new(|| (), |_| admin_low_stock());
    view! {
        <AdminFrame title="Dashboard">
            <h1 class="mb-6 text-2xl font-bold">"Admin dashboard"</h1>
            {move || Suspend::new(async move {
                let overview = permitted(overview.await)?;
                let low = permitted(low.await)?;
                let nothing = overview.is_none() && low.is_none();
                Ok::<_, AppError>(view! {
                    {overview.map(|o| view! { <Figures overview=o/> })}
                    {low.map(|low| view! { <LowStockList low/> })}
                    {nothing.then(|| view! { <p>"Your role's pages are in the menu above."</p> })}
                })
            })}
        </AdminFrame>
    }
}

/// A panel the role may not see is left out, not an error.
fn permitted<T>(result: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match result {
        Err(AppError::Forbidden) => Ok(None),
        other => other.map(Some),
    }
}

#[component]
fn Figures(overview: Overview) -> impl IntoView {
    view! {
        <dl class="mb-8 grid grid-cols-2 gap-4 sm:max-w-md">
            <div class="rounded-lg border border-slate-200 bg-white p-4">
                <dt class="text-sm text-slate-600">"Products"</dt>
                <dd class="text-2xl font-semibold">{overview.products}</dd>
            </div>
            <div class="rounded-lg border border-slate-200 bg-white p-4">
                <dt class="text-sm text-slate-600">"Customers"</dt>
                <dd class="text-2xl font-semibold">{overview.customers}</dd>
            </div>
        </dl>
    }
}

#[component]
fn LowStockList(low: LowStock) -> impl IntoView {
    let LowStock {
        threshold,
        total,
        variants,
    } = low;
    view! {
        <section aria-labelledby="low-stock">
            <h2 id="low-stock" class="mb-2 text-xl font-semibold">"Low stock"</h2>
            <p class="mb-2 text-slate-600">
                {format!("{} at {threshold} units or fewer", count_of(total, "variant", "variants"))}
                {(total > 50).then_some(" (the lowest 50)")}
            </p>
            {(!variants.is_empty()).then(|| view! {
                <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Low stock">
                    <table class="w-full border-collapse bg-white text-left">
                        <thead class="border-b border-slate-300 text-sm text-slate-600">
                            <tr><th class="p-2">"Product"</th><th class="p-2">"SKU"</th><th class="p-2">"In stock"</th></tr>
                        </thead>
                        <tbody>
                            {variants.into_iter().map(|v| view! {
                                <tr class="border-b border-slate-100" data-testid="low-stock">
                                    <td class="p-2"><a href=format!("/admin/products/{}", v.product_id) class="text-brand-700 underline">{v.title}</a></td>
                                    <td class="p-2">{v.sku}</td>
                                    <td class="p-2">{v.stock}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}

/// `/admin/products?q=&status=&page=`: the product list.
#[component]
pub fn AdminProductsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        ProductFilter {
            q: query.get("q").unwrap_or_default(),
            status: query.get("status").filter(|s| !s.is_empty()),
            page: query
                .get("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1)
                .clamp(1, 100_000),
        }
    };
    let products = Resource::new(filter, list_admin_products);
    let deleted = move || query.read().get("deleted").is_some();
    let import_error = move || {
        query.read().get("import_error").map(|error| match error.as_str() {
            "missing" => "Choose a CSV file to import.",
            "too-large" => "That file is too large: import at most 64 MB at a time.",
            "encoding" => "That file is not UTF-8 text; save it as CSV UTF-8 and try again.",
            _ => "That file is not a product CSV in Shopify's format: it needs the columns Handle, Variant SKU and Variant Price.",
        })
    };
    view! {
        <AdminFrame title="Products">
            <div class="mb-4 flex flex-wrap items-end justify-between gap-4">
                <h1 class="text-2xl font-bold">"Products"</h1>
                <div class="flex items-center gap-4">
                    // A file, not a page: the router leaves it to the browser.
                    <a href="/admin/products/export.csv" download rel="external" class="text-brand-700 underline">
                        "Export CSV (Shopify format)"
                    </a>
                    <a href="/admin/products/new" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">
                        "New product"
                    </a>
                </div>
            </div>
            <Show when=deleted>
                <p role="status" class="mb-4 rounded-md bg-green-50 px-3 py-2 text-green-800">"Product deleted."</p>
            </Show>
            // A plain multipart form: the file goes to the server as it is (see `admin::import`).
            <form method="post" enctype="multipart/form-data" action="/admin/products/import" class="mb-4 flex flex-wrap items-end gap-3">
                <div>
                    <label for="import-file" class=LABEL>"Import a CSV (Shopify format)"</label>
                    <input id="import-file" name="file" type="file" accept=".csv,text/csv" required class="text-sm" aria-describedby="import-error"/>
                </div>
                <button type="submit" class="rounded-md border border-slate-300 px-4 py-2 font-medium">"Upload for preview"</button>
                {move || import_error().map(|message| view! {
                    <p id="import-error" role="alert" class="w-full text-sm text-red-700">{message}</p>
                })}
            </form>
            <form method="get" action="/admin/products" class="mb-4 flex flex-wrap items-end gap-3">
                <div>
                    <label for="admin-q" class=LABEL>"Search products"</label>
                    <input id="admin-q" name="q" type="search" class=INPUT prop:value=move || filter().q/>
                </div>
                <div>
                    <label for="admin-status" class=LABEL>"Status"</label>
                    <select id="admin-status" name="status" class=INPUT>
                        <option value="">"Any status"</option>
                        {ProductStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=move || filter().status.as_deref() == Some(s.as_str())>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="rounded-md border border-slate-300 px-4 py-2 font-medium">"Filter"</button>
            </form>
            {move || Suspend::new(async move {
                products.await.map(|page| view! { <ProductTable page filter=filter()/> })
            })}
        </AdminFrame>
    }
}

#[component]
fn ProductTable(page: AdminProducts, filter: ProductFilter) -> impl IntoView {
    let link = Callback::new(move |to: i64| {
        format!(
            "/admin/products?q={}&status={}&page={to}",
            encode_query(&filter.q),
            encode_query(filter.status.as_deref().unwrap_or_default())
        )
    });
    view! {
        <PagedTable count=count_of(page.total, "product", "products") label="Product list" headings=&["Title", "Brand", "Status", "Variants", "Stock", "From"] page=page.page pages=page.pages link>
            {page.rows.into_iter().map(|row| view! {
                <tr class="border-b border-slate-100">
                    <td class="p-2"><a href=format!("/admin/products/{}", row.id) class="font-medium text-brand-700 underline">{row.title}</a></td>
                    <td class="p-2">{row.brand}</td>
                    <td class="p-2">{row.status}</td>
                    <td class="p-2">{row.variants}</td>
                    <td class="p-2">{row.stock}</td>
                    <td class="p-2">{row.price.map(|p| p.to_string()).unwrap_or_default()}</td>
                </tr>
            }).collect_view()}
        </PagedTable>
    }
}

/// `/admin/products/new` and `/admin/products/{id}`: the product form.
#[component]
pub fn AdminProductPage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SaveProduct>::new();
    let status = ServerAction::<SetProductStatus>::new();
    let id = move || params.read().get("id").unwrap_or_default();
    // The form is loaded again after a successful save: new variants get their ids.
    let saves = successes(save);
    let editor = Resource::new(
        move || (id(), saves.get(), status.version().get()),
        |(id, _, _)| async move {
            match id.as_str() {
                "new" => get_product_editor(None).await,
                other => match other.parse::<i64>() {
                    Ok(id) => get_product_editor(Some(id)).await,
                    Err(_) => Err(AppError::NotFound),
                },
            }
        },
    );
    let title = move || {
        if id() == "new" {
            "New product"
        } else {
            "Edit product"
        }
    };
    view! {
        <AdminFrame title="Product">
            <h1 class="mb-6 text-2xl font-bold">{title}</h1>
            {move || Suspend::new(async move {
                editor.await.map(|editor| view! { <ProductEditorView editor save status/> })
            })}
        </AdminFrame>
    }
}

#[component]
fn ProductEditorView(
    editor: ProductEditor,
    save: ServerAction<SaveProduct>,
    status: ServerAction<SetProductStatus>,
) -> impl IntoView {
    let query = use_query_map();
    let error = error_of(save);
    let saved = move || query.read().get("saved").is_some() && error.get().is_none();
    let ProductEditor {
        product,
        categories,
        image_url,
    } = editor;
    let id = product.id;
    let text = move |name: &'static str, label: &'static str, value: String| {
        let input_id = format!("product-{name}");
        let hint = format!("{input_id}-error");
        view! {
            <div>
                <label for=input_id.clone() class=LABEL>{label}</label>
                <input id=input_id name=format!("product[{name}]") type="text" value=value class=INPUT
                    aria-describedby=hint.clone()
                    aria-invalid=move || error.get().and_then(|e| e.field(name)).is_some().to_string()/>
                <FieldMessage error field=name id=hint/>
            </div>
        }
    };
    let archived = product.status == ProductStatus::Archived.as_str();
    let ProductForm {
        title,
        slug,
        brand,
        category,
        description,
        status: current_status,
        variants,
        ..
    } = product;
    view! {
        <Show when=saved>
            <p role="status" class="mb-4 rounded-md bg-green-50 px-3 py-2 text-green-800">"Product saved."</p>
        </Show>
        <ActionForm action=save attr:class="max-w-3xl space-y-4">
            {id.map(|id| view! { <input type="hidden" name="product[id]" value=id/> })}
            {text("title", "Title", title)}
            {text("slug", "URL slug (optional)", slug)}
            {text("brand", "Brand", brand)}
            <div>
                <label for="product-category" class=LABEL>"Category"</label>
                <select id="product-category" name="product[category]" class=INPUT aria-describedby="product-category-error">
                    <option value="">"Choose a category"</option>
                    {categories.into_iter().map(|c| {
                        let selected = c.slug == category;
                        view! { <option value=c.slug selected=selected>{c.label}</option> }
                    }).collect_view()}
                </select>
                <FieldMessage error field="category" id="product-category-error"/>
            </div>
            <div>
                <label for="product-description" class=LABEL>"Description"</label>
                <textarea id="product-description" name="product[description]" rows="5" class=INPUT aria-describedby="product-description-error">{description}</textarea>
                <FieldMessage error field="description" id="product-description-error"/>
            </div>
            <div>
                <label for="product-status" class=LABEL>"Status"</label>
                <select id="product-status" name="product[status]" class=INPUT>
                    {ProductStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=s.as_str() == current_status>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <fieldset class="space-y-4">
                <legend class="text-lg font-semibold">"Variants"</legend>
                <p class="text-sm text-slate-600">"Fill in the empty row to add a variant. Options look like Size=M; Colour=Red."</p>
                {variants.into_iter().enumerate().map(|(row, variant)| view! { <VariantRow row variant error/> }).collect_view()}
            </fieldset>
            <FormError error/>
            <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">"Save product"</button>
        </ActionForm>
        {id.map(|id| view! { <PictureUpload id image_url=image_url.clone()/> })}
        {id.map(|id| view! { <ProductActions id status archived/> })}
    }
}

/// The form name of a variant field: inside the `product` argument of `save_product`.
fn input_name(row: usize, name: &str) -> String {
    format!("product[variants][{row}][{name}]")
}

#[component]
fn VariantRow(row: usize, variant: VariantForm, error: Signal<Option<AppError>>) -> impl IntoView {
    let existing = variant.id;
    let cell = move |name: &'static str, label: &'static str, value: String, kind: &'static str| {
        let field = variant_field(row, name);
        let input_id = format!("variant-{row}-{name}");
        let hint = format!("{input_id}-error");
        let invalid_field = field.clone();
        view! {
            <div>
                <label for=input_id.clone() class="mb-1 block text-sm font-medium">{label}</label>
                <input id=input_id name=input_name(row, name) type="text" inputmode=kind value=value class=INPUT
                    aria-describedby=hint.clone()
                    aria-invalid=move || error.get().and_then(|e| e.field(&invalid_field)).is_some().to_string()/>
                <FieldMessage error field=field id=hint/>
            </div>
        }
    };
    view! {
        <div class="grid gap-3 rounded-lg border border-slate-200 bg-white p-3 sm:grid-cols-6" data-testid="variant-row">
            {existing.map(|id| view! { <input type="hidden" name=input_name(row, "id") value=id/> })}
            {cell("sku", "SKU", variant.sku, "text")}
            <div class="sm:col-span-2">{cell("options", "Options", variant.options, "text")}</div>
            {cell("price", "Price", variant.price, "decimal")}
            {cell("compare_at", "Compare-at price", variant.compare_at, "decimal")}
            {cell("stock", "Stock", variant.stock, "numeric")}
            {existing.map(|_| view! {
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name=input_name(row, "remove")/>
                    "Remove"
                </label>
            })}
        </div>
    }
}

/// The product's picture and a plain multipart form to replace it (handled outside the server
/// functions, by `catalog::images::upload_product_image`).
#[component]
fn PictureUpload(id: i64, image_url: String) -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        query
            .read()
            .get("image_error")
            .map(|code| match code.as_str() {
                "type" => "That file is not a PNG, JPEG, WebP or GIF picture.",
                "unreadable" => "That picture could not be read: it may be damaged, or larger than 12,000 pixels a side.",
                "too-large" => "Pictures can be at most 12 MB.",
                _ => "Choose a picture to upload.",
            })
    };
    view! {
        <section class="mt-8 max-w-3xl space-y-3 border-t border-slate-200 pt-6">
            <h2 class="text-lg font-semibold">"Picture"</h2>
            <img src=image_url alt="" width="200" height="150" class="rounded border border-slate-200"/>
            <form method="post" enctype="multipart/form-data" action=format!("/admin/products/{id}/image") class="flex flex-wrap items-end gap-3">
                <div>
                    <label for="product-image" class=LABEL>"Image"</label>
                    <input id="product-image" name="image" type="file" accept="image/png,image/jpeg,image/webp,image/gif" required/>
                </div>
                <button type="submit" class="rounded-md border border-slate-300 px-4 py-2 font-medium">"Upload image"</button>
            </form>
            {move || error().map(|message| view! { <p role="alert" class="text-red-700">{message}</p> })}
        </section>
    }
}

/// Archive (or restore) and delete, for a product that exists.
#[component]
fn ProductActions(
    id: i64,
    status: ServerAction<SetProductStatus>,
    archived: bool,
) -> impl IntoView {
    let delete = ServerAction::<DeleteProduct>::new();
    let (next_status, label) = if archived {
        (ProductStatus::Active, "Restore product")
    } else {
        (ProductStatus::Archived, "Archive product")
    };
    view! {
        <div class="mt-8 flex flex-wrap gap-4 border-t border-slate-200 pt-6">
            <ActionForm action=status>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="status" value=next_status.as_str()/>
                <button type="submit" class="rounded-md border border-slate-300 px-4 py-2 font-medium">{label}</button>
            </ActionForm>
            <ActionForm action=delete>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="rounded-md border border-red-300 px-4 py-2 font-medium text-red-700 hover:border-red-600">"Delete product"</button>
            </ActionForm>
            <FormError error=error_of(delete)/>
            <FormError error=error_of(status)/>
        </div>
    }
}

/// `/admin/categories`: the category tree; add, rename, move and delete.
#[component]
pub fn AdminCategoriesPage() -> impl IntoView {
    let save = ServerAction::<SaveCategory>::new();
    let delete = ServerAction::<DeleteCategory>::new();
    let saves = successes(save);
    let categories = Resource::new(
        move || (saves.get(), delete.version().get()),
        |_| list_admin_categories(),
    );
    let save_error = error_of(save);
    let delete_error = error_of(delete);
    view! {
        <AdminFrame title="Categories">
            <h1 class="mb-6 text-2xl font-bold">"Categories"</h1>
            <FormError error=save_error/>
            <FormError error=delete_error/>
            {move || Suspend::new(async move {
                categories.await.map(|categories| {
                    let all = StoredValue::new(categories.clone());
                    view! {
                        <ActionForm action=save attr:class="mb-8 flex flex-wrap items-end gap-3">
                            <div>
                                <label for="new-category-name" class=LABEL>"Name"</label>
                                <input id="new-category-name" name="name" type="text" required maxlength="100" class=INPUT/>
                                <FieldMessage error=save_error field="name" id="new-category-name-error"/>
                            </div>
                            <div>
                                <label for="new-category-parent" class=LABEL>"Parent"</label>
                                <ParentSelect id="new-category-parent".to_owned() all current=None/>
                            </div>
                            <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Add category"</button>
                        </ActionForm>
                        <ul class="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
                            {categories.into_iter().map(|category| view! { <CategoryRow category all save delete/> }).collect_view()}
                        </ul>
                    }
                })
            })}
        </AdminFrame>
    }
}

/// The parent choices: none (a department) or any category but `exclude`.
#[component]
fn ParentSelect(
    id: String,
    all: StoredValue<Vec<AdminCategory>>,
    current: Option<String>,
    #[prop(optional)] exclude: Option<i64>,
) -> impl IntoView {
    view! {
        <select id=id name="parent" class=INPUT>
            <option value="" selected=current.is_none()>"None (a department)"</option>
            {all.with_value(|all| all.iter().filter(|c| Some(c.id) != exclude).map(|c| {
                let selected = current.as_deref() == Some(c.slug.as_str());
                view! { <option value=c.slug.clone() selected=selected>{c.label.clone()}</option> }
            }).collect_view())}
        </select>
    }
}

#[component]
fn CategoryRow(
    category: AdminCategory,
    all: StoredValue<Vec<AdminCategory>>,
    save: ServerAction<SaveCategory>,
    delete: ServerAction<DeleteCategory>,
) -> impl IntoView {
    let id = category.id;
    let name_id = format!("category-{id}-name");
    let parent_id = format!("category-{id}-parent");
    view! {
        <li class="flex flex-wrap items-end gap-3 p-3" data-testid="category">
            <div class="min-w-48 flex-1">
                <p class="font-medium">{category.label.clone()}</p>
                <p class="text-sm text-slate-600">{format!("{} products, {} subcategories", category.products, category.children)}</p>
            </div>
            <ActionForm action=save attr:class="flex flex-wrap items-end gap-2">
                <input type="hidden" name="id" value=id/>
                <div>
                    <label for=name_id.clone() class="block text-sm">"Name"<span class="sr-only">{format!(" of {}", category.label)}</span></label>
                    <input id=name_id name="name" type="text" value=category.name.clone() required maxlength="100" class=INPUT/>
                </div>
                <div>
                    <label for=parent_id.clone() class="block text-sm">"Parent"<span class="sr-only">{format!(" of {}", category.label)}</span></label>
                    <ParentSelect id=parent_id all current=category.parent.clone() exclude=id/>
                </div>
                <button type="submit" class="rounded-md border border-slate-300 px-3 py-2 text-sm">"Save"</button>
            </ActionForm>
            <ActionForm action=delete>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="rounded-md border border-red-300 px-3 py-2 text-sm text-red-700">"Delete"</button>
            </ActionForm>
        </li>
    }
}

/// `/admin/products/import/{id}`: an uploaded product file's preview and its go, then its
/// progress (looked at again every two seconds while it runs) and what was not imported.
#[component]
pub fn AdminImportPage() -> impl IntoView {
    let params = use_params_map();
    let confirm = ServerAction::<ConfirmImport>::new();
    let tick = RwSignal::new(0_u32);
    let import = Resource::new(
        move || {
            (
                params
                    .read()
                    .get("id")
                    .and_then(|id| id.parse().ok())
                    .unwrap_or(0),
                confirm.version().get(),
                tick.get(),
            )
        },
        |(id, ..)| product_import(id),
    );
    view! {
        <AdminFrame title="Import products">
            {move || Suspend::new(async move {
                import.await.map(|view| {
                    if view.state == ImportState::Running {
                        Effect::new(move |_| {
                            set_timeout(
                                move || tick.update(|n| *n += 1),
                                std::time::Duration::from_secs(2),
                            );
                        });
                    }
                    view! { <ImportReport view confirm/> }
                })
            })}
        </AdminFrame>
    }
}

#[component]
fn ImportReport(view: ImportView, confirm: ServerAction<ConfirmImport>) -> impl IntoView {
    let ImportView {
        id,
        file_name,
        products,
        state,
        sample,
        problems,
        done,
        created,
        updated,
        unchanged,
        refused,
        ..
    } = view;
    let problem_title = match state {
        ImportState::Waiting => "Rows that will not be imported",
        _ => "Not imported",
    };
    view! {
        <p class="mb-2"><a href="/admin/products" class="text-brand-700 underline">"All products"</a></p>
        <h1 class="mb-2 text-2xl font-bold break-all">{format!("Import {file_name}")}</h1>
        {match state {
            ImportState::Waiting => view! {
                <p class="mb-4">{format!("{products} products. Nothing changes until you press Import; products already as the file says are left alone.")}</p>
                <SampleTable sample/>
                <ActionForm action=confirm attr:class="mb-6">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">{format!("Import {products} products")}</button>
                </ActionForm>
            }.into_any(),
            ImportState::Running => view! {
                <p role="status" class="mb-4" data-testid="import-status">{format!("Importing… {done} of {products} products handled.")}</p>
            }.into_any(),
            ImportState::Finished => view! {
                <p role="status" class="mb-4" data-testid="import-status">
                    {format!("Done: {created} created, {updated} updated, {unchanged} unchanged, {refused} not imported.")}
                </p>
            }.into_any(),
        }}
        {(!problems.is_empty()).then(|| view! {
            <h2 class="mb-2 text-lg font-semibold">{problem_title}</h2>
            <div class="relative overflow-x-auto" tabindex="0" role="region" aria-label=problem_title>
                <table class="w-full bg-white text-left text-sm">
                    <thead class="border-b border-slate-200 text-slate-600">
                        <tr><th class="p-2">"Row"</th><th class="p-2">"Handle"</th><th class="p-2">"Problem"</th></tr>
                    </thead>
                    <tbody>
                        {problems.into_iter().map(|p| view! {
                            <tr class="border-b border-slate-100" data-testid="import-problem">
                                <td class="p-2">{p.row}</td><td class="p-2 font-mono">{p.handle}</td><td class="p-2">{p.problem}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
    }
}

#[component]
fn SampleTable(sample: Vec<super::model::ImportSample>) -> impl IntoView {
    view! {
        <div class="relative mb-4 overflow-x-auto" tabindex="0" role="region" aria-label="First products in the file">
            <table class="w-full bg-white text-left text-sm">
                <thead class="border-b border-slate-200 text-slate-600">
                    <tr>
                        <th class="p-2">"Row"</th><th class="p-2">"Handle"</th><th class="p-2">"Title"</th>
                        <th class="p-2">"Variants"</th><th class="p-2">"Will be"</th>
                    </tr>
                </thead>
                <tbody>
                    {sample.into_iter().map(|s| view! {
                        <tr class="border-b border-slate-100" data-testid="import-sample">
                            <td class="p-2">{s.row}</td><td class="p-2 font-mono">{s.handle}</td><td class="p-2">{s.title}</td>
                            <td class="p-2">{s.variants}</td>
                            <td class="p-2">{if s.exists { "updated if different" } else { "created" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
