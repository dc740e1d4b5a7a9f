//! Catalog domain types shared by the server and the browser.

use crate::platform::money::Money;
use serde::{Deserialize, Serialize};

/// Where a product is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    pub const ALL: [Self; 3] = [Self::Draft, Self::Active, Self::Archived];

    /// The value stored in the database and used in forms and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Active => "Active",
            Self::Archived => "Archived",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Lower-case words joined by hyphens: what URLs use.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// True for a non-empty slug of at most 100 lower-case letters, digits and inner hyphens.
pub fn is_slug(text: &str) -> bool {
    (1..=100).contains(&text.len())
        && !text.starts_with('-')
        && !text.ends_with('-')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A category as a link: what the home page and navigation show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryLink {
    pub slug: String,
    pub name: String,
}

/// A category as a form offers it (a product's, a promotion's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryOption {
    pub slug: String,
    /// The path from the department: "Clothing › Men › Shoes".
    pub label: String,
}

/// A product as it appears in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    pub slug: String,
    pub title: String,
    pub brand: String,
    /// The lowest price among the product's variants.
    pub price: Money,
    /// Units in stock across all variants.
    pub stock: i64,
    /// The SKU when the product has exactly one variant, so a listing can offer "Add to cart".
    pub only_sku: Option<String>,
    /// The uploaded picture's file name; empty for the generated one.
    pub image: String,
}

/// Where a product's picture is served: the uploaded `image`, or the generated one.
pub fn image_url(slug: &str, image: &str) -> String {
    if image.is_empty() {
        format!("/media/products/{slug}.svg")
    } else {
        format!("/media/uploads/{image}")
    }
}

/// The widths an uploaded picture is kept at, in pixels; a narrower upload is kept at those
/// below its own width and at its own.
pub const PICTURE_WIDTHS: [u32; 3] = [320, 640, 1280];

/// A product's picture as an `<img>` shows it: one file, or WebP copies at several widths from
/// which the browser takes the one that fits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    pub src: String,
    /// `url 320w, url 640w, …` for an upload kept at several widths.
    pub srcset: Option<String>,
    /// The picture's own size (the generated one and older uploads: 400 × 300).
    pub width: u32,
    pub height: u32,
}

impl Picture {
    /// The picture of the product `slug` whose uploaded file is `image` (empty for none).
    ///
    /// An upload is stored as WebP copies named `{id}-{digest}-{w}x{h}.webp`, one per width of
    /// [`picture_widths`]; `image` names the widest. Uploads from before that are one file of
    /// their own format and keep being shown as such.
    pub fn of(slug: &str, image: &str) -> Self {
        let single = Self {
            src: image_url(slug, image),
            srcset: None,
            width: 400,
            height: 300,
        };
        let Some((width, height, copies)) = upload_copies(image) else {
            return single;
        };
        let copies: Vec<(u32, String)> = copies
            .into_iter()
            .map(|(w, name)| (w, format!("/media/uploads/{name}")))
            .collect();
        let src = copies
            .iter()
            .rev()
            .find(|(w, _)| *w <= 640)
            .unwrap_or(&copies[0])
            .1
            .clone();
        let srcset = copies
            .iter()
            .map(|(w, url)| format!("{url} {w}w"))
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            src,
            srcset: Some(srcset),
            width,
            height,
        }
    }
}

/// Each copy of an upload: its width and file name.
type Copies = Vec<(u32, String)>;

/// An upload kept at several widths (`image` names the widest): its size and its copies,
/// narrowest first. `None` for no picture or a single file.
fn upload_copies(image: &str) -> Option<(u32, u32, Copies)> {
    let (stem, size) = image.strip_suffix(".webp")?.rsplit_once('-')?;
    let (width, height) = parse_size(size)?;
    let copies = picture_widths(width)
        .into_iter()
        .map(|w| (w, copy_name(stem, w, copy_height(width, height, w))))
        .collect();
    Some((width, height, copies))
}

/// Every file the media store keeps for a product's picture `image` (empty for none), under
/// `uploads/`.
pub fn stored_files(image: &str) -> Vec<String> {
    match upload_copies(image) {
        Some((.., copies)) => copies.into_iter().map(|(_, name)| name).collect(),
        None if image.is_empty() => Vec::new(),
        None => vec![image.to_owned()],
    }
}

/// The file name of the `width` × `height` copy of the upload `stem` (`{id}-{digest}`).
pub fn copy_name(stem: &str, width: u32, height: u32) -> String {
    format!("{stem}-{width}x{height}.webp")
}

/// `"1280x960"` as `(1280, 960)`; `None` for anything else, a zero side included.
fn parse_size(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.split_once('x')?;
    let size = (w.parse().ok()?, h.parse().ok()?);
    (size.0 > 0 && size.1 > 0).then_some(size)
}

/// The widths a picture `width` pixels wide is kept at, narrowest first: those of
/// [`PICTURE_WIDTHS`] below its own, then its own or the widest of them, whichever is less.
pub fn picture_widths(width: u32) -> Vec<u32> {
    let widest = width.min(PICTURE_WIDTHS[PICTURE_WIDTHS.len() - 1]);
    let mut widths: Vec<u32> = PICTURE_WIDTHS.into_iter().filter(|w| *w < widest).collect();
    widths.push(widest);
    widths
}

/// The height of the copy `copy_width` wide of a picture `width` × `height`, rounded, at least 1.
pub fn copy_height(width: u32, height: u32, copy_width: u32) -> u32 {
    let scaled =
        (u64::from(height) * u64::from(copy_width) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
}

impl ProductCard {
    pub fn picture(&self) -> Picture {
        Picture::of(&self.slug, &self.image)
    }
}

/// Everything the home page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeCatalog {
    pub departments: Vec<CategoryLink>,
    pub featured: Vec<ProductCard>,
}

/// One purchasable version of a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantView {
    pub sku: String,
    /// Option pairs such as `[("Size", "M")]`; empty for a product without options.
    pub options: Vec<(String, String)>,
    pub price: Money,
    /// The price before a discount, when the variant is on sale.
    pub compare_at: Option<Money>,
    pub stock: i64,
}

impl VariantView {
    /// "Size: M, Colour: Red", or the SKU for a variant without options.
    pub fn label(&self) -> String {
        if self.options.is_empty() {
            return self.sku.clone();
        }
        options_label(&self.options)
    }
}

/// Option pairs for people: "Size: M, Colour: Red".
pub fn options_label(options: &[(String, String)]) -> String {
    options
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits stored option text (`"Size=M; Colour=Red"`) into pairs.
pub fn parse_options(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .filter(|(name, value)| !name.is_empty() && !value.is_empty())
        .collect()
}

/// What a shopper is told about stock.
pub fn stock_status(stock: i64) -> String {
    match stock {
        i64::MIN..=0 => "Out of stock".to_owned(),
        n @ 1..=5 => format!("Only {n} left"),
        _ => "In stock".to_owned(),
    }
}

/// Everything the product page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub slug: String,
    pub title: String,
    pub brand: String,
    pub description: String,
    /// From the department down to the product's own category.
    pub trail: Vec<CategoryLink>,
    /// In display order; never empty.
    pub variants: Vec<VariantView>,
    pub attributes: Vec<(String, String)>,
    pub rating_count: i64,
    /// Average stars times ten (45 = 4.5), when there are ratings.
    pub rating_tenths: Option<i64>,
    /// Schema.org `Product` markup, already escaped for a `<script>` element.
    pub json_ld: String,
    /// The uploaded picture's file name; empty for the generated one.
    pub image: String,
}

impl ProductDetail {
    pub fn image_url(&self) -> String {
        image_url(&self.slug, &self.image)
    }

    pub fn picture(&self) -> Picture {
        Picture::of(&self.slug, &self.image)
    }
}

/// The average of `count` ratings adding up to `total` stars, in tenths of a star (43 = 4.3),
/// rounded half up; `None` without ratings.
pub fn average_tenths(total: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| (total * 10 + count / 2) / count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_parsed_from_stored_text() {
        assert_eq!(
            parse_options("Size=M; Colour=Red"),
            vec![("Size".into(), "M".into()), ("Colour".into(), "Red".into())]
        );
        assert!(parse_options("").is_empty());
        assert!(parse_options("nonsense;=x;y=").is_empty());
    }

    #[test]
    fn stock_is_described_for_shoppers() {
        assert_eq!(stock_status(0), "Out of stock");
        assert_eq!(stock_status(3), "Only 3 left");
        assert_eq!(stock_status(6), "In stock");
    }

    #[test]
    fn an_upload_offers_each_width_it_was_kept_at() {
        let wide = Picture::of("heron", "7-0a1b2c-1280x960.webp");
        assert_eq!(wide.src, "/media/uploads/7-0a1b2c-640x480.webp");
        assert_eq!(
            wide.srcset.as_deref(),
            Some(
                "/media/uploads/7-0a1b2c-320x240.webp 320w, \
                 /media/uploads/7-0a1b2c-640x480.webp 640w, \
                 /media/uploads/7-0a1b2c-1280x960.webp 1280w"
            )
        );
        assert_eq!((wide.width, wide.height), (1280, 960));

        let narrow = Picture::of("heron", "7-0a1b2c-500x333.webp");
        assert_eq!(narrow.src, "/media/uploads/7-0a1b2c-500x333.webp");
        assert_eq!(
            narrow.srcset.as_deref(),
            Some(
                "/media/uploads/7-0a1b2c-320x213.webp 320w, /media/uploads/7-0a1b2c-500x333.webp 500w"
            )
        );
        let tiny = Picture::of("heron", "7-0a1b2c-1x1.webp");
        assert_eq!(
            tiny.srcset.as_deref(),
            Some("/media/uploads/7-0a1b2c-1x1.webp 1w")
        );
    }

    #[test]
    fn generated_and_older_pictures_are_one_file() {
        for (image, src) in [
            ("", "/media/products/heron.svg"),
            ("7-0a1b2c.png", "/media/uploads/7-0a1b2c.png"),
            ("7-0a1b2c-0x10.webp", "/media/uploads/7-0a1b2c-0x10.webp"),
            ("7-0a1b2c-axb.webp", "/media/uploads/7-0a1b2c-axb.webp"),
        ] {
            let picture = Picture::of("heron", image);
            assert_eq!(
                (
                    picture.src.as_str(),
                    picture.srcset,
                    picture.width,
                    picture.height
                ),
                (src, None, 400, 300)
            );
        }
    }

    #[test]
    fn the_store_keeps_every_copy_of_an_upload_or_its_one_file() {
        assert_eq!(
            stored_files("7-0a1b2c-500x333.webp"),
            ["7-0a1b2c-320x213.webp", "7-0a1b2c-500x333.webp"]
        );
        assert_eq!(stored_files("7-0a1b2c.png"), ["7-0a1b2c.png"]);
        assert!(stored_files("").is_empty());
    }

    #[test]
    fn copies_keep_the_shape_of_the_picture() {
        assert_eq!(picture_widths(4000), vec![320, 640, 1280]);
        assert_eq!(picture_widths(1280), vec![320, 640, 1280]);
        assert_eq!(picture_widths(320), vec![320]);
        assert_eq!(copy_height(1280, 960, 320), 240);
        assert_eq!(copy_height(500, 333, 320), 213);
        assert_eq!(copy_height(1280, 2, 320), 1);
    }

    #[test]
    fn slugs_are_lower_case_words_and_hyphens() {
        assert_eq!(slugify("Phones & Tablets"), "phones-tablets");
        assert_eq!(slugify("Men's Shoes"), "men-s-shoes");
        assert_eq!(slugify("  E-Reader!  "), "e-reader");
        assert!(is_slug("e-reader-2"));
        for bad in ["", "-a", "a-", "A", "a b", "a/b"] {
            assert!(!is_slug(bad), "{bad:?}");
        }
    }
}
