//! The cart badge, "Add to cart" and "Add to wishlist" on product pages, the product tile of
//! listings (with its quick "Add to cart"), `/cart` and `/wishlist`.

use super::{
    api::{
        AddToCart, AddToWishlist, MoveToWishlist, RemoveFromCart, RemoveFromWishlist,
        UpdateCartLine, get_cart, get_cart_count, get_wishlist,
    },
    model::{CartLine, CartView, WishlistItem},
};
use crate::{
    catalog::{
        model::{ProductCard, VariantView, stock_status},
        pages::{Loading, ProductImage},
    },
    error::AppError,
    ui::{
        ErrorPage, PageTitle, encode_query,
        forms::{FormError, error_of},
        session::{RequireUser, SessionContext},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The cart and wishlist actions every page shares, so the header badge follows each of them.
#[derive(Clone, Copy)]
pub struct CartContext {
    pub add: ServerAction<AddToCart>,
    pub update: ServerAction<UpdateCartLine>,
    pub remove: ServerAction<RemoveFromCart>,
    pub move_to_wishlist: ServerAction<MoveToWishlist>,
    pub add_to_wishlist: ServerAction<AddToWishlist>,
    pub remove_from_wishlist: ServerAction<RemoveFromWishlist>,
    session: SessionContext,
    /// Bumped by pages that change the cart through a server function of their own.
    elsewhere: RwSignal<usize>,
}

impl CartContext {
    /// Changes whenever the cart or wishlist may have changed, including sign-in and sign-out.
    pub fn changes(self) -> usize {
        self.add.version().get()
            + self.update.version().get()
            + self.remove.version().get()
            + self.move_to_wishlist.version().get()
            + self.add_to_wishlist.version().get()
            + self.remove_from_wishlist.version().get()
            + self.session.generation.get()
            + self.elsewhere.get()
    }
}

/// Tells the header that the cart changed through some other page's server function (e.g.
/// "Buy again"), so its badge is counted again.
pub fn cart_changed() {
    cart().elsewhere.update(|n| *n += 1);
}

/// Units in the cart, for the badge; fetched again after every change.
#[derive(Clone, Copy)]
struct CartCount(Resource<Result<i64, AppError>>);

/// Creates the cart context. Call after `provide_session`.
pub fn provide_cart() {
    let context = CartContext {
        add: ServerAction::new(),
        update: ServerAction::new(),
        remove: ServerAction::new(),
        move_to_wishlist: ServerAction::new(),
        add_to_wishlist: ServerAction::new(),
        remove_from_wishlist: ServerAction::new(),
        session: expect_context::<SessionContext>(),
        elsewhere: RwSignal::new(0),
    };
    provide_context(context);
    provide_context(CartCount(Resource::new(
        move || context.changes(),
        |_| get_cart_count(),
    )));
}

pub fn cart() -> CartContext {
    expect_context::<CartContext>()
}

/// The header's link to the cart with the number of items in it.
#[component]
pub fn CartLink() -> impl IntoView {
    let CartCount(count) = expect_context();
    let badge = move || {
        count
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .to_string()
    };
    view! {
        <a href="/cart" class="flex items-center gap-1 font-medium hover:text-brand-700">
            "Cart"
            <Transition fallback=|| view! { <span data-testid="cart-count" class="rounded-full bg-brand-700 px-2 text-sm text-white">"0"</span> }>
                <span data-testid="cart-count" class="rounded-full bg-brand-700 px-2 text-sm text-white">
                    {badge}
                    <span class="sr-only">" items"</span>
                </span>
            </Transition>
        </a>
    }
}

const BUTTON: &str = "rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-50";
const SECONDARY: &str =
    "rounded-md border border-slate-300 px-4 py-2 font-medium hover:border-brand-700";

/// "Quantity" and "Add to cart" for the variant chosen in the surrounding form (whose radio
/// buttons are named `sku`), or for `single` when the product has one variant.
#[component]
pub fn AddToCartForm(single: Option<String>, children: Children) -> impl IntoView {
    let add = cart().add;
    let added = move || matches!(add.value().get(), Some(Ok(())));
    view! {
        <ActionForm action=add attr:class="space-y-4">
            {children()}
            {single.map(|sku| view! { <input type="hidden" name="sku" value=sku/> })}
            <div class="flex items-end gap-3">
                <div>
                    <label for="add-quantity" class="mb-1 block font-medium">"Quantity"</label>
                    <input id="add-quantity" name="quantity" type="number" min="1" value="1" inputmode="numeric" class="w-20 rounded-md border border-slate-300 px-3 py-2"/>
                </div>
                <button type="submit" class=BUTTON disabled=move || add.pending().get()>"Add to cart"</button>
            </div>
            <FormError error=error_of(add)/>
            <Show when=added>
                <p role="status" class="text-green-800">"Added to your cart. " <a href="/cart" class="underline">"View cart"</a></p>
            </Show>
        </ActionForm>
    }
}

/// How wide a listing's tile is drawn: a column of one on a phone, two from `sm`, up to four.
const TILE_SIZES: &str = "(min-width: 1024px) 25vw, (min-width: 640px) 50vw, 100vw";

/// A cart or wishlist line's small picture.
const THUMBNAIL: &str = "h-18 w-24 rounded border border-slate-200 object-cover";

/// A product in a listing: picture, title, brand, price and stock.
#[component]
pub fn ProductTile(
    product: ProductCard,
    /// Called when the shopper follows the link to the product.
    #[prop(optional)]
    on_open: Option<Callback<()>>,
) -> impl IntoView {
    let href = format!("/p/{}", product.slug);
    let stock = stock_status(product.stock);
    let title = product.title.clone();
    view! {
        <li class="flex flex-col overflow-hidden rounded-lg border border-slate-200 bg-white">
            <ProductImage picture=product.picture() alt="" sizes=TILE_SIZES size=Some((400, 300)) loading=Loading::Lazy class="aspect-[4/3] w-full object-cover"/>
            <div class="flex flex-1 flex-col gap-1 p-4">
                <a
                    href=href
                    on:click=move |_| {
                        if let Some(on_open) = on_open {
                            on_open.run(());
                        }
                    }
                    class="font-medium text-slate-900 hover:text-brand-700"
                >
                    {product.title}
                </a>
                <p class="text-sm text-slate-600">{product.brand}</p>
                <p class="mt-auto text-lg font-semibold">{product.price.to_string()}</p>
                <p class="text-sm text-slate-600">{stock}</p>
                {product.only_sku.filter(|_| product.stock > 0).map(|sku| view! { <QuickAdd sku title=title.clone()/> })}
            </div>
        </li>
    }
}

/// "Add to cart" in a listing, for a product with one variant: one unit, no questions.
#[component]
pub fn QuickAdd(sku: String, title: String) -> impl IntoView {
    let add = cart().add;
    view! {
        <ActionForm action=add attr:class="mt-2">
            <input type="hidden" name="sku" value=sku/>
            <input type="hidden" name="quantity" value="1"/>
            <button type="submit" class="w-full rounded-md border border-brand-700 px-3 py-1 text-sm font-medium text-brand-700 hover:bg-brand-700 hover:text-white">
                "Add to cart"<span class="sr-only">{format!(": {title}")}</span>
            </button>
        </ActionForm>
    }
}

/// "Add to wishlist" for the variant `current`. Signed-out shoppers are sent to sign in and
/// come back with `?wishlist=SKU` in the URL, which asks them to press the button once more:
/// a link never changes a wishlist by itself.
#[component]
pub fn AddToWishlistButton(slug: String, current: Signal<VariantView>) -> impl IntoView {
    let context = cart();
    let (session, add) = (context.session, context.add_to_wishlist);
    let query = use_query_map();
    let signed_in = move || matches!(session.user.get(), Some(Ok(Some(_))));
    let back_to_save = move || {
        signed_in() && query.read().get("wishlist").is_some() && add.value().get().is_none()
    };
    let added = move || matches!(add.value().get(), Some(Ok(())));
    let slug = StoredValue::new(slug);
    let sign_in = move || {
        let back = format!(
            "/p/{}?wishlist={}",
            slug.read_value(),
            encode_query(&current.get().sku)
        );
        format!("/login?next={}", encode_query(&back))
    };
    view! {
        <Show
            when=signed_in
            fallback=move || view! { <a href=sign_in class=SECONDARY>"Add to wishlist"</a> }
        >
            <ActionForm action=add attr:class="inline">
                <input type="hidden" name="sku" prop:value=move || current.get().sku/>
                <button type="submit" class=SECONDARY>"Add to wishlist"</button>
            </ActionForm>
        </Show>
        <Show when=back_to_save>
            <p role="status" class="text-slate-700">"You're signed in. Press “Add to wishlist” to save it."</p>
        </Show>
        <Show when=added>
            <p role="status" class="text-green-800">"Saved to your wishlist. " <a href="/wishlist" class="underline">"View wishlist"</a></p>
        </Show>
        <FormError error=error_of(add)/>
    }
}

/// `/cart`.
#[component]
pub fn CartPage() -> impl IntoView {
    let context = cart();
    let contents = Resource::new(move || context.changes(), |_| get_cart());
    view! {
        <PageTitle text="Your cart — Emporium"/>
        <h1 class="mb-6 text-2xl font-bold">"Your cart"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move {
                    contents.await.map(|cart| view! { <CartContents cart/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn CartContents(cart: CartView) -> impl IntoView {
    let context = self::cart();
    let errors = [
        error_of(context.update),
        error_of(context.remove),
        error_of(context.move_to_wishlist),
    ];
    let error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    if cart.lines.is_empty() {
        return view! {
            {cart.notices.into_iter().map(|n| view! { <p role="status" class="mb-4 rounded-md bg-amber-50 px-3 py-2">{n}</p> }).collect_view()}
            <p class="text-slate-700">"Your cart is empty. " <a href="/" class="font-medium text-brand-700 underline">"Continue shopping"</a></p>
        }
        .into_any();
    }
    let subtotal = cart.subtotal();
    let items = cart.items();
    view! {
        {cart.notices.into_iter().map(|n| view! { <p role="status" class="mb-4 rounded-md bg-amber-50 px-3 py-2">{n}</p> }).collect_view()}
        <FormError error/>
        <ul class="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
            {cart.lines.into_iter().map(|line| view! { <CartLineRow line/> }).collect_view()}
        </ul>
        <div class="mt-6 flex flex-col items-end gap-2">
            <p class="text-lg">
                {format!("Subtotal ({items} {}): ", if items == 1 { "item" } else { "items" })}
                <span class="font-semibold" data-testid="cart-subtotal">{subtotal.to_string()}</span>
            </p>
            <a href="/checkout" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">"Proceed to checkout"</a>
        </div>
    }
    .into_any()
}

#[component]
fn CartLineRow(line: CartLine) -> impl IntoView {
    let context = cart();
    let problem = line.problem();
    let changed = line.added_price != line.unit_price;
    let quantity_id = format!("quantity-{}", line.sku);
    let title = line.title.clone();
    // Each line's buttons say which item they act on to someone hearing a list of them.
    let named = StoredValue::new(format!(": {title}"));
    // Each form takes its own copy of the SKU.
    let (update_sku, remove_sku, move_sku) = (line.sku.clone(), line.sku.clone(), line.sku.clone());
    view! {
        <li class="flex flex-wrap gap-4 p-4" data-testid="cart-line">
            <ProductImage picture=line.picture() alt="" sizes="96px" size=Some((96, 72)) loading=Loading::Lazy class=THUMBNAIL/>
            <div class="min-w-48 flex-1 space-y-1">
                <a href=format!("/p/{}", line.slug) class="font-medium text-brand-700 underline">{line.title.clone()}</a>
                <p class="text-sm text-slate-600">{line.variant.clone()}</p>
                <p>
                    {changed.then(|| view! {
                        <span class="mr-2 text-slate-500 line-through"><span class="sr-only">"Was "</span>{line.added_price.to_string()}</span>
                    })}
                    <span data-testid="unit-price">{line.unit_price.to_string()}</span>
                    {changed.then(|| view! { <span class="ml-2 text-sm text-amber-700">"Price changed since you added it"</span> })}
                </p>
                {problem.map(|p| view! { <p class="font-medium text-red-700">{p}</p> })}
                <p class="text-sm text-slate-600">{stock_status(line.stock)}</p>
            </div>
            <div class="flex flex-col items-end gap-2">
                <ActionForm action=context.update attr:class="flex items-end gap-2">
                    <input type="hidden" name="sku" value=update_sku/>
                    <div>
                        <label for=quantity_id.clone() class="mb-1 block text-sm font-medium">"Quantity"<span class="sr-only">{format!(" of {title}")}</span></label>
                        <input id=quantity_id name="quantity" type="number" min="1" inputmode="numeric" value=line.quantity class="w-20 rounded-md border border-slate-300 px-2 py-1"/>
                    </div>
                    <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm">"Update"<span class="sr-only">{named.get_value()}</span></button>
                </ActionForm>
                <p class="font-semibold" data-testid="line-total">{line.total().to_string()}</p>
                <div class="flex gap-3 text-sm">
                    <ActionForm action=context.remove>
                        <input type="hidden" name="sku" value=remove_sku/>
                        <button type="submit" class="underline">"Remove"<span class="sr-only">{named.get_value()}</span></button>
                    </ActionForm>
                    <ActionForm action=context.move_to_wishlist>
                        <input type="hidden" name="sku" value=move_sku/>
                        <button type="submit" class="underline">"Move to wishlist"<span class="sr-only">{named.get_value()}</span></button>
                    </ActionForm>
                </div>
            </div>
        </li>
    }
}

/// `/wishlist`: signed-in shoppers only.
#[component]
pub fn WishlistPage() -> impl IntoView {
    view! {
        <PageTitle text="Your wishlist — Emporium"/>
        <RequireUser>
            <Wishlist/>
        </RequireUser>
    }
}

#[component]
fn Wishlist() -> impl IntoView {
    let context = cart();
    let items = Resource::new(move || context.changes(), |_| get_wishlist());
    let errors = [
        error_of(context.add),
        error_of(context.remove_from_wishlist),
    ];
    let error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    view! {
        <h1 class="mb-6 text-2xl font-bold">"Your wishlist"</h1>
        <FormError error/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move {
                    items.await.map(|items| {
                        if items.is_empty() {
                            view! { <p class="text-slate-700">"Nothing saved yet. Use “Add to wishlist” on a product to keep it here."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
                                    {items.into_iter().map(|item| view! { <WishlistRow item/> }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn WishlistRow(item: WishlistItem) -> impl IntoView {
    let context = cart();
    let (add_sku, remove_sku) = (item.sku.clone(), item.sku.clone());
    // Each row's buttons say which item they act on to someone hearing a list of them.
    let named = StoredValue::new(format!(": {}", item.title));
    view! {
        <li class="flex flex-wrap items-center gap-4 p-4" data-testid="wishlist-item">
            <ProductImage picture=item.picture() alt="" sizes="96px" size=Some((96, 72)) loading=Loading::Lazy class=THUMBNAIL/>
            <div class="min-w-48 flex-1 space-y-1">
                <a href=format!("/p/{}", item.slug) class="font-medium text-brand-700 underline">{item.title.clone()}</a>
                <p class="text-sm text-slate-600">{item.variant.clone()}</p>
                <p class="font-semibold">{item.price.to_string()}</p>
                <p class="text-sm text-slate-600">{stock_status(item.stock)}</p>
            </div>
            <div class="flex gap-3">
                <ActionForm action=context.add>
                    <input type="hidden" name="sku" value=add_sku/>
                    <input type="hidden" name="quantity" value="1"/>
                    <button type="submit" class=BUTTON disabled=item.stock == 0>"Add to cart"<span class="sr-only">{named.get_value()}</span></button>
                </ActionForm>
                <ActionForm action=context.remove_from_wishlist>
                    <input type="hidden" name="sku" value=remove_sku/>
                    <button type="submit" class=SECONDARY>"Remove"<span class="sr-only">{named.get_value()}</span></button>
                </ActionForm>
            </div>
        </li>
    }
}
