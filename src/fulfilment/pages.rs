//! The order desk: `/admin/orders` and `/admin/orders/{number}`.

use super::api::{
    AdvanceReturn, DeskOrder, DeskPage, RefundOrder, ResendRefund, SetOrderStatus, ShipOrder,
    admin_order, admin_orders,
};
use crate::{
    admin::pages::AdminFrame,
    checkout::{
        model::{
            CARRIERS, OrderStatus, PaidLine, RefundRow, ReturnStatus, ReturnView, ShippableLine,
        },
        pages::{ReturnHistory, TestPaymentNote},
    },
    dates::{iso_date, long_date},
    platform::money::Money,
    ui::{
        PagedTable, count_of, encode_query,
        forms::{FieldMessage, FormError, INPUT, LABEL, error_of},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/admin/orders?status=&q=&page=`.
#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        (
            query.get("status").filter(|s| !s.is_empty()),
            query.get("q").unwrap_or_default(),
            query.get("page").and_then(|p| p.parse::<i64>().ok()),
        )
    };
    let orders = Resource::new(filter, |(status, q, page)| {
        admin_orders(status, Some(q), page)
    });
    view! {
        <AdminFrame title="Orders">
            <h1 class="mb-4 text-2xl font-bold">"Orders"</h1>
            <form method="get" action="/admin/orders" class="mb-4 flex flex-wrap items-end gap-3">
                <div>
                    <label for="orders-q" class=LABEL>"Order number, email or name"</label>
                    <input id="orders-q" name="q" type="search" class=INPUT prop:value=move || filter().1/>
                </div>
                <div>
                    <label for="orders-status" class=LABEL>"Status"</label>
                    <select id="orders-status" name="status" class=INPUT>
                        <option value="">"Any status"</option>
                        {OrderStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=move || filter().0.as_deref() == Some(s.as_str())>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="rounded-md border border-slate-300 px-4 py-2 font-medium">"Filter"</button>
            </form>
            {move || Suspend::new(async move {
                orders.await.map(|page| {
                    let (status, q, _) = filter();
                    view! { <OrderTable page status=status.unwrap_or_default() q/> }
                })
            })}
        </AdminFrame>
    }
}

#[component]
fn OrderTable(page: DeskPage, status: String, q: String) -> impl IntoView {
    let link = Callback::new(move |to: i64| {
        format!(
            "/admin/orders?status={}&q={}&page={to}",
            encode_query(&status),
            encode_query(&q)
        )
    });
    view! {
        <PagedTable count=count_of(page.total, "order", "orders") label="Order list" headings=&["Order", "Placed", "Customer", "Items", "Total", "Status"] page=page.page pages=page.pages link>
            {page.rows.into_iter().map(|row| view! {
                <tr class="border-b border-slate-100" data-testid="desk-order">
                    <td class="p-2"><a href=format!("/admin/orders/{}", row.number) class="font-medium text-brand-700 underline">{row.number.clone()}</a></td>
                    <td class="p-2"><time datetime=iso_date(row.created_at)>{long_date(row.created_at)}</time></td>
                    <td class="p-2">{row.customer}<span class="block text-sm text-slate-600">{row.email}</span></td>
                    <td class="p-2">{row.items}</td>
                    <td class="p-2">{row.total.to_string()}</td>
                    <td class="p-2">{row.status.label()}</td>
                </tr>
            }).collect_view()}
        </PagedTable>
    }
}

/// `/admin/orders/{number}`: the order, its customer and history, and the status buttons.
#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let change = ServerAction::<SetOrderStatus>::new();
    let actions = DeskActions {
        change,
        ship: ServerAction::new(),
        refund: ServerAction::new(),
        resend: ServerAction::new(),
        advance: ServerAction::new(),
    };
    let order = Resource::new(
        move || {
            (
                params.read().get("number").unwrap_or_default(),
                actions.versions(),
            )
        },
        |(number, _)| admin_order(number),
    );
    view! {
        <AdminFrame title="Order">
            {move || Suspend::new(async move {
                order.await.map(|desk| view! { <DeskOrderView desk actions/> })
            })}
        </AdminFrame>
    }
}

/// What an admin can do on an order's page; the page loads again after any of them.
#[derive(Clone, Copy)]
struct DeskActions {
    change: ServerAction<SetOrderStatus>,
    ship: ServerAction<ShipOrder>,
    refund: ServerAction<RefundOrder>,
    resend: ServerAction<ResendRefund>,
    advance: ServerAction<AdvanceReturn>,
}

impl DeskActions {
    fn versions(self) -> usize {
        self.change.version().get()
            + self.ship.version().get()
            + self.refund.version().get()
            + self.resend.version().get()
            + self.advance.version().get()
    }
}

#[component]
fn DeskOrderView(desk: DeskOrder, actions: DeskActions) -> impl IntoView {
    let DeskActions {
        change,
        ship,
        refund,
        resend,
        advance,
    } = actions;
    let error = error_of(change);
    let order = desk.order;
    let number = order.number.clone();
    view! {
        <div class="mb-6 flex flex-wrap items-baseline gap-4">
            <h1 class="text-2xl font-bold">{format!("Order {}", order.number)}</h1>
            <p class="text-lg" data-testid="desk-status">{desk.status.label()}</p>
            {order.test_payment.then(|| view! { <TestPaymentNote/> })}
        </div>
        <div class="grid gap-6 md:grid-cols-2">
            <section class="space-y-2 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="desk-lines">
                <h2 id="desk-lines" class="font-semibold">"Items"</h2>
                <ul class="space-y-1">
                    {order.lines.iter().map(|line| view! {
                        <li>{format!("{} × {}", line.quantity, line.title)}
                            <span class="text-sm text-slate-600">{format!(" {} · {}", line.sku, line.variant)}</span>
                        </li>
                    }).collect_view()}
                </ul>
                {(!order.promotion.is_empty()).then(|| view! {
                    <p data-testid="desk-discount">{format!("Discount {}: −{}", order.promotion, order.totals.discount)}</p>
                })}
                <p class="font-semibold">"Total " {order.totals.total.to_string()}</p>
                {(order.refunded != Money::default()).then(|| view! {
                    <p data-testid="desk-refunded">{format!("Refunded {}", order.refunded)}</p>
                })}
            </section>
            <section class="space-y-2 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="desk-customer">
                <h2 id="desk-customer" class="font-semibold">"Customer"</h2>
                <p>{desk.customer}<span class="block text-sm">{desk.email}</span></p>
                <p class="text-sm">{order.address.into_iter().map(|line| view! { <span class="block">{line}</span> }).collect_view()}</p>
                <p class="text-sm">{format!("Shipping: {}", order.shipping_method)}</p>
            </section>
        </div>
        <section class="mt-6 space-y-3" aria-labelledby="desk-actions">
            <h2 id="desk-actions" class="font-semibold">"Status"</h2>
            {(!desk.shippable.is_empty()).then(|| view! { <ShipEditor number=number.clone() lines=desk.shippable ship/> })}
            {if desk.status.next().is_empty() {
                view! { <p>"This order is closed."</p> }.into_any()
            } else {
                view! {
                    <div class="flex flex-wrap gap-3">
                        {desk.status.next().iter().filter(|to| **to != OrderStatus::Shipped).map(|to| {
                            let text = match to {
                                OrderStatus::Shipped => "Mark as shipped",
                                OrderStatus::Delivered => "Mark as delivered",
                                _ => "Cancel order",
                            };
                            let number = number.clone();
                            view! {
                                <ActionForm action=change>
                                    <input type="hidden" name="number" value=number/>
                                    <input type="hidden" name="status" value=to.as_str()/>
                                    <button type="submit" class="rounded-md border border-slate-300 px-4 py-2 font-medium hover:border-brand-700">{text}</button>
                                </ActionForm>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            <FormError error/>
            <ol class="space-y-1 text-sm text-slate-700" aria-label="History">
                {desk.history.into_iter().map(|c| view! {
                    <li>
                        <time datetime=iso_date(c.at)>{long_date(c.at)}</time>
                        {format!(": {} → {}", c.from.label(), c.to.label())}
                        {(!c.by.is_empty()).then(|| format!(" by {}", c.by))}
                    </li>
                }).collect_view()}
            </ol>
        </section>
        <ReturnDesk number=number.clone() returns=order.returns advance/>
        <Refunds number=number.clone() refunds=desk.refunds resend/>
        {(!desk.refundable.is_empty()).then(|| view! {
            <RefundEditor number lines=desk.refundable left=desk.left refund/>
        })}
    }
}

/// "Mark as shipped": the units of each line in the parcel (everything left, unless changed),
/// with the carrier and tracking number if there are any.
#[component]
fn ShipEditor(
    number: String,
    lines: Vec<ShippableLine>,
    ship: ServerAction<ShipOrder>,
) -> impl IntoView {
    let error = error_of(ship);
    view! {
        <ActionForm action=ship attr:class="max-w-2xl space-y-3 rounded-lg border border-slate-200 bg-white p-4">
            <input type="hidden" name="number" value=number/>
            {lines.into_iter().enumerate().map(|(i, line)| {
                let id = format!("ship-line-{i}");
                let left = line.quantity - line.shipped;
                view! {
                    <div class="flex flex-wrap items-center gap-3">
                        <label for=id.clone() class="min-w-48">{format!("{} ({left} of {} to ship)", line.title, line.quantity)}</label>
                        <input id=id.clone() name=format!("shipment[quantities][{i}]") type="number" min="0" max=left value=left
                            class="w-24 rounded-md border border-slate-300 px-3 py-2" aria-describedby=format!("{id}-error")/>
                        <FieldMessage error field=format!("quantities[{i}]") id=format!("{id}-error")/>
                    </div>
                }
            }).collect_view()}
            <div class="grid gap-3 sm:grid-cols-2">
                <div>
                    <label for="ship-carrier" class=LABEL>"Carrier"</label>
                    <select id="ship-carrier" name="shipment[carrier]" class=INPUT aria-describedby="ship-carrier-error">
                        <option value="">"None"</option>
                        {CARRIERS.into_iter().map(|(code, name, _)| view! { <option value=code>{name}</option> }).collect_view()}
                    </select>
                    <FieldMessage error field="carrier" id="ship-carrier-error"/>
                </div>
                <div>
                    <label for="ship-tracking" class=LABEL>"Tracking number"</label>
                    <input id="ship-tracking" name="shipment[tracking]" type="text" maxlength="40" class=INPUT aria-describedby="ship-tracking-error"/>
                    <FieldMessage error field="tracking" id="ship-tracking-error"/>
                </div>
            </div>
            <FieldMessage error field="quantities" id="ship-quantities-error"/>
            <FormError error/>
            <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Mark as shipped"</button>
        </ActionForm>
    }
}

/// The order's returns, each with its history and the step the order desk can take next:
/// approve or reject a request (with a note to the customer), receive the items (back to
/// stock if ticked), refund them.
#[component]
fn ReturnDesk(
    number: String,
    returns: Vec<ReturnView>,
    advance: ServerAction<AdvanceReturn>,
) -> impl IntoView {
    let error = error_of(advance);
    (!returns.is_empty()).then(|| view! {
        <section class="mt-6 max-w-2xl space-y-3" aria-labelledby="desk-returns">
            <h2 id="desk-returns" class="font-semibold">"Returns"</h2>
            {returns.into_iter().map(|ret| {
                let id = ret.id;
                let status = ret.status;
                let note_id = format!("return-{id}-note");
                let hidden = view! {
                    <input type="hidden" name="number" value=number.clone()/>
                    <input type="hidden" name="id" value=id/>
                };
                let form = match status {
                    ReturnStatus::Requested => Some(view! {
                        <ActionForm action=advance attr:class="space-y-2">
                            {hidden}
                            <label for=note_id.clone() class=LABEL>"Note to the customer (required to reject)"</label>
                            <textarea id=note_id.clone() name="note" rows="2" maxlength="1000" class=INPUT aria-describedby=format!("{note_id}-error")></textarea>
                            <FieldMessage error field="note" id=format!("{note_id}-error")/>
                            <div class="flex gap-3">
                                <button type="submit" name="to" value=ReturnStatus::Approved.as_str() class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Approve return"</button>
                                <button type="submit" name="to" value=ReturnStatus::Rejected.as_str() class="rounded-md border border-slate-300 px-4 py-2 font-medium">"Reject return"</button>
                            </div>
                        </ActionForm>
                    }.into_any()),
                    ReturnStatus::Approved => Some(view! {
                        <ActionForm action=advance attr:class="flex flex-wrap items-center gap-3">
                            {hidden}
                            <input type="hidden" name="to" value=ReturnStatus::Received.as_str()/>
                            <label class="flex items-center gap-2">
                                <input type="checkbox" name="restock" checked/>
                                "Put the items back in stock"
                            </label>
                            <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Mark as received"</button>
                        </ActionForm>
                    }.into_any()),
                    ReturnStatus::Received => Some(view! {
                        <ActionForm action=advance>
                            {hidden}
                            <input type="hidden" name="to" value=ReturnStatus::Refunded.as_str()/>
                            <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Refund return"</button>
                        </ActionForm>
                    }.into_any()),
                    ReturnStatus::Rejected | ReturnStatus::Refunded => None,
                };
                view! {
                    <div class="space-y-2">
                        <ReturnHistory ret/>
                        {form}
                    </div>
                }
            }).collect_view()}
            <FormError error/>
        </section>
    })
}

/// The order's refunds, with their credit notes; one the gateway could not be asked about can
/// be sent again.
#[component]
fn Refunds(
    number: String,
    refunds: Vec<RefundRow>,
    resend: ServerAction<ResendRefund>,
) -> impl IntoView {
    let error = error_of(resend);
    (!refunds.is_empty()).then(|| view! {
        <section class="mt-6 space-y-2" aria-labelledby="desk-refunds">
            <h2 id="desk-refunds" class="font-semibold">"Refunds"</h2>
            <ul class="space-y-1 text-sm">
                {refunds.into_iter().map(|r| {
                    let number = number.clone();
                    view! {
                        <li data-testid="refund">
                            <time datetime=iso_date(r.at)>{long_date(r.at)}</time>
                            {format!(": {} {}", r.amount, r.status)}
                            {r.credit_note.map(|note| format!(", credit note {note}"))}
                            {(!r.reason.is_empty()).then(|| format!(" — {}", r.reason))}
                            {(!r.by.is_empty()).then(|| format!(" by {}", r.by))}
                            {(!r.failure.is_empty()).then(|| format!(" ({})", r.failure))}
                            {(r.status == "pending").then(|| view! {
                                <ActionForm action=resend attr:class="inline">
                                    <input type="hidden" name="number" value=number/>
                                    <input type="hidden" name="id" value=r.id/>
                                    <button type="submit" class="ml-2 underline">"Send again"</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <FormError error/>
        </section>
    })
}

/// The refund form: units of each line (back to stock if ticked), or an amount.
#[component]
fn RefundEditor(
    number: String,
    lines: Vec<PaidLine>,
    left: Money,
    refund: ServerAction<RefundOrder>,
) -> impl IntoView {
    let error = error_of(refund);
    view! {
        <section class="mt-6 max-w-2xl space-y-3 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="desk-refund">
            <h2 id="desk-refund" class="font-semibold">"Refund"</h2>
            <p class="text-sm text-slate-600">{format!("Up to {left} can be refunded. Choose items, or enter an amount.")}</p>
            <ActionForm action=refund attr:class="space-y-3">
                <input type="hidden" name="number" value=number/>
                {lines.into_iter().enumerate().map(|(i, line)| {
                    let id = format!("refund-line-{i}");
                    let field = format!("quantities[{i}]");
                    let left_units = line.quantity - line.refunded;
                    view! {
                        <div class="flex flex-wrap items-center gap-3">
                            <label for=id.clone() class="min-w-48">{format!("{} (paid {}; {left_units} of {} left)", line.title, line.paid, line.quantity)}</label>
                            <input id=id.clone() name=format!("refund[quantities][{i}]") type="number" min="0" max=left_units value="0" class="w-24 rounded-md border border-slate-300 px-3 py-2"
                                aria-describedby=format!("{id}-error")/>
                            <FieldMessage error field=field id=format!("{id}-error")/>
                        </div>
                    }
                }).collect_view()}
                <label class="flex items-center gap-2">
                    <input type="checkbox" name="refund[restock]" checked/>
                    "Put refunded items back in stock"
                </label>
                <div>
                    <label for="refund-amount" class=LABEL>"Or an amount"</label>
                    <input id="refund-amount" name="refund[amount]" type="text" inputmode="decimal" class=INPUT aria-describedby="refund-amount-error"/>
                    <FieldMessage error field="amount" id="refund-amount-error"/>
                </div>
                <div>
                    <label for="refund-reason" class=LABEL>"Reason"</label>
                    <input id="refund-reason" name="refund[reason]" type="text" maxlength="500" class=INPUT/>
                    <FieldMessage error field="reason" id="refund-reason-error"/>
                </div>
                <FormError error/>
                <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white">"Refund"</button>
            </ActionForm>
        </section>
    }
}
