//! Product pictures: a generated SVG per product slug (so the demo catalog has images without a
//! network), and pictures uploaded by staff.

use super::model::{copy_height, copy_name, is_slug, picture_widths, stored_files};
use crate::platform::{
    audit::{Action, Actor, Entry, Origin},
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
use image::{
    DynamicImage, GenericImageView, ImageDecoder, ImageFormat, ImageReader, Limits,
    imageops::FilterType, metadata::Orientation,
};
use sha2::{Digest, Sha256};
use std::io::Cursor;

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

/// The largest picture file accepted, in bytes: a phone's photo, before it is made smaller.
pub const MAX_IMAGE_BYTES: usize = 12 * 1024 * 1024;

/// A picture wider or taller than this, in pixels, is refused before it is decoded.
const MAX_SIDE: u32 = 12_000;

/// The most memory decoding one picture may take.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// libwebp's quality (0 to 100) for the copies: photos stay sharp at a fraction of a PNG.
const WEBP_QUALITY: f32 = 80.0;

/// The picture formats accepted, recognised by their first bytes (never by the name or the
/// browser's claim). SVG is not among them: it can carry scripts.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
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

/// Why an uploaded picture was refused; `code` goes back to the edit page in its address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    Missing,
    TooLarge,
    /// Not a PNG, JPEG, WebP or GIF.
    Type,
    /// Claims to be one but cannot be decoded (damaged, or too many pixels).
    Unreadable,
}

impl Refused {
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::TooLarge => "too-large",
            Self::Type => "type",
            Self::Unreadable => "unreadable",
        }
    }
}

/// The WebP copies of an uploaded picture, narrowest first, each with its file name
/// (`{prefix}-{w}x{h}.webp`, the widths of `picture_widths`); the widest names the picture.
/// The picture is turned upright as its EXIF orientation says, and the copies carry no metadata,
/// so a phone photo's location is never published. An animated GIF keeps its first frame.
pub fn webp_copies(prefix: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Refused> {
    let format = sniff(bytes).ok_or(Refused::Type)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| Refused::Unreadable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| Refused::Unreadable)?;
    picture.apply_orientation(orientation);

    let widths = picture_widths(picture.width());
    let widest = widths[widths.len() - 1];
    let tallest = copy_height(picture.width(), picture.height(), widest);
    let mut copies = Vec::with_capacity(widths.len());
    // Widest first, each copy made from the one before: fewer pixels to filter each time.
    for width in widths.into_iter().rev() {
        let height = copy_height(widest, tallest, width);
        if picture.dimensions() != (width, height) {
            picture = picture.resize_exact(width, height, FilterType::Lanczos3);
        }
        copies.push((copy_name(prefix, width, height), encode_webp(&picture)));
    }
    copies.reverse();
    Ok(copies)
}

fn encode_webp(picture: &DynamicImage) -> Vec<u8> {
    let (width, height) = picture.dimensions();
    let encoded = if picture.color().has_alpha() {
        webp::Encoder::from_rgba(&picture.to_rgba8(), width, height).encode(WEBP_QUALITY)
    } else {
        webp::Encoder::from_rgb(&picture.to_rgb8(), width, height).encode(WEBP_QUALITY)
    };
    encoded.to_vec()
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

/// `GET /admin/products/{id}/image` (a reload, a pasted address): the product's edit page,
/// which holds the picture form.
pub async fn picture_form(Path(id): Path<i64>) -> Redirect {
    Redirect::to(&format!("/admin/products/{id}"))
}

/// `POST /admin/products/{id}/image` (multipart, field `image`): an admin replaces a product's
/// picture. Goes back to the product's edit page, with `image_error` when the file was refused.
/// The picture is resized once, here, into the WebP copies pages offer by width.
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
    let back = |refused: Option<Refused>| {
        let query = refused.map_or("saved=1".to_owned(), |r| {
            format!("image_error={}", r.code())
        });
        Redirect::to(&format!("/admin/products/{id}?{query}")).into_response()
    };
    let mut bytes = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("image") {
            match field.bytes().await {
                Ok(data) => bytes = Some(data),
                Err(_) => return back(Some(Refused::TooLarge)),
            }
        }
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return back(Some(Refused::Missing));
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return back(Some(Refused::TooLarge));
    }
    let prefix = format!("{id}-{}", hex::encode(&Sha256::digest(&bytes)[..12]));
    let copies = match tokio::task::spawn_blocking(move || webp_copies(&prefix, &bytes)).await {
        Ok(Ok(copies)) => copies,
        Ok(Err(refused)) => return back(Some(refused)),
        Err(error) => {
            tracing::error!(%error, "resizing an uploaded picture failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let file = copies[copies.len() - 1].0.clone();
    let store = state.service::<MediaStore>();
    for (name, data) in copies {
        if let Err(error) = store
            .put(&format!("uploads/{name}"), data, "image/webp")
            .await
        {
            tracing::error!(%error, "storing an uploaded picture failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let origin = Origin::new(&headers, client.as_deref());
    let entry = Entry::new(Actor::Staff(staff.user_id), Action::ProductPicture, origin)
        .about(format!("product {id}"), format!("picture → {file}"));
    match set_image(&state.db, id, &file, &entry).await {
        Ok(Some(before)) => {
            if before != file {
                remove_picture(store, &before).await;
            }
            back(None)
        }
        Ok(None) => {
            remove_picture(store, &file).await;
            StatusCode::NOT_FOUND.into_response()
        }
        Err(error) => {
            tracing::error!(%error, "saving a product picture failed");
            // The copies stay only when they are the picture the product shows (the same file
            // sent again) or when that cannot be read.
            let shown: Result<Option<String>, _> =
                sqlx::query_scalar("SELECT image FROM products WHERE id = $1")
                    .bind(id)
                    .fetch_optional(state.db.pool())
                    .await;
            if shown.is_ok_and(|shown| shown.as_deref() != Some(file.as_str())) {
                remove_picture(store, &file).await;
            }
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Names `file` product `id`'s picture; the picture it had before, or `None` when there is no
/// such product. `entry` is logged with the change.
async fn set_image(
    db: &Db,
    id: i64,
    file: &str,
    entry: &Entry,
) -> Result<Option<String>, sqlx::Error> {
    let lock = db.row_lock();
    let mut tx = db.begin_write().await?;
    let before: Option<String> =
        sqlx::query_scalar(&format!("SELECT image FROM products WHERE id = $1{lock}"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if before.is_some() {
        sqlx::query("UPDATE products SET image = $1, updated_at = $2 WHERE id = $3")
            .bind(file)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        entry.write(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(before)
}

/// Takes every file of a picture no product shows any more out of the media store. A file that
/// cannot be removed is logged and left: the product is right either way.
pub async fn remove_picture(store: &MediaStore, image: &str) {
    for name in stored_files(image) {
        if let Err(error) = store.delete(&format!("uploads/{name}")).await {
            tracing::warn!(%error, file = %name, "removing an old picture failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_recognised_by_their_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(ImageFormat::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::WebP));
        assert_eq!(sniff(b"GIF89a"), Some(ImageFormat::Gif));
        for other in [&b"<svg onload=alert(1)>"[..], b"%PDF-1.7", b"", b"PNG"] {
            assert_eq!(sniff(other), None);
        }
    }

    /// A `width` × `height` picture in `format`, colours changing across it like a photo's.
    fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let pixels = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let mut bytes = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(pixels)
            .write_to(&mut bytes, format)
            .unwrap();
        bytes.into_inner()
    }

    fn decoded(copy: &[u8]) -> DynamicImage {
        image::load_from_memory_with_format(copy, ImageFormat::WebP).unwrap()
    }

    #[test]
    fn an_upload_becomes_webp_copies_at_each_width() {
        let copies = webp_copies("7-ab", &picture(1600, 1200, ImageFormat::Png)).unwrap();
        let names: Vec<&str> = copies.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "7-ab-320x240.webp",
                "7-ab-640x480.webp",
                "7-ab-1280x960.webp"
            ]
        );
        for ((_, copy), size) in copies.iter().zip([(320, 240), (640, 480), (1280, 960)]) {
            assert_eq!(sniff(copy), Some(ImageFormat::WebP));
            assert_eq!(decoded(copy).dimensions(), size);
        }
        let narrow = webp_copies("7-ab", &picture(300, 200, ImageFormat::Jpeg)).unwrap();
        assert_eq!(narrow.len(), 1);
        assert_eq!(narrow[0].0, "7-ab-300x200.webp");
    }

    #[test]
    fn transparency_is_kept() {
        let mut bytes = Cursor::new(Vec::new());
        DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            40,
            30,
            image::Rgba([9, 9, 9, 0]),
        ))
        .write_to(&mut bytes, ImageFormat::Png)
        .unwrap();
        let copies = webp_copies("7-ab", bytes.get_ref()).unwrap();
        let copy = decoded(&copies[0].1);
        assert!(copy.color().has_alpha());
        assert_eq!(copy.to_rgba8().get_pixel(5, 5)[3], 0);
    }

    #[test]
    fn a_photo_is_turned_upright_and_loses_its_metadata() {
        // A phone held upright: the sensor's 200 × 100 landscape, EXIF "rotate 90° clockwise".
        let exif = vec![
            0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0,
            0,
        ];
        let pixels = image::RgbImage::from_pixel(200, 100, image::Rgb([200, 10, 10]));
        let mut photo = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut photo, 90);
        image::ImageEncoder::set_exif_metadata(&mut encoder, exif).unwrap();
        image::ImageEncoder::write_image(
            encoder,
            &pixels,
            200,
            100,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
        assert!(photo.windows(4).any(|w| w == b"Exif"));

        let copies = webp_copies("7-ab", &photo).unwrap();
        assert_eq!(copies[0].0, "7-ab-100x200.webp");
        assert!(!copies[0].1.windows(4).any(|w| w == b"EXIF" || w == b"Exif"));
    }

    #[test]
    fn damaged_and_oversized_pictures_are_refused() {
        let mut damaged = picture(64, 64, ImageFormat::Png);
        damaged.truncate(damaged.len() / 2);
        assert_eq!(webp_copies("7-ab", &damaged), Err(Refused::Unreadable));
        assert_eq!(
            webp_copies("7-ab", &picture(MAX_SIDE + 1, 1, ImageFormat::Png)),
            Err(Refused::Unreadable)
        );
        assert_eq!(
            webp_copies("7-ab", b"<svg onload=alert(1)>"),
            Err(Refused::Type)
        );
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
