//! `/admin/api-keys`: the keys with what each may do and when it was last used, the form that
//! makes one (showing the whole key once), and revoking.

use super::{
    api::{CreateApiKey, RevokeApiKey, admin_api_keys, api_reference},
    model::{ApiKeyView, ApiOperation, Scope},
};
use crate::{
    admin::pages::AdminFrame,
    dates::long_date,
    ui::forms::{FieldMessage, FormError, INPUT, LABEL, error_of},
};
use leptos::prelude::*;

/// `/admin/api-keys`.
#[component]
pub fn AdminApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| admin_api_keys(),
    );
    let issued = move || create.value().get().and_then(Result::ok);
    view! {
        <AdminFrame title="API keys">
            <h1 class="mb-2 text-2xl font-bold">"API keys"</h1>
            <p class="mb-6 max-w-2xl text-slate-600">
                "A key lets one of the shop's other systems use the REST API under /api/v1, sent as "
                <code>"Authorization: Bearer emp_…"</code>
                ". Give each system its own key with only what it needs; revoking one stops it at once. "
                <a href="/admin/api" class="text-brand-700 underline">"API reference"</a>
            </p>
            {move || issued().map(|issued| view! {
                <div role="status" class="mb-6 max-w-2xl rounded-lg border border-green-300 bg-green-50 p-4">
                    <p class="font-medium">{format!("Key “{}” made. Copy it now: it is not shown again.", issued.view.name)}</p>
                    <code class="mt-2 block break-all rounded bg-white p-2" data-testid="new-key">{issued.key}</code>
                </div>
            })}
            {move || Suspend::new(async move {
                keys.await.map(|keys| view! { <KeyTable keys revoke/> })
            })}
            <NewKey create/>
        </AdminFrame>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeyView>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="mb-8">"No keys yet."</p> }.into_any();
    }
    view! {
        <div class="relative mb-8 overflow-x-auto" tabindex="0" role="region" aria-label="API keys">
            <table class="w-full bg-white text-left text-sm">
                <thead class="border-b border-slate-200 text-slate-600">
                    <tr>
                        <th class="p-2">"Name"</th><th class="p-2">"Key"</th><th class="p-2">"May"</th>
                        <th class="p-2">"Made"</th><th class="p-2">"Last used"</th><th class="p-2">"Status"</th>
                        <th class="p-2"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {keys.into_iter().map(|key| {
                        let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
                        view! {
                            <tr class="border-b border-slate-100" data-testid="api-key">
                                <td class="p-2 font-medium">{key.name.clone()}</td>
                                <td class="p-2"><code>{format!("emp_{}_…", key.prefix)}</code></td>
                                <td class="p-2">{scopes.join(", ")}</td>
                                <td class="p-2">{long_date(key.created_at)}</td>
                                <td class="p-2">{key.last_used_at.map_or_else(|| "Never".to_owned(), long_date)}</td>
                                <td class="p-2" data-testid="api-key-status">{if key.revoked_at.is_some() { "Revoked" } else { "Active" }}</td>
                                <td class="p-2">
                                    {key.revoked_at.is_none().then(|| view! {
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=key.id/>
                                            <button type="submit" class="underline">{format!("Revoke {}", key.name)}</button>
                                        </ActionForm>
                                    })}
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
fn NewKey(create: ServerAction<CreateApiKey>) -> impl IntoView {
    let error = error_of(create);
    view! {
        <section class="max-w-2xl space-y-4 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="new-key">
            <h2 id="new-key" class="text-lg font-semibold">"New key"</h2>
            <ActionForm action=create attr:class="space-y-4">
                <div>
                    <label for="key-name" class=LABEL>"Name"</label>
                    <input id="key-name" name="key[name]" type="text" class=INPUT aria-describedby="key-name-error"/>
                    <p class="mt-1 text-sm text-slate-600">"The system that will use it, e.g. “Warehouse”."</p>
                    <FieldMessage error field="name" id="key-name-error"/>
                </div>
                <fieldset aria-describedby="key-scopes-error">
                    <legend class=LABEL>"It may"</legend>
                    {Scope::ALL.into_iter().enumerate().map(|(i, scope)| view! {
                        <label class="flex items-center gap-2">
                            <input type="checkbox" name=format!("key[scopes][{i}]") value=scope.as_str()/>
                            {scope.describe()}<code class="text-slate-600">{format!("({})", scope.as_str())}</code>
                        </label>
                    }).collect_view()}
                    <FieldMessage error field="scopes" id="key-scopes-error"/>
                </fieldset>
                <FormError error/>
                <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Make key"</button>
            </ActionForm>
        </section>
    }
}

/// `/admin/api`: every route of the REST API with its scope, parameters, body and answers,
/// read from the OpenAPI document (linked for tools).
#[component]
pub fn AdminApiReferencePage() -> impl IntoView {
    let operations = Resource::new(|| (), |_| api_reference());
    view! {
        <AdminFrame title="API reference">
            <h1 class="mb-2 text-2xl font-bold">"API reference"</h1>
            <p class="mb-6 max-w-2xl text-slate-600">
                "The REST API under /api/v1, for the shop's other systems. Tools read the same as "
                <a href="/api/v1/openapi.json" class="text-brand-700 underline">"the OpenAPI document"</a>
                "; keys are made on "
                <a href="/admin/api-keys" class="text-brand-700 underline">"API keys"</a>
                "."
            </p>
            {move || Suspend::new(async move {
                operations.await.map(|operations| {
                    operations.into_iter().map(|operation| view! { <OperationCard operation/> }).collect_view()
                })
            })}
        </AdminFrame>
    }
}

#[component]
fn OperationCard(operation: ApiOperation) -> impl IntoView {
    let ApiOperation {
        method,
        path,
        summary,
        description,
        scope,
        parameters,
        body,
        responses,
    } = operation;
    view! {
        <section class="mb-6 max-w-3xl rounded-lg border border-slate-200 bg-white p-4" data-testid="api-operation">
            <h2 class="font-mono text-lg font-semibold">{format!("{method} {path}")}</h2>
            <p class="mt-1">{summary}</p>
            {(!description.is_empty()).then(|| view! { <p class="mt-1 text-slate-600">{description}</p> })}
            <dl class="mt-3 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                <dt class="font-medium">"Scope"</dt>
                <dd class="font-mono">{if scope.is_empty() { "none".to_owned() } else { scope }}</dd>
                {(!body.is_empty()).then(|| view! {
                    <dt class="font-medium">"Body"</dt>
                    <dd class="font-mono">{body}</dd>
                })}
                {parameters.into_iter().map(|p| view! {
                    <dt class="font-mono">{format!("{} ({}{})", p.name, p.location, if p.required { ", required" } else { "" })}</dt>
                    <dd>{p.description}</dd>
                }).collect_view()}
            </dl>
            <ul class="mt-3 text-sm">
                {responses.into_iter().map(|(status, meaning)| view! {
                    <li><span class="font-mono">{status}</span>" "{meaning}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}
