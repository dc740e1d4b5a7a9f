//! `/checkout`, `/account/addresses`, `/orders/{number}` and `/account/orders`.

use super::{
    api::{
        ApplyCode, BuyAgain, DeleteAddress, PlaceOrder, RequestReturn, SaveAddress,
        SetDefaultAddress, get_checkout, get_invoice, get_order, list_addresses, list_orders,
    },
    model::{
        Address, COUNTRIES, CheckoutView, InvoiceView, OrderStatus, OrderView, RETURN_REASONS,
        ReturnView, ReturnableLine, ShippingMethod, price,
    },
};
use crate::{
    dates::{iso_date, long_date},
    error::{AppError, FieldError},
    platform::money::Money,
    ui::{
        ErrorPage, PageTitle,
        forms::{FieldMessage, FormError, INPUT, LABEL, error_of, successes},
        session::RequireUser,
    },
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

const PRIMARY: &str = "rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-50";
const SECTION: &str = "space-y-3 rounded-lg border border-slate-200 bg-white p-4";

/// Loading and error states around a page's data.
#[component]
fn Loaded(children: ChildrenFn) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {children()}
            </ErrorBoundary>
        </Suspense>
    }
}

/// `/checkout`.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    view! {
        <PageTitle text="Checkout — Emporium"/>
        <RequireUser>
            <Checkout/>
        </RequireUser>
    }
}

#[component]
fn Checkout() -> impl IntoView {
    let save = ServerAction::<SaveAddress>::new();
    let saves = successes(save);
    let checkout = Resource::new(move || saves.get(), |_| get_checkout());
    view! {
        <h1 class="mb-6 text-2xl font-bold">"Checkout"</h1>
        <Loaded>
            {move || Suspend::new(async move {
                checkout.await.map(|checkout| {
                    if checkout.lines.is_empty() {
                        view! {
                            <p class="text-slate-700">"Your cart is empty. " <a href="/cart" class="font-medium text-brand-700 underline">"Back to your cart"</a></p>
                        }.into_any()
                    } else {
                        view! { <CheckoutForm checkout save/> }.into_any()
                    }
                })
            })}
        </Loaded>
    }
}

#[component]
fn CheckoutForm(checkout: CheckoutView, save: ServerAction<SaveAddress>) -> impl IntoView {
    let place = ServerAction::<PlaceOrder>::new();
    let error = error_of(place);
    let CheckoutView {
        lines,
        addresses,
        rates,
        tax_rates,
        idempotency_key,
        notices,
        stripe_key,
        offer: automatic,
    } = checkout;
    mount_stripe_after_placing(place, stripe_key.clone());
    let apply = ServerAction::<ApplyCode>::new();
    let offer = RwSignal::new(automatic.clone());
    Effect::new(move |_| match apply.value().get() {
        Some(Ok(applied)) => offer.set(Some(applied)),
        Some(Err(_)) => offer.set(automatic.clone()),
        None => {}
    });
    // Placing the order answers for the code from then on.
    Effect::new(move |_| {
        if place.pending().get() {
            apply.value().set(None);
        }
    });
    let applying = error_of(apply);
    // Any refusal of "Apply" (a code that does not apply, too many tries) shows under the field.
    let code_error = Signal::derive(move || match applying.get() {
        Some(e) if e.field("code").is_none() => Some(AppError::Invalid(vec![FieldError::new(
            "code",
            e.to_string(),
        )])),
        Some(e) => Some(e),
        None => error.get(),
    });
    // The address just saved here, else the default one.
    let saved = save.value().get_untracked().and_then(Result::ok);
    let chosen_id = addresses
        .iter()
        .find(|a| Some(a.id) == saved)
        .or_else(|| addresses.iter().find(|a| a.is_default))
        .or(addresses.first())
        .map(|a| a.id);
    let chosen = addresses
        .iter()
        .find(|a| Some(a.id) == chosen_id)
        .map(|a| a.country.clone());
    let country = RwSignal::new(chosen.unwrap_or_default());
    let method = RwSignal::new(ShippingMethod::Standard);
    let line_totals: Vec<i64> = lines.iter().map(|l| l.total().minor()).collect();
    let subtotal = Money::from_minor(line_totals.iter().sum()).unwrap_or_default();
    let totals = Memo::new(move |_| {
        let rate = country.with(|c| {
            tax_rates
                .iter()
                .find(|(k, _)| k == c)
                .map_or(0, |(_, r)| *r)
        });
        offer.with(|offer| price(&line_totals, offer.as_ref(), &rates, method.get(), rate).0)
    });
    view! {
        {notices.into_iter().map(|n| view! { <p role="status" class="mb-4 rounded-md bg-amber-50 px-3 py-2">{n}</p> }).collect_view()}
        <div class="grid gap-6 lg:grid-cols-2">
            <div class="space-y-6">
                <AddressSection addresses chosen=chosen_id country save error/>
                // The address radios above, the code field and "Place order" below belong to this
                // form through their `form` attribute: the address editor is a form of its own and
                // cannot sit inside it.
                <ActionForm action=place attr:id=ORDER_FORM attr:class="space-y-6">
                    <input type="hidden" name="idempotency_key" value=idempotency_key/>
                    <fieldset class=SECTION>
                        <legend class="text-lg font-semibold">"2. Shipping method"</legend>
                        {ShippingMethod::ALL.into_iter().map(|m| {
                            let price = rates.price(m, subtotal);
                            let price = if price == Money::default() { "Free".to_owned() } else { price.to_string() };
                            let id = format!("shipping-{}", m.as_str());
                            view! {
                                <div class="flex items-center gap-2">
                                    <input type="radio" id=id.clone() name="shipping" value=m.as_str() checked=m == ShippingMethod::Standard on:change=move |_| method.set(m)/>
                                    <label for=id>{format!("{} — {price}", m.label())}</label>
                                </div>
                            }
                        }).collect_view()}
                        <p class="text-sm text-slate-600">{format!("Standard shipping is free on orders of {} or more.", rates.free_over)}</p>
                    </fieldset>
                    <fieldset class=SECTION>
                        <legend class="text-lg font-semibold">"4. Payment"</legend>
                        {match stripe_key {
                            Some(_) => view! { <StripePayment/> }.into_any(),
                            None => view! {
                                <p class="text-sm text-slate-600">"Test payments: 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined."</p>
                                <CardField error name="number" label="Card number" autocomplete="cc-number"/>
                                <div class="grid grid-cols-2 gap-3">
                                    <CardField error name="expiry" label="Expiry" autocomplete="cc-exp"/>
                                    <CardField error name="cvc" label="CVC" autocomplete="cc-csc"/>
                                </div>
                            }.into_any(),
                        }}
                    </fieldset>
                </ActionForm>
            </div>
            <section class=SECTION aria-labelledby="summary-heading">
                <h2 id="summary-heading" class="text-lg font-semibold">"3. Order summary"</h2>
                <table class="w-full text-left text-sm">
                    <thead class="text-slate-600">
                        <tr><th class="py-1">"Item"</th><th class="py-1">"Price"</th><th class="py-1">"Qty"</th><th class="py-1 text-right">"Total"</th></tr>
                    </thead>
                    <tbody>
                        {lines.into_iter().map(|line| view! {
                            <tr class="border-t border-slate-100">
                                <td class="py-2">{line.title.clone()}<span class="block text-slate-600">{line.variant.clone()}</span></td>
                                <td class="py-2">{line.unit_price.to_string()}</td>
                                <td class="py-2">{line.quantity}</td>
                                <td class="py-2 text-right">{line.total().to_string()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <CodeField apply error=code_error/>
                <dl class="space-y-1 border-t border-slate-200 pt-3">
                    <div class="flex justify-between"><dt>"Subtotal"</dt><dd>{move || totals.get().subtotal.to_string()}</dd></div>
                    <Show when=move || totals.get().discount != Money::default()>
                        <div class="flex justify-between text-green-800" data-testid="discount">
                            <dt>{move || offer.with(|o| o.as_ref().map(|o| format!("Discount: {}", o.label())))}</dt>
                            <dd>{move || format!("−{}", totals.get().discount)}</dd>
                        </div>
                    </Show>
                    <div class="flex justify-between"><dt>"Shipping"</dt><dd>{move || totals.get().shipping.to_string()}</dd></div>
                    <div class="flex justify-between"><dt>"Tax"</dt><dd>{move || totals.get().tax.to_string()}</dd></div>
                    <div class="flex justify-between text-lg font-semibold"><dt>"Total"</dt><dd data-testid="order-total">{move || totals.get().total.to_string()}</dd></div>
                </dl>
                <FormError error/>
                <button type="submit" form=ORDER_FORM class=format!("{PRIMARY} w-full") disabled=move || place.pending().get()>"Place order"</button>
            </section>
        </div>
    }
}

/// The id of the "Place order" form, for the fields that sit outside it.
const ORDER_FORM: &str = "checkout-form";

/// Step 1: the saved addresses to choose from, and adding or editing one right here
/// (`?address=new`, `?edit=ID`), which works before the page has hydrated too.
#[component]
fn AddressSection(
    addresses: Vec<Address>,
    chosen: Option<i64>,
    country: RwSignal<String>,
    save: ServerAction<SaveAddress>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let query = use_query_map();
    let has_addresses = !addresses.is_empty();
    let stored = StoredValue::new(addresses.clone());
    let editor = move || {
        let query = query.read();
        let edited = query
            .get("edit")
            .and_then(|id| id.parse::<i64>().ok())
            .and_then(|id| stored.with_value(|all| all.iter().find(|a| a.id == id).cloned()));
        let adding = query.get("address").as_deref() == Some("new");
        (adding || edited.is_some())
            .then(|| view! { <AddressEditor save address=edited next="/checkout"/> })
    };
    view! {
        <fieldset class=SECTION>
            <legend class="text-lg font-semibold">"1. Shipping address"</legend>
            {addresses.into_iter().map(|address| {
                let checked = Some(address.id) == chosen;
                view! { <AddressChoice address checked country/> }
            }).collect_view()}
            <Show when=move || !has_addresses>
                <p class="text-slate-700">"You have no saved address yet."</p>
            </Show>
            <a href="/checkout?address=new" class="inline-block font-medium text-brand-700 underline">"Add a new address"</a>
            <FieldMessage error field="address_id" id="address-error"/>
            {editor}
        </fieldset>
    }
    // Erased, so the checkout page's view type stays within the compiler's depth limit.
    .into_any()
}

/// The discount code: part of the order form (so "Place order" sends it, with or without
/// JavaScript), and "Apply" shows what it takes off before the order is placed. Enter in the
/// field applies the code instead of placing the order.
#[component]
fn CodeField(apply: ServerAction<ApplyCode>, error: Signal<Option<AppError>>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let send = move || {
        apply.dispatch(ApplyCode {
            code: code.get_untracked(),
        });
    };
    view! {
        <div>
            <label for="discount-code" class=LABEL>"Discount code"</label>
            <div class="flex gap-2">
                <input id="discount-code" name="code" form=ORDER_FORM type="text" autocomplete="off" class=INPUT aria-describedby="code-error"
                    bind:value=code
                    on:keydown=move |ev| if ev.key() == "Enter" {
                        ev.prevent_default();
                        send();
                    }/>
                <button type="button" class="rounded-md border border-slate-300 px-4 py-2 font-medium" on:click=move |_| send()
                    disabled=move || apply.pending().get()>"Apply"</button>
            </div>
            <FieldMessage error field="code" id="code-error"/>
            {move || apply.value().get().and_then(Result::ok).map(|offer| view! {
                <p role="status" class="mt-1 text-sm text-green-800">{format!("{} applied: {}.", offer.label(), offer.benefit.describe())}</p>
            })}
        </div>
    }
}

/// Stripe's own card form (an iframe from js.stripe.com) and "Pay now". Stripe.js and the glue
/// in `/stripe-checkout.js` are loaded only on this page, and only when Stripe is configured.
#[component]
fn StripePayment() -> impl IntoView {
    view! {
        <script src="https://js.stripe.com/v3/"></script>
        <script src="/stripe-checkout.js"></script>
        <p class="text-sm text-slate-600">"After “Place order”, enter your card in Stripe's secure form here, then press “Pay now”."</p>
        <div id="payment-element"></div>
        <p id="payment-error" role="alert" class="text-red-700"></p>
        <button id="pay-now" type="button" hidden class=format!("{PRIMARY} w-full")>"Pay now"</button>
    }
}

/// With Stripe, "Place order" answers with the PaymentIntent's secret; Stripe's form is then
/// mounted, and "Pay now" confirms the payment and returns to the order page.
fn mount_stripe_after_placing(place: ServerAction<PlaceOrder>, stripe_key: Option<String>) {
    let Some(key) = stripe_key else {
        return;
    };
    Effect::new(move |_| {
        if let Some(Ok(placed)) = place.value().get()
            && let Some(secret) = placed.client_secret
        {
            stripe_js::mount(&key, &secret, &format!("/orders/{}", placed.number));
        }
    });
}

/// The page's bridge to `public/stripe-checkout.js`.
#[cfg(feature = "hydrate")]
mod stripe_js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(js_namespace = emporiumStripe)]
    extern "C" {
        pub fn mount(key: &str, client_secret: &str, return_path: &str);
    }
}

/// Effects never run on the server; this keeps the call above compiling there.
#[cfg(not(feature = "hydrate"))]
mod stripe_js {
    pub fn mount(_key: &str, _client_secret: &str, _return_path: &str) {}
}

#[component]
fn AddressChoice(address: Address, checked: bool, country: RwSignal<String>) -> impl IntoView {
    let id = format!("address-{}", address.id);
    let code = address.country.clone();
    view! {
        <div class="flex items-start gap-2">
            <input type="radio" id=id.clone() name="address_id" form=ORDER_FORM value=address.id checked=checked class="mt-1"
                on:change=move |_| country.set(code.clone())/>
            <label for=id class="text-sm">
                {address.lines().into_iter().map(|line| view! { <span class="block">{line}</span> }).collect_view()}
            </label>
            <a href=format!("/checkout?edit={}", address.id) class="ml-auto text-sm underline"
                aria-label=format!("Edit the address of {}", address.full_name)>"Edit"</a>
        </div>
    }
}

#[component]
fn CardField(
    error: Signal<Option<AppError>>,
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
) -> impl IntoView {
    let id = format!("card-{name}");
    let field = format!("card[{name}]");
    let hint = format!("{id}-error");
    view! {
        <div>
            <label for=id.clone() class=LABEL>{label}</label>
            <input id=id name=field.clone() type="text" inputmode="numeric" autocomplete=autocomplete class=INPUT aria-describedby=hint.clone()/>
            <FieldMessage error field id=hint/>
        </div>
    }
}

/// `/account/addresses`: the address book; `?edit=ID` edits one, `?next=` comes back after
/// saving.
#[component]
pub fn AddressesPage() -> impl IntoView {
    view! {
        <PageTitle text="Your addresses — Emporium"/>
        <RequireUser>
            <AddressBook/>
        </RequireUser>
    }
}

#[component]
fn AddressBook() -> impl IntoView {
    let save = ServerAction::<SaveAddress>::new();
    let delete = ServerAction::<DeleteAddress>::new();
    let default = ServerAction::<SetDefaultAddress>::new();
    let saves = successes(save);
    let addresses = Resource::new(
        move || (saves.get(), delete.version().get(), default.version().get()),
        |_| list_addresses(),
    );
    let query = use_query_map();
    let editing = move || {
        query
            .read()
            .get("edit")
            .and_then(|id| id.parse::<i64>().ok())
    };
    view! {
        <h1 class="mb-6 text-2xl font-bold">"Your addresses"</h1>
        <Loaded>
            {move || Suspend::new(async move {
                addresses.await.map(|addresses| {
                    let edited = editing().and_then(|id| addresses.iter().find(|a| a.id == id).cloned());
                    view! {
                        <ul class="mb-8 grid gap-4 sm:grid-cols-2">
                            {addresses.into_iter().map(|address| view! { <AddressCard address delete default/> }).collect_view()}
                        </ul>
                        <AddressEditor save address=edited/>
                    }
                })
            })}
        </Loaded>
    }
}

#[component]
fn AddressCard(
    address: Address,
    delete: ServerAction<DeleteAddress>,
    default: ServerAction<SetDefaultAddress>,
) -> impl IntoView {
    let id = address.id;
    view! {
        <li class=SECTION data-testid="address">
            {address.is_default.then(|| view! { <p class="text-sm font-semibold text-brand-700">"Default"</p> })}
            <p class="text-sm">{address.lines().into_iter().map(|line| view! { <span class="block">{line}</span> }).collect_view()}</p>
            <div class="flex gap-3 text-sm">
                <a href=format!("/account/addresses?edit={id}") class="underline">"Edit"</a>
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="underline">"Delete"</button>
                </ActionForm>
                {(!address.is_default).then(|| view! {
                    <ActionForm action=default>
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="underline">"Make default"</button>
                    </ActionForm>
                })}
            </div>
        </li>
    }
}

#[component]
fn AddressEditor(
    save: ServerAction<SaveAddress>,
    address: Option<Address>,
    /// Where to go once saved; without it, the page named by `?next=` (or the address book).
    #[prop(optional)]
    next: Option<&'static str>,
) -> impl IntoView {
    let error = error_of(save);
    let query = use_query_map();
    let next = move || {
        next.map(str::to_owned)
            .or_else(|| query.read().get("next"))
            .unwrap_or_default()
    };
    let heading = if address.is_some() {
        "Edit address"
    } else {
        "Add an address"
    };
    let id = address.as_ref().map(|a| a.id);
    let a = address.unwrap_or_default();
    let field = move |name: &'static str,
                      label: &'static str,
                      value: String,
                      autocomplete: &'static str| {
        let input_id = format!("address-{name}");
        let hint = format!("{input_id}-error");
        view! {
            <div>
                <label for=input_id.clone() class=LABEL>{label}</label>
                <input id=input_id name=format!("address[{name}]") type="text" value=value autocomplete=autocomplete class=INPUT aria-describedby=hint.clone()/>
                <FieldMessage error field=name id=hint/>
            </div>
        }
    };
    view! {
        <section class="max-w-xl">
            <h2 class="mb-4 text-xl font-semibold">{heading}</h2>
            <ActionForm action=save attr:class="space-y-4">
                {id.map(|id| view! { <input type="hidden" name="id" value=id/> })}
                <input type="hidden" name="next" value=next/>
                {field("full_name", "Full name", a.full_name.clone(), "name")}
                {field("line1", "Address line 1", a.line1.clone(), "address-line1")}
                {field("line2", "Address line 2", a.line2.clone(), "address-line2")}
                {field("city", "City", a.city.clone(), "address-level2")}
                {field("region", "State / Region", a.region.clone(), "address-level1")}
                {field("postal_code", "Postal code", a.postal_code.clone(), "postal-code")}
                <div>
                    <label for="address-country" class=LABEL>"Country"</label>
                    <select id="address-country" name="address[country]" class=INPUT aria-describedby="address-country-error">
                        {COUNTRIES.into_iter().map(|(code, name)| view! {
                            <option value=code selected=code == a.country>{name}</option>
                        }).collect_view()}
                    </select>
                    <FieldMessage error field="country" id="address-country-error"/>
                </div>
                {field("phone", "Phone", a.phone.clone(), "tel")}
                <label class="flex items-center gap-2">
                    <input type="checkbox" name="make_default"/>
                    "Use as my default address"
                </label>
                <FormError error/>
                <button type="submit" class=PRIMARY>"Save address"</button>
            </ActionForm>
        </section>
    }
}

/// `/orders/{number}`: the confirmation and status of one order.
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let request = ServerAction::<RequestReturn>::new();
    let order = Resource::new(
        move || {
            (
                params.read().get("number").unwrap_or_default(),
                request.version().get(),
            )
        },
        |(number, _)| get_order(number),
    );
    view! {
        <PageTitle text="Your order — Emporium"/>
        <RequireUser>
            <Loaded>
                {move || Suspend::new(async move {
                    order.await.map(|order| view! { <OrderDetails order request/> })
                })}
            </Loaded>
        </RequireUser>
    }
}

#[component]
fn OrderDetails(order: OrderView, request: ServerAction<RequestReturn>) -> impl IntoView {
    let paid = order.status == OrderStatus::Paid.label();
    let expired = order.status == OrderStatus::Expired.label();
    view! {
        <section class="space-y-6">
            <div>
                <h1 class="text-2xl font-bold">{if paid { "Thank you for your order" } else { "Your order" }}</h1>
                <p class="mt-2">"Order number " <strong data-testid="order-number">{order.number.clone()}</strong></p>
                <p>"Status: " <span data-testid="order-status">{order.status.clone()}</span>
                    {(order.refunded != Money::default() && order.status != OrderStatus::Refunded.label()).then(|| view! {
                        <span data-testid="refund-state">{format!(" · Partially refunded ({})", order.refunded)}</span>
                    })}
                </p>
                {order.test_payment.then(|| view! { <TestPaymentNote/> })}
                {expired.then(|| view! {
                    <p class="mt-2 max-w-2xl rounded-md bg-slate-100 p-3">
                        "This order was not paid in time, so it is closed and nothing was charged. "
                        "The items are still in your cart: "
                        <a href="/cart" class="font-medium text-brand-700 underline">"review your cart"</a>
                        " to order them again."
                    </p>
                })}
            </div>
            <OrderSummary order=order.clone()/>
            <BuyAgainButton number=order.number.clone()/>
            {(!order.shipments.is_empty()).then(|| view! {
                <section aria-labelledby="shipments-heading">
                    <h2 id="shipments-heading" class="font-semibold">"Shipments"</h2>
                    <ul class="space-y-2 text-sm">
                        {order.shipments.clone().into_iter().map(|parcel| view! {
                            <li data-testid="shipment">
                                "Shipped " <time datetime=iso_date(parcel.at)>{long_date(parcel.at)}</time>
                                {(!parcel.carrier.is_empty()).then(|| format!(" with {}", parcel.carrier))}
                                {match parcel.tracking_url {
                                    Some(url) => view! { ": " <a href=url class="font-medium text-brand-700 underline" rel="noopener noreferrer" target="_blank">{format!("track {}", parcel.tracking)}</a> }.into_any(),
                                    None => view! { {(!parcel.tracking.is_empty()).then(|| format!(": tracking {}", parcel.tracking))} }.into_any(),
                                }}
                                <span class="block text-slate-600">{parcel.lines.iter().map(|(title, units)| format!("{units} × {title}")).collect::<Vec<_>>().join(", ")}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            {(!order.returns.is_empty()).then(|| view! {
                <section aria-labelledby="returns-heading" class="space-y-3">
                    <h2 id="returns-heading" class="font-semibold">"Returns"</h2>
                    {order.returns.clone().into_iter().map(|ret| view! { <ReturnHistory ret/> }).collect_view()}
                </section>
            })}
            {order.return_until.map(|until| view! {
                <ReturnRequest number=order.number.clone() lines=order.returnable.clone() until request/>
            })}
            {order.invoice.clone().map(|(invoice, _)| view! {
                <p><a href=format!("/orders/{}/invoice", order.number) class="font-medium text-brand-700 underline">{format!("Invoice {invoice}")}</a></p>
            })}
            <div>
                <h2 class="font-semibold">"Shipping to"</h2>
                <p class="text-sm">{order.address.into_iter().map(|line| view! { <span class="block">{line}</span> }).collect_view()}</p>
            </div>
            <a href="/account/orders" class="font-medium text-brand-700 underline">"All your orders"</a>
        </section>
    }
}

/// One return: what goes back and why, and each step it has taken (with who took it, for the
/// order desk).
#[component]
pub fn ReturnHistory(ret: ReturnView) -> impl IntoView {
    let items = ret
        .lines
        .iter()
        .map(|(title, units)| format!("{units} × {title}"))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <div class="rounded-md border border-slate-200 bg-white p-3 text-sm" data-testid="return">
            <p class="font-medium">{format!("Return of {items}: ")}<span data-testid="return-status">{ret.status.label()}</span></p>
            <p class="text-slate-700">{ret.reason}{(!ret.note.is_empty()).then(|| format!(" — “{}”", ret.note))}</p>
            <ol class="mt-1 text-slate-700" aria-label="Return history">
                {ret.steps.into_iter().map(|step| view! {
                    <li>
                        <time datetime=iso_date(step.at)>{long_date(step.at)}</time>
                        {format!(": {}", step.status.label())}
                        {(!step.by.is_empty()).then(|| format!(" by {}", step.by))}
                        {(!step.note.is_empty()).then(|| format!(" — {}", step.note))}
                    </li>
                }).collect_view()}
            </ol>
        </div>
    }
}

/// "Return items": the units of each line to send back, why, and a note; open while the order
/// is within its return window.
#[component]
fn ReturnRequest(
    number: String,
    lines: Vec<ReturnableLine>,
    until: i64,
    request: ServerAction<RequestReturn>,
) -> impl IntoView {
    let error = error_of(request);
    view! {
        <details class=SECTION open=move || error.get().is_some()>
            <summary class="cursor-pointer font-semibold">"Return items"</summary>
            <ActionForm action=request attr:class="mt-3 space-y-3">
                <p class="text-sm text-slate-700">{format!("You can ask to return items until {}.", long_date(until))}</p>
                <input type="hidden" name="number" value=number/>
                {lines.into_iter().enumerate().map(|(i, line)| {
                    let id = format!("return-line-{i}");
                    view! {
                        <div class="flex flex-wrap items-center gap-3">
                            <label for=id.clone() class="min-w-48">{format!("{} ({} of {} can go back)", line.title, line.returnable, line.quantity)}</label>
                            <input id=id.clone() name=format!("request[quantities][{i}]") type="number" min="0" max=line.returnable value="0"
                                class="w-24 rounded-md border border-slate-300 px-3 py-2" aria-describedby=format!("{id}-error")/>
                            <FieldMessage error field=format!("quantities[{i}]") id=format!("{id}-error")/>
                        </div>
                    }
                }).collect_view()}
                <FieldMessage error field="quantities" id="return-quantities-error"/>
                <div>
                    <label for="return-reason" class=LABEL>"Why are you returning it?"</label>
                    <select id="return-reason" name="request[reason]" class=INPUT aria-describedby="return-reason-error">
                        <option value="">"Choose a reason"</option>
                        {RETURN_REASONS.into_iter().map(|(code, label)| view! { <option value=code>{label}</option> }).collect_view()}
                    </select>
                    <FieldMessage error field="reason" id="return-reason-error"/>
                </div>
                <div>
                    <label for="return-note" class=LABEL>"Anything we should know?"</label>
                    <textarea id="return-note" name="request[note]" rows="3" maxlength="1000" class=INPUT aria-describedby="return-note-error"></textarea>
                    <FieldMessage error field="note" id="return-note-error"/>
                </div>
                <FormError error/>
                <button type="submit" class=PRIMARY>"Request return"</button>
            </ActionForm>
        </details>
    }
}

/// `/orders/{number}/invoice`: a paid order's invoice, laid out to print (the shop's header,
/// footer and the print button stay off the paper).
#[component]
pub fn InvoicePage() -> impl IntoView {
    let params = use_params_map();
    let invoice = Resource::new(
        move || params.read().get("number").unwrap_or_default(),
        get_invoice,
    );
    view! {
        <PageTitle text="Invoice — Emporium"/>
        <RequireUser>
            <Loaded>
                {move || Suspend::new(async move {
                    invoice.await.map(|invoice| view! { <Invoice invoice/> })
                })}
            </Loaded>
        </RequireUser>
    }
}

#[component]
fn Invoice(invoice: InvoiceView) -> impl IntoView {
    let InvoiceView {
        seller,
        order,
        credit_notes,
    } = invoice;
    let (number, issued) = order.invoice.clone().unwrap_or_default();
    let block = |lines: Vec<String>| {
        lines
            .into_iter()
            .map(|line| view! { <span class="block">{line}</span> })
            .collect_view()
    };
    view! {
        <article class="max-w-2xl space-y-6 bg-white p-6 print:p-0" aria-labelledby="invoice-heading">
            <div class="flex flex-wrap items-start justify-between gap-4">
                <div>
                    <h1 id="invoice-heading" class="text-2xl font-bold">"Invoice " <span data-testid="invoice-number">{number}</span></h1>
                    <p>"Issued " <time datetime=iso_date(issued)>{long_date(issued)}</time></p>
                    <p>{format!("Order {}", order.number)}</p>
                </div>
                <p class="text-sm" data-testid="seller">{block(seller)}</p>
            </div>
            <div>
                <h2 class="font-semibold">"Bill and ship to"</h2>
                <p class="text-sm">{block(order.address.clone())}</p>
            </div>
            <OrderSummary order/>
            {(!credit_notes.is_empty()).then(|| view! {
                <section aria-labelledby="credit-notes">
                    <h2 id="credit-notes" class="font-semibold">"Credit notes"</h2>
                    <ul class="text-sm">
                        {credit_notes.into_iter().map(|(note, amount, at)| view! {
                            <li data-testid="credit-note">
                                {format!("{note}: −{amount}, ")}<time datetime=iso_date(at)>{long_date(at)}</time>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            <button type="button" class=format!("{PRIMARY} print:hidden") on:click=move |_| print_page()>"Print"</button>
        </article>
    }
}

/// Opens the browser's print dialogue.
fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Err(error) = window().print() {
        leptos::logging::warn!("printing failed: {error:?}");
    }
}

/// "Buy again": the order's items back in the cart, and what was left out.
#[component]
fn BuyAgainButton(number: String) -> impl IntoView {
    let again = ServerAction::<BuyAgain>::new();
    let error = error_of(again);
    Effect::new(move |_| {
        if matches!(again.value().get(), Some(Ok(_))) {
            crate::cart::pages::cart_changed();
        }
    });
    let label = format!("Buy order {number} again");
    view! {
        <ActionForm action=again>
            <input type="hidden" name="number" value=number/>
            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 font-medium hover:border-brand-700" aria-label=label>"Buy again"</button>
        </ActionForm>
        {move || again.value().get().and_then(Result::ok).map(|bought| view! {
            <p role="status" class="mt-1 text-sm">
                {match bought.added {
                    0 => "Nothing could be added to your cart.".to_owned(),
                    1 => "Added 1 item to your cart. ".to_owned(),
                    n => format!("Added {n} items to your cart. "),
                }}
                {(bought.added > 0).then(|| view! { <a href="/cart" class="font-medium text-brand-700 underline">"View cart"</a> })}
                {bought.skipped.into_iter().map(|why| view! { <span class="block text-slate-700">{why}</span> }).collect_view()}
            </p>
        })}
        <FormError error/>
    }
}

/// An order's lines and totals (with its discount), as the order page and the invoice show
/// them.
#[component]
fn OrderSummary(order: OrderView) -> impl IntoView {
    view! {
        <table class="w-full max-w-2xl bg-white text-left text-sm">
            <thead class="text-slate-600">
                <tr><th class="p-2">"Item"</th><th class="p-2">"Price"</th><th class="p-2">"Qty"</th><th class="p-2 text-right">"Total"</th></tr>
            </thead>
            <tbody>
                {order.lines.iter().map(|line| view! {
                    <tr class="border-t border-slate-100">
                        <td class="p-2">{line.title.clone()}<span class="block text-slate-600">{line.variant.clone()}</span></td>
                        <td class="p-2">{line.unit_price.to_string()}</td>
                        <td class="p-2">{line.quantity}</td>
                        <td class="p-2 text-right">{line.total().to_string()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <dl class="max-w-2xl space-y-1">
            <div class="flex justify-between"><dt>"Subtotal"</dt><dd>{order.totals.subtotal.to_string()}</dd></div>
            {(order.totals.discount != Money::default()).then(|| view! {
                <div class="flex justify-between text-green-800" data-testid="discount">
                    <dt>{format!("Discount: {}", order.promotion)}</dt><dd>{format!("−{}", order.totals.discount)}</dd>
                </div>
            })}
            <div class="flex justify-between"><dt>{order.shipping_method.clone()}</dt><dd>{order.totals.shipping.to_string()}</dd></div>
            <div class="flex justify-between"><dt>"Tax"</dt><dd>{order.totals.tax.to_string()}</dd></div>
            <div class="flex justify-between text-lg font-semibold"><dt>"Total"</dt><dd data-testid="order-total">{order.totals.total.to_string()}</dd></div>
        </dl>
    }
}

/// Says that an order was paid through the offline test gateway, so nobody takes it for a sale.
#[component]
pub fn TestPaymentNote() -> impl IntoView {
    view! {
        <p class="mt-2 inline-block rounded-md bg-amber-100 px-3 py-1 text-sm font-medium text-amber-900">
            "Test payment: the offline test gateway took it, and no card was charged."
        </p>
    }
}

/// `/account/orders`: the shopper's orders, newest first.
#[component]
pub fn OrdersPage() -> impl IntoView {
    let orders = Resource::new(|| (), |_| list_orders());
    view! {
        <PageTitle text="Your orders — Emporium"/>
        <RequireUser>
            <h1 class="mb-6 text-2xl font-bold">"Your orders"</h1>
            <Loaded>
                {move || Suspend::new(async move {
                    orders.await.map(|orders| {
                        if orders.is_empty() {
                            return view! { <p class="text-slate-700">"You haven't placed an order yet."</p> }.into_any();
                        }
                        view! {
                            <table class="w-full max-w-3xl bg-white text-left">
                                <thead class="text-sm text-slate-600">
                                    <tr><th class="p-2">"Order"</th><th class="p-2">"Items"</th><th class="p-2">"Status"</th><th class="p-2 text-right">"Total"</th><th class="p-2"><span class="sr-only">"Buy again"</span></th></tr>
                                </thead>
                                <tbody>
                                    {orders.into_iter().map(|o| view! {
                                        <tr class="border-t border-slate-100">
                                            <td class="p-2"><a href=format!("/orders/{}", o.number) class="font-medium text-brand-700 underline">{o.number.clone()}</a></td>
                                            <td class="p-2">{o.items}</td>
                                            <td class="p-2">{o.status.clone()}</td>
                                            <td class="p-2 text-right">{o.total.to_string()}</td>
                                            <td class="p-2"><BuyAgainButton number=o.number.clone()/></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    })
                })}
            </Loaded>
        </RequireUser>
    }
}
