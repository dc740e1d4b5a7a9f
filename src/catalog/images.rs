//! Product pictures: a generated SVG per product slug (so the demo catalog has images without a
//! network), and pictures uploaded by staff.

use super::model::is_slug;
use crate::platform::{
    audit::{self, Action, Actor, Origin},
    auth::{Permission, Session, permitted},
    db::{Db, now_ms},
    http::ClientAddress,
    media::MediaStore,
    state::AppState,
};
use axum::{
    Extension,
    extract::{Multipart, Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use sha2::{Digest, Sha256};

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

/// The largest picture accepted, in bytes (requests are limited to 1 MiB as a whole).
pub const MAX_IMAGE_BYTES: usize = 900 * 1024;

/// The picture formats accepted, recognised by their first bytes (never by the name or the
/// browser's claim). SVG is not among them: it can carry scripts.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else {
        None
    }
}

fn content_type(ext: &str) -> Option<&'static str> {
    match ext {
        "png" => Some("image/png"),
        "jpg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        "gif" => Some("image/gif"),
        _ => None,
    }
}

/// `GET /media/uploads/{file}`: an uploaded picture, from the media store every node shares. Its
/// name is its content hash, so it is cached for a year. A store that cannot be reached is a
/// 503, never a 404 that a cache would keep.
pub async fn uploaded_image(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((stem, ext)) = file.rsplit_once('.') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (Some(kind), true) = (content_type(ext), is_slug(stem)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state
        .service::<MediaStore>()
        .get(&format!("uploads/{file}"))
        .await
    {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "reading an uploaded picture failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `POST /admin/products/{id}/image` (multipart, field `image`): an admin replaces a product's
/// picture. Goes back to the product's edit page, with `image_error` when the file was refused.
pub async fn upload_product_image(
    State(state): State<AppState>,
    session: Option<Extension<Session>>,
    client: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mut form: Multipart,
) -> Response {
    let staff = match permitted(session, Permission::EditCatalog) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let back = |error: Option<&str>| {
        let query = error.map_or("saved=1".to_owned(), |e| format!("image_error={e}"));
        Redirect::to(&format!("/admin/products/{id}?{query}")).into_response()
    };
    let mut bytes = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("image") {
            match field.bytes().await {
                Ok(data) => bytes = Some(data),
                Err(_) => return back(Some("too-large")),
            }
        }
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return back(Some("missing"));
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return back(Some("too-large"));
    }
    let Some(ext) = sniff(&bytes) else {
        return back(Some("type"));
    };
    let digest = hex::encode(&Sha256::digest(&bytes)[..12]);
    let file = format!("{id}-{digest}.{ext}");
    let stored = state
        .service::<MediaStore>()
        .put(
            &format!("uploads/{file}"),
            bytes.to_vec(),
            content_type(ext).unwrap_or("application/octet-stream"),
        )
        .await;
    if let Err(error) = stored {
        tracing::error!(%error, "storing an uploaded picture failed");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let origin = Origin::new(&headers, client.as_deref());
    let saved = match set_image(&state.db, id, &file).await {
        Ok(true) => {
            let subject = format!("product {id}");
            let summary = format!("picture → {file}");
            audit::append(
                &state.db,
                Actor::Staff(staff.user_id),
                Action::ProductPicture,
                &subject,
                &summary,
                &origin,
            )
            .await
            .map(|()| true)
        }
        other => other,
    };
    match saved {
        Ok(true) => back(None),
        Ok(false) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "saving a product picture failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn set_image(db: &Db, id: i64, file: &str) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query("UPDATE products SET image = $1, updated_at = $2 WHERE id = $3")
        .bind(file)
        .bind(now_ms())
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(updated.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_recognised_by_their_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("jpg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(sniff(b"GIF89a"), Some("gif"));
        for other in [&b"<svg onload=alert(1)>"[..], b"%PDF-1.7", b"", b"PNG"] {
            assert_eq!(sniff(other), None);
        }
    }

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
