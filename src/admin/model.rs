//! What an admin types into the product form, and the checked values built from it.

use crate::{
    catalog::model::{ProductStatus, is_slug, parse_options, slugify},
    error::FieldError,
    platform::money::Money,
};
use serde::{Deserialize, Serialize};

/// Variants one product may have.
pub const MAX_VARIANTS: usize = 50;
/// Units one variant may hold in stock.
pub const MAX_STOCK: i64 = 1_000_000;
/// Characters in a description.
pub const MAX_DESCRIPTION: usize = 10_000;

/// The product form as submitted: every field is text, exactly as typed. Field names match the
/// form's (`title`, `variants[0][sku]`), so errors can point at them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductForm {
    /// Set when editing an existing product.
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub title: String,
    /// Left empty, it is made from the title.
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub brand: String,
    /// The category's slug.
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub variants: Vec<VariantForm>,
}

/// One variant row of the product form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantForm {
    /// Set for a variant that exists already.
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub sku: String,
    /// "Size=M; Colour=Red".
    #[serde(default)]
    pub options: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub compare_at: String,
    #[serde(default)]
    pub stock: String,
    /// The "Remove" box was ticked.
    #[serde(default)]
    pub remove: Option<String>,
}

impl VariantForm {
    fn is_blank(&self) -> bool {
        self.id.is_none()
            && [
                &self.sku,
                &self.options,
                &self.price,
                &self.compare_at,
                &self.stock,
            ]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

/// A product that passed every check that needs no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductInput {
    pub id: Option<i64>,
    pub title: String,
    pub slug: String,
    pub brand: String,
    pub category: String,
    pub description: String,
    pub status: ProductStatus,
    pub variants: Vec<VariantInput>,
    /// Existing variants whose "Remove" box was ticked.
    pub removed: Vec<i64>,
}

/// A checked variant. `row` is its index in the form, for errors found later (duplicate SKU).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantInput {
    pub row: usize,
    pub id: Option<i64>,
    pub sku: String,
    pub options: String,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub stock: i64,
}

/// The form name of a variant field.
pub fn variant_field(row: usize, name: &str) -> String {
    format!("variants[{row}][{name}]")
}

fn is_sku(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl ProductForm {
    /// Checks every field and reports every problem at once.
    pub fn check(&self) -> Result<ProductInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: &str| errors.push(FieldError::new(field, message));

        let title = self.title.trim().to_owned();
        match title.chars().count() {
            0 => fail("title", "Enter a title."),
            1..=200 => {}
            _ => fail("title", "Keep the title to 200 characters."),
        }
        let slug = match self.slug.trim() {
            "" => slugify(&title),
            typed => typed.to_owned(),
        };
        if !title.is_empty() && !is_slug(&slug) {
            fail(
                "slug",
                "Use lower-case letters, digits and hyphens (at most 100).",
            );
        }
        let brand = self.brand.trim().to_owned();
        match brand.chars().count() {
            0 => fail("brand", "Enter a brand."),
            1..=100 => {
                if slugify(&brand).is_empty() {
                    fail("brand", "A brand name needs at least one letter or digit.");
                }
            }
            _ => fail("brand", "Keep the brand to 100 characters."),
        }
        let category = self.category.trim().to_owned();
        if category.is_empty() {
            fail("category", "Choose a category.");
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > MAX_DESCRIPTION {
            fail("description", "Keep the description to 10,000 characters.");
        }
        let status = ProductStatus::parse(self.status.trim()).unwrap_or_else(|| {
            fail("status", "Choose draft, active or archived.");
            ProductStatus::Draft
        });

        let mut variants = Vec::new();
        let mut removed = Vec::new();
        for (row, form) in self.variants.iter().enumerate() {
            if form.remove.is_some() {
                removed.extend(form.id);
                continue;
            }
            if form.is_blank() {
                continue;
            }
            if let Some(variant) = form.check(row, &mut fail) {
                variants.push(variant);
            }
        }
        if variants.len() > MAX_VARIANTS {
            fail("variants", "A product can have at most 50 variants.");
        }
        if variants.is_empty()
            && !self
                .variants
                .iter()
                .any(|v| v.remove.is_none() && !v.is_blank())
        {
            fail(
                &variant_field(0, "sku"),
                "Every product needs at least one variant: enter its SKU.",
            );
        }
        for (i, variant) in variants.iter().enumerate() {
            if variants[..i]
                .iter()
                .any(|v| v.sku.eq_ignore_ascii_case(&variant.sku))
            {
                fail(
                    &variant_field(variant.row, "sku"),
                    "This SKU appears twice in the form.",
                );
            }
        }
        if errors.is_empty() {
            Ok(ProductInput {
                id: self.id,
                title,
                slug,
                brand,
                category,
                description,
                status,
                variants,
                removed,
            })
        } else {
            Err(errors)
        }
    }
}

impl VariantForm {
    fn check(&self, row: usize, fail: &mut impl FnMut(&str, &str)) -> Option<VariantInput> {
        let mut ok = true;
        let mut bad = |name: &str, message: &str| {
            ok = false;
            fail(&variant_field(row, name), message);
        };
        let sku = self.sku.trim().to_ascii_uppercase();
        if sku.is_empty() {
            bad("sku", "Enter a SKU.");
        } else if !is_sku(&sku) {
            bad("sku", "Use letters, digits, '-', '_' and '.' (at most 64).");
        }
        let options = parse_options(&self.options);
        if !self.options.trim().is_empty() && options.is_empty() {
            bad("options", "Write options as Name=Value; Name=Value.");
        }
        let options = options
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let price = match Money::parse(&self.price) {
            Ok(price) => Some(price),
            Err(_) if self.price.trim().is_empty() => {
                bad("price", "Enter a price.");
                None
            }
            Err(e) => {
                bad("price", &e.to_string());
                None
            }
        };
        let compare_at = match self.compare_at.trim() {
            "" => None,
            typed => match Money::parse(typed) {
                Ok(money) => Some(money),
                Err(e) => {
                    bad("compare_at", &e.to_string());
                    None
                }
            },
        };
        let stock = match self.stock.trim().parse::<i64>() {
            Ok(stock) if (0..=MAX_STOCK).contains(&stock) => stock,
            Ok(stock) if stock < 0 => {
                bad("stock", "Stock can't be negative.");
                0
            }
            _ if self.stock.trim().is_empty() => {
                bad("stock", "Enter the units in stock (0 or more).");
                0
            }
            _ => {
                bad("stock", "Enter a whole number of units up to 1,000,000.");
                0
            }
        };
        ok.then(|| VariantInput {
            row,
            id: self.id,
            sku,
            options,
            price: price.unwrap_or_default(),
            compare_at,
            stock,
        })
    }
}

/// What saving turned `before` into `after`, as the audit log says it: each changed field as
/// `field: old → new` (the description only as changed), variants by SKU.
pub fn changes(before: &ProductForm, after: &ProductForm) -> String {
    let mut said = Vec::new();
    for (field, old, new) in [
        ("title", &before.title, &after.title),
        ("slug", &before.slug, &after.slug),
        ("brand", &before.brand, &after.brand),
        ("category", &before.category, &after.category),
        ("status", &before.status, &after.status),
    ] {
        if old != new {
            said.push(format!("{field}: {old} → {new}"));
        }
    }
    if before.description != after.description {
        said.push("description changed".to_owned());
    }
    let find = |form: &ProductForm, sku: &str| form.variants.iter().find(|v| v.sku == sku).cloned();
    for old in &before.variants {
        match find(after, &old.sku) {
            None => said.push(format!("{}: removed", old.sku)),
            Some(new) => {
                for (field, was, is) in [
                    ("options", &old.options, &new.options),
                    ("price", &old.price, &new.price),
                    ("compare-at", &old.compare_at, &new.compare_at),
                    ("stock", &old.stock, &new.stock),
                ] {
                    if was != is {
                        said.push(format!("{} {field}: {was} → {is}", old.sku));
                    }
                }
            }
        }
    }
    for new in after
        .variants
        .iter()
        .filter(|v| find(before, &v.sku).is_none())
    {
        said.push(format!(
            "{}: added at {}, {} in stock",
            new.sku, new.price, new.stock
        ));
    }
    if said.is_empty() {
        "nothing changed".to_owned()
    } else {
        said.join("; ")
    }
}

/// A row of a product CSV that could not be imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// As a spreadsheet counts: the header is row 1.
    pub row: usize,
    pub handle: String,
    pub problem: String,
}

/// Where a product import stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportState {
    /// Uploaded; waiting for its uploader's go.
    Waiting,
    Running,
    Finished,
}

/// One of the first products of a file, as the preview shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSample {
    pub row: usize,
    pub handle: String,
    pub title: String,
    pub variants: usize,
    /// A product with this handle exists: it will be updated (or left alone if the same).
    pub exists: bool,
}

/// A product import as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: i64,
    pub file_name: String,
    pub created_at: i64,
    /// Products in the file.
    pub products: usize,
    pub state: ImportState,
    /// The first products, before the go.
    pub sample: Vec<ImportSample>,
    /// Before the go: rows that cannot be read or fail the form's checks; after: every row
    /// that was not imported, and why.
    pub problems: Vec<RowProblem>,
    /// Products handled so far, and what became of them.
    pub done: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub refused: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_product_says_what_changed_field_by_field() {
        let variant = |sku: &str, price: &str, stock: &str| VariantForm {
            sku: sku.into(),
            price: price.into(),
            stock: stock.into(),
            ..VariantForm::default()
        };
        let before = ProductForm {
            title: "Mug".into(),
            status: "active".into(),
            description: "Holds tea.".into(),
            variants: vec![
                variant("MUG-S", "9.50", "4"),
                variant("MUG-L", "12.00", "1"),
            ],
            ..ProductForm::default()
        };
        assert_eq!(changes(&before, &before), "nothing changed");
        let after = ProductForm {
            title: "Big mug".into(),
            status: "draft".into(),
            description: "Holds coffee.".into(),
            variants: vec![
                variant("MUG-S", "9.50", "7"),
                variant("MUG-XL", "15.00", "2"),
            ],
            ..before.clone()
        };
        assert_eq!(
            changes(&before, &after),
            "title: Mug → Big mug; status: active → draft; description changed; \
             MUG-S stock: 4 → 7; MUG-L: removed; MUG-XL: added at 15.00, 2 in stock"
        );
    }

    fn form() -> ProductForm {
        ProductForm {
            title: "Trail Runner 2".into(),
            brand: "Northwind".into(),
            category: "shoes".into(),
            status: "active".into(),
            variants: vec![VariantForm {
                sku: "tr-2-m".into(),
                options: "Size = M".into(),
                price: "89.50".into(),
                stock: "12".into(),
                ..VariantForm::default()
            }],
            ..ProductForm::default()
        }
    }

    fn fields(form: &ProductForm) -> Vec<String> {
        form.check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_good_form_is_normalised() {
        let input = form().check().unwrap();
        assert_eq!(input.slug, "trail-runner-2");
        assert_eq!(input.status, ProductStatus::Active);
        let variant = &input.variants[0];
        assert_eq!(variant.sku, "TR-2-M");
        assert_eq!(variant.options, "Size=M");
        assert_eq!(variant.price.minor(), 8950);
        assert_eq!(variant.stock, 12);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut bad = form();
        bad.title = "  ".into();
        bad.brand = String::new();
        bad.category = String::new();
        bad.status = "deleted".into();
        bad.variants[0].price = "-3".into();
        bad.variants[0].stock = "1.5".into();
        bad.variants[0].sku = "bad sku!".into();
        assert_eq!(
            fields(&bad),
            [
                "title",
                "brand",
                "category",
                "status",
                "variants[0][sku]",
                "variants[0][price]",
                "variants[0][stock]"
            ]
        );
        let message = bad.check().unwrap_err();
        assert!(
            message
                .iter()
                .any(|e| e.message == "An amount can't be negative.")
        );
    }

    #[test]
    fn variants_are_required_unique_and_blank_rows_ignored() {
        let mut none = form();
        none.variants = vec![VariantForm::default()];
        assert_eq!(fields(&none), ["variants[0][sku]"]);

        let mut twice = form();
        twice.variants.push(VariantForm::default());
        twice.variants.push(VariantForm {
            sku: "TR-2-m".into(),
            ..twice.variants[0].clone()
        });
        assert_eq!(fields(&twice), ["variants[2][sku]"]);
    }

    #[test]
    fn ticked_variants_are_removed_not_checked() {
        let mut form = form();
        form.variants.push(VariantForm {
            id: Some(7),
            remove: Some("on".into()),
            price: "nonsense".into(),
            ..VariantForm::default()
        });
        let input = form.check().unwrap();
        assert_eq!(input.removed, [7]);
        assert_eq!(input.variants.len(), 1);
    }

    #[test]
    fn typed_slugs_must_be_slugs() {
        let mut form = form();
        form.slug = "Not A Slug".into();
        assert_eq!(fields(&form), ["slug"]);
    }
}
