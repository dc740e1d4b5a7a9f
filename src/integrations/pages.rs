//! `/admin/api-keys`: the keys with what each may do and when it was last used, the form that
//! makes one (showing the whole key once), and revoking. `/admin/api`: the API reference.
//! `/admin/webhooks`: the endpoints and the form that makes one (showing its secret once);
//! `/admin/webhooks/{id}`: one endpoint's delivery log with "Resend", pausing and deleting.

use super::{
    api::{
        CreateApiKey, CreateWebhook, DeleteWebhook, ResendWebhook, RevokeApiKey, SetWebhookActive,
        admin_api_keys, admin_webhook, admin_webhooks, api_reference,
    },
    model::{ApiKeyView, ApiOperation, DeliveryState, DeliveryView, Scope, WebhookView},
};
use crate::{
    admin::pages::AdminFrame,
    dates::{long_date, long_date_time},
    error::AppError,
    ui::forms::{FieldMessage, FormError, INPUT, LABEL, error_of},
    webhooks::EventKind,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

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
                <ShownOnce testid="new-key" secret=issued.key
                    message=format!("Key “{}” made. Copy it now: it is not shown again.", issued.view.name)/>
            })}
            {move || Suspend::new(async move {
                keys.await.map(|keys| view! { <KeyTable keys revoke/> })
            })}
            <NewKey create/>
        </AdminFrame>
    }
}

/// A secret just made, shown this once.
#[component]
fn ShownOnce(message: String, secret: String, testid: &'static str) -> impl IntoView {
    view! {
        <div role="status" class="mb-6 max-w-2xl rounded-lg border border-green-300 bg-green-50 p-4">
            <p class="font-medium">{message}</p>
            <code class="mt-2 block break-all rounded bg-white p-2" data-testid=testid>{secret}</code>
        </div>
    }
}

/// Boxes to tick, each a value and what it means, posted as `name[0]`, `name[1]`…; `field` is
/// the name errors give the list.
#[component]
fn Ticks(
    legend: &'static str,
    name: &'static str,
    field: &'static str,
    error: Signal<Option<AppError>>,
    choices: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let form = name.split('[').next().unwrap_or(name);
    let id = format!("{form}-{field}-error");
    view! {
        <fieldset aria-describedby=id.clone()>
            <legend class=LABEL>{legend}</legend>
            {choices.into_iter().enumerate().map(|(i, (value, meaning))| view! {
                <label class="flex items-center gap-2">
                    <input type="checkbox" name=format!("{name}[{i}]") value=value/>
                    {meaning}<code class="text-slate-600">{format!("({value})")}</code>
                </label>
            }).collect_view()}
            <FieldMessage error field=field id=id.clone()/>
        </fieldset>
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
                <Ticks legend="It may" name="key[scopes]" field="scopes" error
                    choices=Scope::ALL.map(|scope| (scope.as_str(), scope.describe())).to_vec()/>
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

/// `/admin/webhooks`.
#[component]
pub fn AdminWebhooksPage() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let endpoints = Resource::new(move || create.version().get(), |_| admin_webhooks());
    let issued = move || create.value().get().and_then(Result::ok);
    view! {
        <AdminFrame title="Webhooks">
            <h1 class="mb-2 text-2xl font-bold">"Webhooks"</h1>
            <p class="mb-6 max-w-2xl text-slate-600">
                "The shop posts each event you pick to your system's URL as JSON, signed with the endpoint's secret in the "
                <code>"Emporium-Signature"</code>
                " header; a delivery that fails is tried again for about two days. README shows how to check the signature."
            </p>
            {move || issued().map(|issued| view! {
                <ShownOnce testid="webhook-secret" secret=issued.secret
                    message=format!("Endpoint {} made. Copy its signing secret now: it is not shown again.", issued.view.url)/>
            })}
            {move || Suspend::new(async move {
                endpoints.await.map(|endpoints| view! { <EndpointTable endpoints/> })
            })}
            <NewEndpoint create/>
        </AdminFrame>
    }
}

fn events_text(events: &[EventKind]) -> String {
    events
        .iter()
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn EndpointTable(endpoints: Vec<WebhookView>) -> impl IntoView {
    if endpoints.is_empty() {
        return view! { <p class="mb-8">"No endpoints yet."</p> }.into_any();
    }
    view! {
        <div class="relative mb-8 overflow-x-auto" tabindex="0" role="region" aria-label="Webhook endpoints">
            <table class="w-full bg-white text-left text-sm">
                <thead class="border-b border-slate-200 text-slate-600">
                    <tr>
                        <th class="p-2">"URL"</th><th class="p-2">"Events"</th><th class="p-2">"Made"</th>
                        <th class="p-2">"Waiting"</th><th class="p-2">"Given up"</th><th class="p-2">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {endpoints.into_iter().map(|endpoint| view! {
                        <tr class="border-b border-slate-100" data-testid="webhook">
                            <td class="p-2 font-medium break-all">
                                <a href=format!("/admin/webhooks/{}", endpoint.id) class="text-brand-700 underline">{endpoint.url.clone()}</a>
                            </td>
                            <td class="p-2">{events_text(&endpoint.events)}</td>
                            <td class="p-2">{long_date(endpoint.created_at)}</td>
                            <td class="p-2">{endpoint.pending}</td>
                            <td class="p-2">{endpoint.failed}</td>
                            <td class="p-2">{if endpoint.active { "Active" } else { "Paused" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

#[component]
fn NewEndpoint(create: ServerAction<CreateWebhook>) -> impl IntoView {
    let error = error_of(create);
    view! {
        <section class="max-w-2xl space-y-4 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="new-webhook">
            <h2 id="new-webhook" class="text-lg font-semibold">"New endpoint"</h2>
            <ActionForm action=create attr:class="space-y-4">
                <div>
                    <label for="webhook-url" class=LABEL>"URL"</label>
                    <input id="webhook-url" name="webhook[url]" type="url" class=INPUT aria-describedby="webhook-url-error"/>
                    <p class="mt-1 text-sm text-slate-600">"An https:// address of your system, e.g. https://erp.example.com/hooks/emporium."</p>
                    <FieldMessage error field="url" id="webhook-url-error"/>
                </div>
                <Ticks legend="Events" name="webhook[events]" field="events" error
                    choices=EventKind::ALL.map(|kind| (kind.as_str(), kind.describe())).to_vec()/>
                <FormError error/>
                <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Make endpoint"</button>
            </ActionForm>
        </section>
    }
}

/// `/admin/webhooks/{id}`.
#[component]
pub fn AdminWebhookPage() -> impl IntoView {
    let params = use_params_map();
    let resend = ServerAction::<ResendWebhook>::new();
    let switch = ServerAction::<SetWebhookActive>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let log = Resource::new(
        move || {
            (
                params
                    .read()
                    .get("id")
                    .and_then(|id| id.parse().ok())
                    .unwrap_or(0),
                resend.version().get(),
                switch.version().get(),
            )
        },
        |(id, ..)| admin_webhook(id),
    );
    view! {
        <AdminFrame title="Webhook">
            {move || Suspend::new(async move {
                log.await.map(|log| {
                    let endpoint = log.endpoint;
                    let id = endpoint.id;
                    view! {
                        <p class="mb-2"><a href="/admin/webhooks" class="text-brand-700 underline">"All endpoints"</a></p>
                        <h1 class="mb-2 text-2xl font-bold break-all">{endpoint.url.clone()}</h1>
                        <p class="mb-4 text-slate-600">
                            {format!("{} · {}", events_text(&endpoint.events), if endpoint.active { "active" } else { "paused: deliveries wait" })}
                        </p>
                        <div class="mb-6 flex gap-4">
                            <ActionForm action=switch>
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="active" value=(!endpoint.active).to_string()/>
                                <button type="submit" class="rounded-md border border-slate-300 px-3 py-1">
                                    {if endpoint.active { "Pause" } else { "Resume" }}
                                </button>
                            </ActionForm>
                            <ActionForm action=delete>
                                <input type="hidden" name="id" value=id/>
                                <button type="submit" class="rounded-md border border-red-300 px-3 py-1 text-red-700">"Delete endpoint"</button>
                            </ActionForm>
                        </div>
                        <h2 class="mb-2 text-lg font-semibold">"Deliveries"</h2>
                        <DeliveryTable endpoint=id deliveries=log.deliveries resend/>
                    }
                })
            })}
        </AdminFrame>
    }
}

fn delivery_state(delivery: &DeliveryView) -> String {
    let answer = delivery
        .last_status
        .map_or_else(String::new, |status| format!(" ({status})"));
    match delivery.state {
        DeliveryState::Delivered => format!("Delivered{answer}"),
        DeliveryState::Pending if delivery.attempts == 0 => "Waiting".to_owned(),
        DeliveryState::Pending => format!(
            "Failed{answer}, tried again {}",
            delivery
                .next_attempt_at
                .map_or_else(String::new, long_date_time)
        ),
        DeliveryState::GivenUp => format!("Given up{answer}"),
    }
}

#[component]
fn DeliveryTable(
    endpoint: i64,
    deliveries: Vec<DeliveryView>,
    resend: ServerAction<ResendWebhook>,
) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p>"Nothing sent yet."</p> }.into_any();
    }
    view! {
        <div class="relative overflow-x-auto" tabindex="0" role="region" aria-label="Deliveries">
            <table class="w-full bg-white text-left text-sm">
                <thead class="border-b border-slate-200 text-slate-600">
                    <tr>
                        <th class="p-2">"Event"</th><th class="p-2">"Type"</th><th class="p-2">"Queued"</th>
                        <th class="p-2">"Attempts"</th><th class="p-2">"State"</th><th class="p-2">"Problem"</th>
                        <th class="p-2"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {deliveries.into_iter().map(|delivery| view! {
                        <tr class="border-b border-slate-100" data-testid="delivery">
                            <td class="p-2 font-mono">{delivery.event.clone()}</td>
                            <td class="p-2 font-mono">{delivery.kind.clone()}</td>
                            <td class="p-2">{long_date_time(delivery.created_at)}</td>
                            <td class="p-2">{delivery.attempts}</td>
                            <td class="p-2" data-testid="delivery-state">{delivery_state(&delivery)}</td>
                            <td class="p-2">{delivery.last_error.clone()}</td>
                            <td class="p-2">
                                <ActionForm action=resend>
                                    <input type="hidden" name="endpoint" value=endpoint/>
                                    <input type="hidden" name="delivery" value=delivery.id/>
                                    <button type="submit" class="underline">{format!("Resend {}", delivery.event)}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
