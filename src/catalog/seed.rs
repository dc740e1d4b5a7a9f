//! The demo catalog: a deterministic, realistic shop generated without the network.
//! The same seed always yields the same categories, brands, products, variants and stock.

use super::model::{ProductStatus, slugify};
use crate::platform::db::{Db, values_list};
use std::time::Instant;

/// Rows per multi-row INSERT: well under SQLite's 32,766 bind parameters.
const BATCH: usize = 400;
/// Creation times start here (2026-01-01T00:00:00Z) so a seed is reproducible.
const EPOCH_MS: i64 = 1_767_225_600_000;

/// How many of each thing a seed wrote, and how long it took.
#[derive(Debug)]
pub struct SeedReport {
    pub categories: usize,
    pub brands: usize,
    pub products: usize,
    pub variants: usize,
    pub elapsed: std::time::Duration,
}

/// The catalog already had products: seeding adds to an empty catalog only.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the catalog already has products; seed an empty database")]
    NotEmpty,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A small, fast, well-mixed PRNG (SplitMix64): stable across platforms and crate versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = usize::try_from(self.next() % items.len() as u64).unwrap_or(0);
        &items[index]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What options a leaf category's products vary by.
#[derive(Clone, Copy)]
enum Options {
    None,
    Size,
    Colour,
    Capacity,
}

/// A leaf category: the nouns its products are named after and their price range in cents.
struct Leaf {
    name: &'static str,
    nouns: &'static [&'static str],
    price: (i64, i64),
    options: Options,
}

const fn leaf(
    name: &'static str,
    nouns: &'static [&'static str],
    price: (i64, i64),
    options: Options,
) -> Leaf {
    Leaf {
        name,
        nouns,
        price,
        options,
    }
}

/// Department → category → leaf: three levels, 62 categories.
/// A mid-level category and its leaves.
type Subcategory = (&'static str, &'static [Leaf]);
/// A top-level department and its categories.
type Department = (&'static str, &'static [Subcategory]);

const TREE: &[Department] = &[
    (
        "Electronics",
        &[
            (
                "Computers",
                &[
                    leaf(
                        "Laptops",
                        &["Laptop", "Ultrabook", "Notebook"],
                        (49_900, 249_900),
                        Options::Capacity,
                    ),
                    leaf(
                        "Monitors",
                        &["Monitor", "Display", "Curved Monitor"],
                        (12_900, 89_900),
                        Options::None,
                    ),
                    leaf(
                        "Keyboards",
                        &["Keyboard", "Mechanical Keyboard", "Wireless Keyboard"],
                        (2_900, 19_900),
                        Options::Colour,
                    ),
                ],
            ),
            (
                "Audio",
                &[
                    leaf(
                        "Headphones",
                        &["Headphones", "Earbuds", "Headset"],
                        (1_900, 39_900),
                        Options::Colour,
                    ),
                    leaf(
                        "Speakers",
                        &["Speaker", "Soundbar", "Bookshelf Speaker"],
                        (2_900, 59_900),
                        Options::Colour,
                    ),
                ],
            ),
            (
                "Phones & Tablets",
                &[
                    leaf(
                        "Smartphones",
                        &["Smartphone", "Phone"],
                        (19_900, 129_900),
                        Options::Capacity,
                    ),
                    leaf(
                        "Tablets",
                        &["Tablet", "E-Reader"],
                        (9_900, 99_900),
                        Options::Capacity,
                    ),
                    leaf(
                        "Phone Accessories",
                        &["Phone Case", "Charger", "Power Bank", "Screen Protector"],
                        (900, 7_900),
                        Options::Colour,
                    ),
                ],
            ),
        ],
    ),
    (
        "Home & Kitchen",
        &[
            (
                "Kitchen",
                &[
                    leaf(
                        "Cookware",
                        &["Skillet", "Saucepan", "Dutch Oven", "Wok"],
                        (1_900, 29_900),
                        Options::Size,
                    ),
                    leaf(
                        "Small Appliances",
                        &["Blender", "Toaster", "Kettle", "Coffee Maker"],
                        (2_400, 49_900),
                        Options::Colour,
                    ),
                    leaf(
                        "Tableware",
                        &["Dinner Plate Set", "Mug", "Bowl Set", "Glass Tumbler"],
                        (900, 12_900),
                        Options::Colour,
                    ),
                ],
            ),
            (
                "Furniture",
                &[
                    leaf(
                        "Chairs",
                        &["Desk Chair", "Armchair", "Dining Chair"],
                        (4_900, 59_900),
                        Options::Colour,
                    ),
                    leaf(
                        "Tables",
                        &["Coffee Table", "Desk", "Side Table"],
                        (5_900, 79_900),
                        Options::None,
                    ),
                ],
            ),
            (
                "Bedding",
                &[
                    leaf(
                        "Sheets",
                        &["Sheet Set", "Duvet Cover", "Pillowcase Pair"],
                        (1_900, 19_900),
                        Options::Size,
                    ),
                    leaf(
                        "Pillows",
                        &["Pillow", "Memory Foam Pillow", "Throw Pillow"],
                        (1_200, 8_900),
                        Options::None,
                    ),
                ],
            ),
        ],
    ),
    (
        "Fashion",
        &[
            (
                "Men",
                &[
                    leaf(
                        "Men's Shirts",
                        &["Oxford Shirt", "Polo Shirt", "Flannel Shirt", "T-Shirt"],
                        (1_500, 8_900),
                        Options::Size,
                    ),
                    leaf(
                        "Men's Shoes",
                        &["Sneakers", "Loafers", "Boots"],
                        (3_900, 19_900),
                        Options::Size,
                    ),
                ],
            ),
            (
                "Women",
                &[
                    leaf(
                        "Dresses",
                        &["Wrap Dress", "Midi Dress", "Sundress"],
                        (2_900, 14_900),
                        Options::Size,
                    ),
                    leaf(
                        "Women's Shoes",
                        &["Flats", "Ankle Boots", "Running Shoes"],
                        (3_900, 17_900),
                        Options::Size,
                    ),
                    leaf(
                        "Handbags",
                        &["Tote Bag", "Crossbody Bag", "Backpack"],
                        (2_900, 24_900),
                        Options::Colour,
                    ),
                ],
            ),
            (
                "Accessories",
                &[
                    leaf(
                        "Watches",
                        &["Watch", "Smartwatch", "Chronograph"],
                        (4_900, 49_900),
                        Options::Colour,
                    ),
                    leaf(
                        "Sunglasses",
                        &["Sunglasses", "Aviators"],
                        (1_900, 19_900),
                        Options::None,
                    ),
                ],
            ),
        ],
    ),
    (
        "Sports & Outdoors",
        &[
            (
                "Fitness",
                &[
                    leaf(
                        "Yoga",
                        &["Yoga Mat", "Yoga Block", "Resistance Band"],
                        (900, 8_900),
                        Options::Colour,
                    ),
                    leaf(
                        "Weights",
                        &["Dumbbell Pair", "Kettlebell", "Weight Plate"],
                        (1_900, 29_900),
                        Options::None,
                    ),
                ],
            ),
            (
                "Camping",
                &[
                    leaf(
                        "Tents",
                        &["Tent", "Backpacking Tent", "Shelter"],
                        (7_900, 59_900),
                        Options::None,
                    ),
                    leaf(
                        "Sleeping Bags",
                        &["Sleeping Bag", "Sleeping Pad"],
                        (3_900, 29_900),
                        Options::Size,
                    ),
                ],
            ),
            (
                "Cycling",
                &[leaf(
                    "Bike Accessories",
                    &["Bike Light", "Bike Lock", "Helmet", "Water Bottle"],
                    (900, 14_900),
                    Options::Colour,
                )],
            ),
        ],
    ),
    (
        "Books & Media",
        &[
            (
                "Books",
                &[
                    leaf(
                        "Fiction",
                        &["Novel", "Short Story Collection", "Mystery Novel"],
                        (799, 2_999),
                        Options::None,
                    ),
                    leaf(
                        "Cookbooks",
                        &["Cookbook", "Baking Book"],
                        (1_499, 4_499),
                        Options::None,
                    ),
                ],
            ),
            (
                "Music",
                &[leaf(
                    "Vinyl Records",
                    &["Vinyl Record", "Double LP"],
                    (1_999, 4_999),
                    Options::None,
                )],
            ),
        ],
    ),
    (
        "Beauty & Health",
        &[
            (
                "Skin Care",
                &[
                    leaf(
                        "Moisturisers",
                        &["Moisturiser", "Night Cream", "Face Serum"],
                        (999, 7_999),
                        Options::None,
                    ),
                    leaf(
                        "Sun Care",
                        &["Sunscreen", "After-Sun Gel"],
                        (699, 3_999),
                        Options::None,
                    ),
                ],
            ),
            (
                "Personal Care",
                &[
                    leaf(
                        "Shavers",
                        &["Electric Shaver", "Trimmer", "Safety Razor"],
                        (1_999, 24_999),
                        Options::None,
                    ),
                    leaf(
                        "Hair Care",
                        &["Hair Dryer", "Straightener", "Shampoo"],
                        (899, 19_999),
                        Options::None,
                    ),
                ],
            ),
        ],
    ),
];

const BRANDS: &[&str] = &[
    "Northwind",
    "Acme",
    "Bluepeak",
    "Cedar & Co",
    "Driftwood",
    "Everlane Works",
    "Foxglove",
    "Granite",
    "Halcyon",
    "Ironbark",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Oakhaven",
    "Pinecrest",
    "Quarry",
    "Riverstone",
    "Saltmarsh",
    "Tidewater",
    "Umber",
    "Vantage",
    "Willowby",
    "Xenon Labs",
    "Yarrow",
    "Zephyr",
    "Alder",
    "Brightwater",
    "Copperline",
    "Dunmore",
    "Ember",
    "Fairhaven",
    "Glasswing",
    "Highland",
    "Indigo Bay",
    "Jasper",
    "Kingfisher",
    "Larkspur",
    "Moorland",
];

const ADJECTIVES: &[&str] = &[
    "Classic",
    "Essential",
    "Premium",
    "Compact",
    "Everyday",
    "Pro",
    "Ultra",
    "Lightweight",
    "Heritage",
    "Modern",
    "Deluxe",
    "Eco",
    "Urban",
    "Signature",
    "Travel",
    "Studio",
    "Performance",
    "Vintage",
];

const MATERIALS: &[&str] = &[
    "recycled aluminium",
    "organic cotton",
    "stainless steel",
    "bamboo",
    "merino wool",
    "tempered glass",
    "full-grain leather",
    "ceramic",
    "ripstop nylon",
    "solid oak",
];

const COLOURS: &[&str] = &[
    "Black",
    "White",
    "Navy",
    "Sage",
    "Terracotta",
    "Grey",
    "Red",
    "Sand",
];
const SIZES: &[&str] = &["XS", "S", "M", "L", "XL"];
const CAPACITIES: &[(&str, i64)] = &[
    ("128 GB", 0),
    ("256 GB", 10_000),
    ("512 GB", 25_000),
    ("1 TB", 45_000),
];

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

struct NewProduct {
    slug: String,
    title: String,
    brand: usize,
    category: usize,
    description: String,
    created_at: i64,
    variants: Vec<NewVariant>,
    /// Name and value, e.g. ("Material", "bamboo").
    attributes: Vec<(&'static str, String)>,
}

struct NewVariant {
    sku: String,
    options: String,
    price: i64,
    compare_at: Option<i64>,
    stock: i64,
}

/// Makes product number `n` (1-based) of a leaf category.
fn make_product(rng: &mut Rng, n: usize, leaf: &Leaf, category: usize) -> NewProduct {
    let brand = usize::try_from(rng.next() % BRANDS.len() as u64).unwrap_or(0);
    let adjective = rng.pick(ADJECTIVES);
    let noun = rng.pick(leaf.nouns);
    let material = rng.pick(MATERIALS);
    let model = format!(
        "{}{}-{}",
        char::from(b'A' + u8::try_from(rng.next() % 26).unwrap_or(0)),
        char::from(b'A' + u8::try_from(rng.next() % 26).unwrap_or(0)),
        rng.range(100, 999)
    );
    let title = format!("{} {adjective} {noun} {model}", BRANDS[brand]);
    let description = format!(
        "The {adjective} {noun} from {} is made with {material} and built for daily use. \
         {} It ships with a two-year warranty and free returns within 30 days.",
        BRANDS[brand],
        rng.pick(&[
            "Reviewers love how it feels straight out of the box.",
            "Its clean design fits any room or outfit.",
            "Designed with repairability in mind, spare parts are available for years.",
            "A customer favourite for gifting.",
        ]),
    );
    let base = rng.range(leaf.price.0, leaf.price.1) / 100 * 100 + 99;
    let on_sale = rng.chance(15);
    let option_values: Vec<(String, i64)> = match leaf.options {
        Options::None => vec![(String::new(), 0)],
        Options::Size => {
            let start = usize::try_from(rng.range(0, 1)).unwrap_or(0);
            let count = usize::try_from(rng.range(2, 4)).unwrap_or(2);
            SIZES[start..start + count]
                .iter()
                .map(|s| (format!("Size={s}"), 0))
                .collect()
        }
        Options::Colour => {
            let first = usize::try_from(rng.next() % COLOURS.len() as u64).unwrap_or(0);
            let count = usize::try_from(rng.range(1, 3)).unwrap_or(1);
            (0..count)
                .map(|i| {
                    (
                        format!("Colour={}", COLOURS[(first + i) % COLOURS.len()]),
                        0,
                    )
                })
                .collect()
        }
        Options::Capacity => {
            let count = usize::try_from(rng.range(1, 4)).unwrap_or(1);
            CAPACITIES[..count]
                .iter()
                .map(|(c, extra)| (format!("Capacity={c}"), *extra))
                .collect()
        }
    };
    let variants = option_values
        .into_iter()
        .enumerate()
        .map(|(i, (options, extra))| {
            let price = base + extra;
            let stock = match rng.next() % 100 {
                0..=5 => 0,
                6..=15 => rng.range(1, 5),
                _ => rng.range(6, 250),
            };
            NewVariant {
                sku: format!("EM-{n:06}-{}", i + 1),
                options,
                price,
                compare_at: on_sale.then(|| price + price / 5 / 100 * 100),
                stock,
            }
        })
        .collect();
    NewProduct {
        slug: format!("{}-{n}", slugify(&title)),
        title,
        brand,
        category,
        description,
        created_at: EPOCH_MS + i64::try_from(n).unwrap_or(0) * 60_000,
        variants,
        attributes: vec![
            ("Material", capitalise(material)),
            ("Warranty", "2 years".to_owned()),
        ],
    }
}

/// Writes the demo catalog with `products` products into an empty database, in one transaction.
pub async fn seed(db: &Db, products: usize, seed: u64) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let mut tx = db.begin_write().await?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products")
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Err(SeedError::NotEmpty);
    }

    let mut brand_ids = Vec::with_capacity(BRANDS.len());
    for name in BRANDS {
        let id: i64 =
            sqlx::query_scalar("INSERT INTO brands (slug, name) VALUES ($1, $2) RETURNING id")
                .bind(slugify(name))
                .bind(*name)
                .fetch_one(&mut *tx)
                .await?;
        brand_ids.push(id);
    }

    let mut leaves: Vec<(&Leaf, i64)> = Vec::new();
    let mut categories = 0;
    for (d, (department, subs)) in TREE.iter().enumerate() {
        let department_id = insert_category(&mut tx, None, department, d).await?;
        categories += 1;
        for (s, (sub, sub_leaves)) in subs.iter().enumerate() {
            let sub_id = insert_category(&mut tx, Some(department_id), sub, s).await?;
            categories += 1;
            for (l, leaf) in sub_leaves.iter().enumerate() {
                leaves.push((
                    leaf,
                    insert_category(&mut tx, Some(sub_id), leaf.name, l).await?,
                ));
                categories += 1;
            }
        }
    }

    let mut rng = Rng(seed);
    let mut variants = 0;
    let mut batch = Vec::with_capacity(BATCH);
    for n in 1..=products {
        let category = usize::try_from(rng.next() % leaves.len() as u64).unwrap_or(0);
        batch.push(make_product(&mut rng, n, leaves[category].0, category));
        if batch.len() == BATCH || n == products {
            variants += insert_products(&mut tx, &batch, &brand_ids, &leaves).await?;
            batch.clear();
        }
    }
    tx.commit().await?;
    // Fresh statistics let the query planners pick primary-key lookups over the low-selectivity
    // status index (SQLite otherwise scans every active product to find a page of ids).
    sqlx::query("ANALYZE").execute(db.writer()).await?;
    Ok(SeedReport {
        categories,
        brands: BRANDS.len(),
        products,
        variants,
        elapsed: started.elapsed(),
    })
}

async fn insert_category(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    parent: Option<i64>,
    name: &str,
    position: usize,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO categories (parent_id, slug, name, position) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(parent)
        .bind(slugify(name))
        .bind(name)
        .bind(i64::try_from(position).unwrap_or(0))
        .fetch_one(&mut **tx)
        .await
}

/// Inserts a batch of products, then their variants, each with one multi-row statement.
async fn insert_products(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    batch: &[NewProduct],
    brand_ids: &[i64],
    leaves: &[(&Leaf, i64)],
) -> Result<usize, sqlx::Error> {
    let sql = format!(
        "INSERT INTO products (slug, title, brand_id, category_id, description, status, created_at, updated_at) VALUES {}",
        values_list(
            batch.len(),
            &format!(
                "(?, ?, ?, ?, ?, '{}', ?, ?)",
                ProductStatus::Active.as_str()
            )
        )
    );
    let mut query = sqlx::query(&sql);
    for product in batch {
        query = query
            .bind(&product.slug)
            .bind(&product.title)
            .bind(brand_ids[product.brand])
            .bind(leaves[product.category].1)
            .bind(&product.description)
            .bind(product.created_at)
            .bind(product.created_at);
    }
    query.execute(&mut **tx).await?;

    let count: usize = batch.iter().map(|p| p.variants.len()).sum();
    let sql = format!(
        "INSERT INTO product_variants (product_id, sku, options, price_minor, compare_at_minor, stock, position) VALUES {}",
        values_list(
            count,
            "((SELECT id FROM products WHERE slug = ?), ?, ?, ?, ?, ?, ?)"
        )
    );
    let mut query = sqlx::query(&sql);
    for product in batch {
        for (position, variant) in product.variants.iter().enumerate() {
            query = query
                .bind(&product.slug)
                .bind(&variant.sku)
                .bind(&variant.options)
                .bind(variant.price)
                .bind(variant.compare_at)
                .bind(variant.stock)
                .bind(i64::try_from(position).unwrap_or(0));
        }
    }
    query.execute(&mut **tx).await?;

    let attributes: usize = batch.iter().map(|p| p.attributes.len()).sum();
    let sql = format!(
        "INSERT INTO product_attributes (product_id, name, value, position) VALUES {}",
        values_list(
            attributes,
            "((SELECT id FROM products WHERE slug = ?), ?, ?, ?)"
        )
    );
    let mut query = sqlx::query(&sql);
    for product in batch {
        for (position, (name, value)) in product.attributes.iter().enumerate() {
            query = query
                .bind(&product.slug)
                .bind(*name)
                .bind(value)
                .bind(i64::try_from(position).unwrap_or(0));
        }
    }
    query.execute(&mut **tx).await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_has_three_levels_and_at_least_thirty_categories() {
        let count: usize = TREE
            .iter()
            .map(|(_, subs)| {
                1 + subs
                    .iter()
                    .map(|(_, leaves)| 1 + leaves.len())
                    .sum::<usize>()
            })
            .sum();
        assert!(count >= 30, "{count} categories");
        assert!(
            TREE.iter()
                .all(|(_, subs)| subs.iter().all(|(_, leaves)| !leaves.is_empty()))
        );
    }

    #[test]
    fn the_same_seed_makes_the_same_product() {
        let leaf = &TREE[0].1[0].1[0];
        let a = make_product(&mut Rng(7), 1, leaf, 0);
        let b = make_product(&mut Rng(7), 1, leaf, 0);
        let c = make_product(&mut Rng(8), 1, leaf, 0);
        assert_eq!(
            (a.title.as_str(), a.variants.len()),
            (b.title.as_str(), b.variants.len())
        );
        assert_ne!(a.title, c.title);
        assert!(a.variants.iter().all(|v| v.price > 0 && v.stock >= 0));
    }
}
