//! Generated product pictures: a deterministic SVG per product slug, so the demo catalog has
//! images without a network or an upload.

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

/// Muted background / foreground pairs that read well together.
const PALETTE: &[(&str, &str)] = &[
    ("#e0f2fe", "#0369a1"),
    ("#fef3c7", "#b45309"),
    ("#dcfce7", "#15803d"),
    ("#fce7f3", "#be185d"),
    ("#ede9fe", "#6d28d9"),
    ("#f1f5f9", "#334155"),
    ("#ffedd5", "#c2410c"),
    ("#ccfbf1", "#0f766e"),
];

/// `GET /media/products/{slug}.svg`.
pub async fn product_image(Path(file): Path<String>) -> Response {
    let Some(slug) = file.strip_suffix(".svg").filter(|s| is_slug(s)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        render(slug),
    )
        .into_response()
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// FNV-1a: a stable hash, so the same slug always gets the same picture.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn render(slug: &str) -> String {
    let h = hash(slug);
    let (background, foreground) = PALETTE[usize::try_from(h % PALETTE.len() as u64).unwrap_or(0)];
    let initials: String = slug
        .split('-')
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .take(2)
        .filter_map(|w| w.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let radius = 60 + (h >> 8) % 60;
    let cx = 120 + (h >> 16) % 160;
    let cy = 100 + (h >> 24) % 100;
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" role="img"><rect width="400" height="300" fill="{background}"/><circle cx="{cx}" cy="{cy}" r="{radius}" fill="{foreground}" opacity="0.18"/><rect x="250" y="170" width="90" height="90" rx="14" fill="{foreground}" opacity="0.12"/><text x="200" y="170" font-family="system-ui, sans-serif" font-size="72" font-weight="700" text-anchor="middle" fill="{foreground}">{initials}</text></svg>"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_slug_always_draws_the_same_picture() {
        assert_eq!(
            render("acme-classic-laptop-1"),
            render("acme-classic-laptop-1")
        );
        assert_ne!(
            render("acme-classic-laptop-1"),
            render("acme-classic-laptop-2")
        );
        assert!(render("acme-classic-laptop-1").contains(">AC<"));
    }

    #[test]
    fn only_slugs_are_accepted() {
        assert!(is_slug("acme-laptop-1"));
        for bad in ["", "../etc/passwd", "Acme", "a b", "<script>"] {
            assert!(!is_slug(bad), "{bad:?}");
        }
    }
}
