//! The review section of a product page.

use super::{
    api::{DeleteReview, RemoveReview, SaveReview, product_reviews},
    model::{Review, ReviewsView, format_tenths, stars},
};
use crate::{
    dates::{iso_date, long_date},
    ui::{
        Bar, ErrorPage, encode_query,
        forms::{FieldMessage, FormError, INPUT, LABEL, error_of, successes},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const BUTTON: &str = "rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800";

/// Ratings, the shopper's own review form, and the reviews of the product at `slug`. The page
/// of reviews comes from `?reviews=N`.
#[component]
pub fn ProductReviews(slug: String) -> impl IntoView {
    let save = ServerAction::<SaveReview>::new();
    let delete = ServerAction::<DeleteReview>::new();
    let remove = ServerAction::<RemoveReview>::new();
    let saves = successes(save);
    let query = use_query_map();
    let slug = StoredValue::new(slug);
    let reviews = Resource::new(
        move || {
            (
                query.read().get("reviews").and_then(|p| p.parse().ok()),
                saves.get(),
                delete.version().get(),
                remove.version().get(),
            )
        },
        move |(page, ..)| product_reviews(slug.get_value(), page),
    );
    let actions = Actions {
        save,
        delete,
        remove,
    };
    view! {
        <section id="reviews" aria-labelledby="reviews-heading" class="mt-12 grid gap-8 md:grid-cols-3">
            <h2 id="reviews-heading" class="text-2xl font-semibold md:col-span-3">"Customer reviews"</h2>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading reviews…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                    {move || Suspend::new(async move {
                        reviews.await.map(|view| view! {
                            <ReviewsBody view slug=slug.get_value() actions/>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveReview>,
    delete: ServerAction<DeleteReview>,
    remove: ServerAction<RemoveReview>,
}

#[component]
fn ReviewsBody(view: ReviewsView, slug: String, actions: Actions) -> impl IntoView {
    let summary = view.summary.clone();
    let sign_in = format!(
        "/login?next={}",
        encode_query(&format!("/p/{slug}#reviews"))
    );
    let pager = |page: i64, text: &'static str| {
        view! {
            <a href=format!("/p/{slug}?reviews={page}#reviews") class="underline">{text}</a>
        }
    };
    view! {
        <div class="space-y-4">
            {match summary.tenths {
                Some(tenths) => view! {
                    <p class="text-lg" data-testid="rating-summary">
                        <span aria-hidden="true" class="mr-2 text-amber-500">{stars((tenths + 5) / 10)}</span>
                        {format!("{} out of 5", format_tenths(tenths))}
                    </p>
                    <p class="text-slate-600">
                        {if summary.count == 1 { "1 rating".to_owned() } else { format!("{} ratings", summary.count) }}
                    </p>
                    <ul class="space-y-1" aria-label="Ratings by stars">
                        {(1..=5).rev().map(|n| {
                            let percent = summary.percent(n);
                            view! {
                                <li class="flex items-center gap-2 text-sm">
                                    <span class="w-14">{if n == 1 { "1 star".to_owned() } else { format!("{n} stars") }}</span>
                                    <Bar percent class="h-3 flex-1 rounded bg-slate-200" fill="fill-amber-400"/>
                                    <span class="w-10 text-right">{format!("{percent}%")}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                None => view! { <p>"No reviews yet."</p> }.into_any(),
            }}
            {if view.signed_in {
                view! { <ReviewEditor slug=slug.clone() mine=view.mine.clone() actions/> }.into_any()
            } else {
                view! { <a href=sign_in class="inline-block underline">"Sign in to write a review"</a> }.into_any()
            }}
        </div>
        <div class="space-y-6 md:col-span-2">
            <ul class="space-y-6">
                {view.reviews.into_iter().map(|review| view! {
                    <ReviewItem review moderator=view.moderator remove=actions.remove/>
                }).collect_view()}
            </ul>
            <nav aria-label="More reviews" class="flex gap-4">
                {(view.page > 1).then(|| pager(view.page - 1, "Newer reviews"))}
                {(view.page < view.pages).then(|| pager(view.page + 1, "Older reviews"))}
            </nav>
        </div>
    }
}

#[component]
fn ReviewItem(
    review: Review,
    moderator: bool,
    remove: ServerAction<RemoveReview>,
) -> impl IntoView {
    view! {
        <li data-testid="review" class="border-b border-slate-200 pb-4">
            <p>
                <span aria-hidden="true" class="text-amber-500">{stars(review.rating)}</span>
                <span class="sr-only">{format!("{} out of 5 stars", review.rating)}</span>
                {(!review.title.is_empty()).then(|| view! { <strong class="ml-2">{review.title.clone()}</strong> })}
            </p>
            <p class="text-sm text-slate-600">
                {review.author.clone()} " · "
                <time datetime=iso_date(review.created_at)>{long_date(review.created_at)}</time>
                {review.verified.then(|| view! { <span class="ml-2 font-medium text-brand-700">"Verified purchase"</span> })}
            </p>
            <p class="mt-2 whitespace-pre-line">{review.body.clone()}</p>
            {moderator.then(|| view! {
                <ActionForm action=remove attr:class="mt-2">
                    <input type="hidden" name="id" value=review.id/>
                    <button type="submit" class="text-sm text-red-700 underline">"Remove review"</button>
                </ActionForm>
            })}
        </li>
    }
}

#[component]
fn ReviewEditor(slug: String, mine: Option<Review>, actions: Actions) -> impl IntoView {
    let error = error_of(actions.save);
    let rating = mine.as_ref().map_or(0, |r| r.rating);
    let (title, body) = mine
        .as_ref()
        .map(|r| (r.title.clone(), r.body.clone()))
        .unwrap_or_default();
    let editing = mine.is_some();
    let delete_slug = slug.clone();
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-4">
            <h3 class="mb-3 text-lg font-semibold">{if editing { "Your review" } else { "Write a review" }}</h3>
            <ActionForm action=actions.save attr:class="space-y-3">
                <input type="hidden" name="slug" value=slug/>
                <fieldset aria-describedby="review-rating-error">
                    <legend class=LABEL>"Rating"</legend>
                    <div class="flex flex-wrap gap-3">
                        {(1..=5).map(|n| {
                            view! {
                                <label class="flex items-center gap-1">
                                    <input type="radio" name="review[rating]" value=n checked=n == rating/>
                                    {if n == 1 { "1 star".to_owned() } else { format!("{n} stars") }}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <FieldMessage error field="rating" id="review-rating-error"/>
                </fieldset>
                <div>
                    <label for="review-title" class=LABEL>"Title (optional)"</label>
                    <input id="review-title" name="review[title]" type="text" maxlength="120" value=title class=INPUT aria-describedby="review-title-error"/>
                    <FieldMessage error field="title" id="review-title-error"/>
                </div>
                <div>
                    <label for="review-body" class=LABEL>"Review"</label>
                    <textarea id="review-body" name="review[body]" rows="5" maxlength="5000" class=INPUT aria-describedby="review-body-error">{body}</textarea>
                    <FieldMessage error field="body" id="review-body-error"/>
                </div>
                <FormError error/>
                <button type="submit" class=BUTTON>{if editing { "Update review" } else { "Submit review" }}</button>
            </ActionForm>
            {editing.then(|| view! {
                <ActionForm action=actions.delete attr:class="mt-3">
                    <input type="hidden" name="slug" value=delete_slug.clone()/>
                    <button type="submit" class="text-sm underline">"Delete my review"</button>
                </ActionForm>
            })}
        </div>
    }
}
