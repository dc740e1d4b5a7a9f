//! Products as CSV in Shopify's product format, so a shop can move its catalog in and out: one
//! row per variant, the product's own columns on its first row only, options as `OptionN Name`
//! (first row) and `OptionN Value`, the description as HTML in `Body (HTML)`, the category's
//! slug in `Type`, money as decimals. `GET /admin/products/export.csv` streams every product;
//! `read` takes such a file apart for an import (`super::import`).

use super::model::{ProductForm, RowProblem, VariantForm};
use crate::{
    catalog::{
        db::{ProductRecord, product_records},
        model::parse_options,
    },
    platform::{
        auth::{Permission, Session, permitted},
        money::Money,
        state::AppState,
    },
};
use axum::{
    Extension,
    body::{Body, Bytes},
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

/// The columns, in Shopify's order (those the shop has no use for are left out).
pub const COLUMNS: [&str; 19] = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant SKU",
    "Variant Inventory Qty",
    "Variant Price",
    "Variant Compare At Price",
    "Image Src",
    "Status",
];

/// Shopify's product CSV has room for three options.
const OPTIONS: usize = 3;
/// Products read per query while exporting.
const EXPORT_BATCH: i64 = 500;

/// A description (plain text: paragraphs split by blank lines) as `Body (HTML)`.
pub fn body_html(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            format!(
                "<p>{}</p>",
                html_escape::encode_text(p).replace('\n', "<br>")
            )
        })
        .collect()
}

/// `Body (HTML)` as a description: paragraphs and line breaks kept, other tags dropped, entities
/// decoded. The inverse of `body_html`.
pub fn text_of_html(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = &rest[start..];
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name = tag.trim_start_matches('/');
        let name = name.split([' ', '/']).next().unwrap_or_default();
        match name {
            "br" => text.push('\n'),
            "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" if tag.starts_with('/') => {
                text.push_str("\n\n");
            }
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    text.push_str(rest);
    html_escape::decode_html_entities(text.trim())
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The rows of one product: its columns on the first, each variant's on its own. `public_url`
/// makes an uploaded picture's address absolute.
pub fn rows_of(product: &ProductRecord, public_url: &str) -> Vec<[String; 19]> {
    let names: Vec<String> = product
        .variants
        .first()
        .map(|v| parse_options(&v.options))
        .unwrap_or_default()
        .into_iter()
        .map(|(name, _)| name)
        .take(OPTIONS)
        .collect();
    product
        .variants
        .iter()
        .enumerate()
        .map(|(n, variant)| {
            let first = n == 0;
            let own = |value: &str| {
                if first {
                    value.to_owned()
                } else {
                    String::new()
                }
            };
            let options = parse_options(&variant.options);
            let option = |i: usize| {
                let name = names.get(i).cloned().unwrap_or_default();
                let value = options
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                (own(&name), value)
            };
            let [(name1, value1), (name2, value2), (name3, value3)] = [0, 1, 2].map(option);
            let money =
                |minor: i64| Money::from_minor(minor).map_or_else(|_| String::new(), Money::amount);
            let image = if product.image.is_empty() {
                String::new()
            } else {
                format!("{public_url}/media/uploads/{}", product.image)
            };
            [
                product.slug.clone(),
                own(&product.title),
                own(&body_html(&product.description)),
                own(&product.brand),
                own(&product.category),
                String::new(),
                own(if product.status == "active" {
                    "TRUE"
                } else {
                    "FALSE"
                }),
                name1,
                value1,
                name2,
                value2,
                name3,
                value3,
                variant.sku.clone(),
                variant.stock.to_string(),
                money(variant.price_minor),
                variant.compare_at_minor.map_or_else(String::new, money),
                own(&image),
                own(&product.status),
            ]
        })
        .collect()
}

/// One product as a file gives it: the row it starts on (the header is row 1, as a spreadsheet
/// counts), the row of each variant, and its fields as the admin's form would hold them (no
/// ids yet: the import finds the product by its handle and the variants by SKU).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProduct {
    pub row: usize,
    pub variant_rows: Vec<usize>,
    pub form: ProductForm,
}

impl FileProduct {
    /// A problem with this product, at the row of the field it is about, with the column named
    /// as the file names it.
    pub fn problem(&self, field: &str, message: &str) -> RowProblem {
        let variant = field
            .strip_prefix("variants[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest)));
        let (row, column) = match variant {
            Some((n, rest)) => (
                self.variant_rows.get(n).copied().unwrap_or(self.row),
                match rest {
                    "[price]" => "Variant Price",
                    "[compare_at]" => "Variant Compare At Price",
                    "[stock]" => "Variant Inventory Qty",
                    "[options]" => "Option values",
                    _ => "Variant SKU",
                },
            ),
            None => (
                self.row,
                match field {
                    "title" => "Title",
                    "slug" => "Handle",
                    "brand" => "Vendor",
                    "category" => "Type",
                    "description" => "Body (HTML)",
                    "status" => "Status",
                    _ => "Variants",
                },
            ),
        };
        RowProblem {
            row,
            handle: self.form.slug.clone(),
            problem: format!("{column}: {message}"),
        }
    }
}

/// The columns a file must have.
const REQUIRED: [&str; 3] = ["Handle", "Variant SKU", "Variant Price"];

/// Takes a product CSV apart: its products in the order they first appear (a product's rows
/// share its handle; its own columns come from its first row) and the rows that could not be
/// read. Err when the file itself is not a product CSV.
pub fn read(text: &str) -> Result<(Vec<FileProduct>, Vec<RowProblem>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| "The first row must name the columns.".to_owned())?
        .clone();
    let index = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    if let Some(missing) = REQUIRED.into_iter().find(|name| index(name).is_none()) {
        return Err(format!(
            "The file has no “{missing}” column: it should be a product CSV in Shopify's format."
        ));
    }
    let columns: Vec<Option<usize>> = COLUMNS.iter().map(|name| index(name)).collect();
    let mut products: Vec<FileProduct> = Vec::new();
    let mut option_names: Vec<Vec<String>> = Vec::new();
    let mut by_handle = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 2;
        let Ok(record) = record else {
            problems.push(RowProblem {
                row,
                handle: String::new(),
                problem: "This row could not be read: check its quotes.".into(),
            });
            continue;
        };
        let cell = |name: &str| {
            COLUMNS
                .iter()
                .position(|c| *c == name)
                .and_then(|i| columns[i])
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let handle = cell("Handle").to_lowercase();
        if handle.is_empty() {
            problems.push(RowProblem {
                row,
                handle,
                problem: "Handle: every row names its product.".into(),
            });
            continue;
        }
        let at = *by_handle.entry(handle.clone()).or_insert_with(|| {
            let status = match (
                cell("Status").to_lowercase(),
                cell("Published").to_lowercase(),
            ) {
                (status, _) if !status.is_empty() => status,
                (_, published) if published == "false" => "draft".to_owned(),
                _ => "active".to_owned(),
            };
            products.push(FileProduct {
                row,
                variant_rows: Vec::new(),
                form: ProductForm {
                    id: None,
                    title: cell("Title"),
                    slug: handle.clone(),
                    brand: cell("Vendor"),
                    category: cell("Type"),
                    description: text_of_html(&cell("Body (HTML)")),
                    status,
                    variants: Vec::new(),
                },
            });
            option_names.push(
                (1..=OPTIONS)
                    .map(|i| cell(&format!("Option{i} Name")))
                    .collect(),
            );
            products.len() - 1
        });
        let (sku, price) = (cell("Variant SKU"), cell("Variant Price"));
        // Shopify writes a row for each extra picture, with a handle and no variant.
        if sku.is_empty() && price.is_empty() {
            continue;
        }
        let options: Vec<String> = option_names[at]
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let value = cell(&format!("Option{} Value", i + 1));
                // Shopify's stand-in option of a product without options.
                let stand_in = name == "Title" && value == "Default Title";
                (!name.is_empty() && !value.is_empty() && !stand_in)
                    .then(|| format!("{name}={value}"))
            })
            .collect();
        let stock = cell("Variant Inventory Qty");
        let product = &mut products[at];
        product.variant_rows.push(row);
        product.form.variants.push(VariantForm {
            id: None,
            sku,
            options: options.join("; "),
            price,
            compare_at: cell("Variant Compare At Price"),
            stock: if stock.is_empty() { "0".into() } else { stock },
            remove: None,
        });
    }
    Ok((products, problems))
}

/// `rows` written as CSV.
fn csv_bytes<R: AsRef<[String]>>(rows: &[R], with_header: bool) -> Result<Bytes, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if with_header {
        writer.write_record(COLUMNS)?;
    }
    for row in rows {
        writer.write_record(row.as_ref())?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| e.into_error().into())
}

/// `GET /admin/products/export.csv`, for staff who edit the catalog: every product, streamed a
/// batch at a time, so a large catalog never sits in memory.
pub async fn export_products(
    State(state): State<AppState>,
    session: Option<Extension<Session>>,
) -> Response {
    if let Err(refused) = permitted(session, Permission::EditCatalog) {
        return refused.into_response();
    }
    let public_url = state.config.public_url.trim_end_matches('/').to_owned();
    let header = futures::stream::once(async { csv_bytes::<[String; 19]>(&[], true) });
    let batches = futures::stream::try_unfold(Some(0), move |after| {
        let (db, public_url) = (state.db.clone(), public_url.clone());
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let products = product_records(&db, after, EXPORT_BATCH)
                .await
                .map_err(|e| csv::Error::from(std::io::Error::other(e)))?;
            let next = (products.len() == EXPORT_BATCH as usize)
                .then(|| products.last().map(|p| p.id))
                .flatten();
            let rows: Vec<[String; 19]> = products
                .iter()
                .flat_map(|product| rows_of(product, &public_url))
                .collect();
            Ok(Some((csv_bytes(&rows, false)?, next)))
        }
    });
    let body = futures::StreamExt::chain(header, batches);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"products.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::db::VariantRecord;

    #[test]
    fn descriptions_survive_the_round_trip_through_html() {
        for text in [
            "One line.",
            "First paragraph.\n\nSecond, with a\nline break & <angle> brackets.",
            "",
        ] {
            assert_eq!(text_of_html(&body_html(text)), text);
        }
        assert_eq!(body_html("a < b\n\nc"), "<p>a &lt; b</p><p>c</p>");
        // Shopify's own HTML, with tags the shop has no use for.
        assert_eq!(
            text_of_html(
                "<h2>Care</h2><ul><li>Wash <strong>cold</strong></li><li>Dry flat</li></ul><p>Tom&apos;s &amp; co</p>"
            ),
            "Care\n\nWash cold\n\nDry flat\n\nTom's & co"
        );
    }

    #[test]
    fn a_shopify_file_is_read_into_products_and_problems() {
        let file = "\u{feff}Handle,Title,Body (HTML),Vendor,Type,Published,Option1 Name,Option1 Value,\
Variant SKU,Variant Price,Variant Compare At Price,Variant Inventory Qty,Image Src,Extra\n\
tall-mug,Tall mug,<p>Holds <b>a lot</b>.</p>,Potter,kitchen,TRUE,Size,S,MUG-S,9.50,,4,https://x/1.jpg,?\n\
tall-mug,,,,,,,L,MUG-L,12.50,15.00,,,\n\
tall-mug,,,,,,,,,,,,https://x/2.jpg,\n\
,Orphan,,,,,,,X-1,1.00,,1,,\n\
Plain-Tee,Plain tee,,Cotton Co,clothing,FALSE,Title,Default Title,TEE-1,20,,7,,\n";
        let (products, problems) = read(file).unwrap();
        assert_eq!(products.len(), 2);
        let mug = &products[0];
        assert_eq!((mug.row, mug.variant_rows.clone()), (2, vec![2, 3]));
        assert_eq!(mug.form.description, "Holds a lot.");
        assert_eq!(mug.form.status, "active");
        let skus: Vec<(&str, &str, &str, &str)> = mug
            .form
            .variants
            .iter()
            .map(|v| {
                (
                    v.sku.as_str(),
                    v.options.as_str(),
                    v.price.as_str(),
                    v.stock.as_str(),
                )
            })
            .collect();
        assert_eq!(
            skus,
            [
                ("MUG-S", "Size=S", "9.50", "4"),
                ("MUG-L", "Size=L", "12.50", "0")
            ]
        );
        assert_eq!(mug.form.variants[1].compare_at, "15.00");
        let tee = &products[1];
        assert_eq!(tee.form.slug, "plain-tee");
        assert_eq!(tee.form.status, "draft");
        assert_eq!(tee.form.variants[0].options, "");
        assert_eq!(
            problems,
            [RowProblem {
                row: 5,
                handle: String::new(),
                problem: "Handle: every row names its product.".into()
            }]
        );
        assert_eq!(
            mug.problem("variants[1][price]", "An amount can't be negative."),
            RowProblem {
                row: 3,
                handle: "tall-mug".into(),
                problem: "Variant Price: An amount can't be negative.".into()
            }
        );
        assert_eq!(
            mug.problem("category", "Unknown.").problem,
            "Type: Unknown."
        );
        assert!(
            read("Title,Variant SKU\nA,B\n")
                .unwrap_err()
                .contains("“Handle”")
        );
    }

    #[test]
    fn an_export_reads_back_as_the_products_it_holds() {
        let product = ProductRecord {
            id: 1,
            slug: "lamp".into(),
            title: "Lamp, \"big\"".into(),
            brand: "Lumen".into(),
            category: "lighting".into(),
            description: "Bright.\n\nWarm & soft.".into(),
            status: "draft".into(),
            created_at: 0,
            updated_at: 0,
            variants: vec![variant("LAMP-1", "Colour=Red", 4_000, 3)],
            image: String::new(),
        };
        let text =
            String::from_utf8(csv_bytes(&rows_of(&product, ""), true).unwrap().to_vec()).unwrap();
        let (products, problems) = read(&text).unwrap();
        assert!(problems.is_empty());
        let form = &products[0].form;
        assert_eq!(
            (
                form.title.as_str(),
                form.description.as_str(),
                form.status.as_str()
            ),
            ("Lamp, \"big\"", "Bright.\n\nWarm & soft.", "draft")
        );
        assert_eq!(form.variants[0].options, "Colour=Red");
        assert_eq!(form.variants[0].price, "40.00");
    }

    fn variant(sku: &str, options: &str, price: i64, stock: i64) -> VariantRecord {
        VariantRecord::new(sku, options, price, None, stock)
    }

    #[test]
    fn a_product_is_a_row_per_variant_with_its_own_columns_first() {
        let product = ProductRecord {
            id: 7,
            slug: "tall-mug".into(),
            title: "Tall mug".into(),
            brand: "Potter".into(),
            category: "kitchen".into(),
            description: "Holds a lot.".into(),
            status: "active".into(),
            created_at: 0,
            updated_at: 0,
            variants: vec![
                variant("MUG-S", "Size=S; Colour=Blue", 950, 4),
                variant("MUG-L", "Size=L; Colour=Red", 1_250, 0),
            ],
            image: "ab12.jpg".into(),
        };
        let rows = rows_of(&product, "https://shop.test");
        assert_eq!(rows.len(), 2);
        let column = |row: &[String; 19], name: &str| {
            row[COLUMNS.iter().position(|c| *c == name).unwrap()].clone()
        };
        assert_eq!(column(&rows[0], "Title"), "Tall mug");
        assert_eq!(column(&rows[1], "Title"), "");
        assert_eq!(column(&rows[1], "Handle"), "tall-mug");
        assert_eq!(column(&rows[0], "Option1 Name"), "Size");
        assert_eq!(column(&rows[1], "Option1 Name"), "");
        assert_eq!(column(&rows[1], "Option2 Value"), "Red");
        assert_eq!(column(&rows[1], "Variant Price"), "12.50");
        assert_eq!(column(&rows[1], "Variant Inventory Qty"), "0");
        assert_eq!(
            column(&rows[0], "Image Src"),
            "https://shop.test/media/uploads/ab12.jpg"
        );
        assert_eq!(column(&rows[0], "Published"), "TRUE");
        let text = String::from_utf8(csv_bytes(&rows, true).unwrap().to_vec()).unwrap();
        assert!(
            text.starts_with("Handle,Title,Body (HTML),Vendor,Type,"),
            "{text}"
        );
        assert!(
            text.contains("tall-mug,Tall mug,<p>Holds a lot.</p>,Potter,kitchen,"),
            "{text}"
        );
    }
}
