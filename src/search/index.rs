//! The tantivy index: built from the database, kept in the node's data folder (memory-mapped)
//! with the change position it reflects, so a restart catches up instead of rebuilding.
//!
//! Documents hold what search needs (text to match, facets, and fast fields for filters and
//! sorting). Results are product ids; the listing itself is read from the database.

use super::model::{
    FacetCount, Facets, MAX_TERMS, PAGE_SIZE, PriceBand, SearchRequest, Sort, Suggestion,
};
use crate::{
    catalog::{
        db::{ON_SALE, PRICE_AND_STOCK},
        model::{CategoryLink, average_tenths},
    },
    platform::{
        db::{Db, values_list},
        money::Money,
        state::AppState,
    },
};
use std::{
    collections::HashMap,
    ops::Bound,
    path::Path,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Score, Searcher,
    SegmentOrdinal, SegmentReader, TantivyDocument, TantivyError, Term,
    collector::{Collector, Count, SegmentCollector, TopDocs},
    columnar::ColumnValues,
    directory::MmapDirectory,
    query::{
        AllQuery, BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, Query, RangeQuery,
        TermQuery,
    },
    schema::{
        FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, Schema, TEXT, Value,
    },
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Price bands offered as filters, in minor units: [lower, upper).
const BANDS: [(Option<i64>, Option<i64>); 5] = [
    (None, Some(2_500)),
    (Some(2_500), Some(5_000)),
    (Some(5_000), Some(10_000)),
    (Some(10_000), Some(25_000)),
    (Some(25_000), None),
];

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    slug: Field,
    brand_name: Field,
    category_names: Field,
    body: Field,
    brand: Field,
    category: Field,
    price: Field,
    rating: Field,
    in_stock: Field,
    created: Field,
    category_id: Field,
    brand_id: Field,
}

/// A category as search knows it: its facet path and the trail of names above it.
#[derive(Clone)]
struct CategoryInfo {
    path: Facet,
    trail: Vec<CategoryLink>,
}

/// Lookups rebuilt with the index.
#[derive(Default)]
struct Names {
    /// By slug, for filters and facet labels.
    categories: HashMap<String, CategoryInfo>,
    /// By id, for building documents.
    by_id: HashMap<i64, CategoryInfo>,
    /// Slug and name by id, for facet labels.
    brands: HashMap<i64, CategoryLink>,
}

/// Searches (and search-box suggestions) one node runs at once. More are refused at once (503
/// with Retry-After) instead of waiting in a queue that grows while the node falls behind.
pub const SEARCHES_AT_ONCE: usize = 16;

/// The search index of one app node.
pub struct SearchIndex {
    reader: IndexReader,
    /// Held across a whole rebuild (chunks read from the database in between), so no other
    /// write commits half of one.
    writer: tokio::sync::Mutex<IndexWriter>,
    fields: Fields,
    names: RwLock<Names>,
    searching: Arc<Semaphore>,
    /// The change position (a time in ms, see `sync`) the committed index reflects, written
    /// with every commit; `None` for an index that was never built.
    position: Mutex<Option<i64>>,
    /// Empty and being built: searches are told to come back in a moment.
    warming: AtomicBool,
}

/// The filters of a search, by dimension, so each facet can be counted without its own filter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dimension {
    Category,
    Brand,
    Price,
    Rating,
    Stock,
}

/// What a search found: product ids in order, the total, facet counts and the category trail.
pub struct Hits {
    pub ids: Vec<i64>,
    pub total: u64,
    pub facets: Facets,
    pub trail: Vec<CategoryLink>,
}

/// A search failed inside tantivy (a bug or resource problem, never bad user input).
pub type SearchError = tantivy::TantivyError;

/// Building or updating the index failed (database or tantivy).
pub type IndexError = Box<dyn std::error::Error + Send + Sync>;

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    slug: String,
    title: String,
    description: String,
    brand_id: i64,
    brand_slug: String,
    brand_name: String,
    category_id: i64,
    rating_count: i64,
    rating_total: i64,
    created_at: i64,
    /// NULL for a product without variants, which cannot be bought and is not indexed.
    price_minor: Option<i64>,
    stock: i64,
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    id: i64,
    parent_id: Option<i64>,
    slug: String,
    name: String,
}

/// Every category with its facet path and trail, by id.
async fn category_infos(db: &Db) -> Result<HashMap<i64, CategoryInfo>, sqlx::Error> {
    let categories: Vec<CategoryRow> =
        sqlx::query_as("SELECT id, parent_id, slug, name FROM categories")
            .fetch_all(db.pool())
            .await?;
    let by_id: HashMap<i64, &CategoryRow> = categories.iter().map(|c| (c.id, c)).collect();
    let mut infos = HashMap::with_capacity(categories.len());
    for category in &categories {
        let mut chain = vec![category];
        while let Some(parent) = chain
            .last()
            .and_then(|c| c.parent_id)
            .and_then(|id| by_id.get(&id))
        {
            if chain.len() > 16 {
                break;
            }
            chain.push(*parent);
        }
        chain.reverse();
        infos.insert(
            category.id,
            CategoryInfo {
                path: Facet::from_path(chain.iter().map(|c| c.slug.as_str())),
                trail: chain
                    .iter()
                    .map(|c| CategoryLink {
                        slug: c.slug.clone(),
                        name: c.name.clone(),
                    })
                    .collect(),
            },
        );
    }
    Ok(infos)
}

/// Every brand's id, slug and name.
async fn brand_names(db: &Db) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, slug, name FROM brands")
        .fetch_all(db.pool())
        .await
}

/// Which active products to read.
#[derive(Clone, Copy)]
enum Rows<'a> {
    /// Those among these ids.
    Among(&'a [i64]),
    /// The next `REBUILD_CHUNK` by id after this one: a rebuild reads the catalog in chunks,
    /// so a million products never sit in memory at once.
    After(i64),
}

/// Products read per query when the whole index is built.
const REBUILD_CHUNK: usize = 5_000;

/// Active products and their attribute text by product id.
async fn product_rows(
    db: &Db,
    rows: Rows<'_>,
) -> Result<(Vec<ProductRow>, HashMap<i64, String>), sqlx::Error> {
    let (which, binds) = match rows {
        Rows::Among(ids) => (
            format!(" AND p.id IN ({})", values_list(ids.len(), "?")),
            ids.to_vec(),
        ),
        Rows::After(id) => (
            format!(" AND p.id > $1 ORDER BY p.id LIMIT {REBUILD_CHUNK}"),
            vec![id],
        ),
    };
    let sql = format!(
        "SELECT p.id, p.slug, p.title, p.description, p.brand_id, b.slug AS brand_slug, b.name AS brand_name, p.category_id, \
             p.rating_count, p.rating_total, p.created_at, {PRICE_AND_STOCK} \
         FROM products p JOIN brands b ON b.id = p.brand_id WHERE {ON_SALE}{which}"
    );
    let mut query = sqlx::query_as::<_, ProductRow>(&sql);
    for id in binds {
        query = query.bind(id);
    }
    let products = query.fetch_all(db.pool()).await?;
    let mut attributes: HashMap<i64, String> = HashMap::new();
    if products.is_empty() {
        return Ok((products, attributes));
    }
    let sql = format!(
        "SELECT product_id, value FROM product_attributes WHERE product_id IN ({})",
        values_list(products.len(), "?")
    );
    let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
    for p in &products {
        query = query.bind(p.id);
    }
    for (product_id, value) in query.fetch_all(db.pool()).await? {
        let text = attributes.entry(product_id).or_default();
        text.push(' ');
        text.push_str(&value);
    }
    Ok((products, attributes))
}

/// The index's schema and its fields.
fn schema() -> (Schema, Fields) {
    let mut schema = Schema::builder();
    let fields = Fields {
        id: schema.add_i64_field("id", INDEXED | FAST),
        title: schema.add_text_field("title", TEXT | STORED),
        slug: schema.add_text_field("slug", STORED),
        brand_name: schema.add_text_field("brand_name", TEXT),
        category_names: schema.add_text_field("category_names", TEXT),
        body: schema.add_text_field("body", TEXT),
        brand: schema.add_facet_field("brand", FacetOptions::default()),
        category: schema.add_facet_field("category", FacetOptions::default()),
        price: schema.add_u64_field("price", INDEXED | FAST),
        rating: schema.add_u64_field("rating", INDEXED | FAST),
        in_stock: schema.add_u64_field("in_stock", INDEXED | FAST),
        created: schema.add_i64_field("created", FAST),
        category_id: schema.add_u64_field("category_id", FAST),
        brand_id: schema.add_u64_field("brand_id", FAST),
    };
    (schema.build(), fields)
}

impl SearchIndex {
    /// This node's index, which the app root keeps in the state.
    pub fn of(state: &AppState) -> &Arc<Self> {
        state.service()
    }

    /// An empty index in memory; `rebuild` fills it.
    pub fn new() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        Self::over(Index::create_in_ram(schema), fields, None)
    }

    /// The index this node kept in `dir`, with the change position it reflects. When there is
    /// none, or it cannot be used (left half-written, made by a version with other fields, or
    /// never built), the folder is emptied and a new empty index made there. A folder another
    /// process holds open is an error.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        match Self::reopen(dir, &schema, fields) {
            Ok(Some(index)) => return Ok(index),
            Ok(None) => {}
            // Another process has it open (two nodes given one data folder): never wipe it.
            Err(error @ TantivyError::LockFailure(..)) => return Err(error),
            Err(error) => {
                tracing::warn!(%error, dir = %dir.display(), "search index unusable: building it again");
            }
        }
        let emptied = match std::fs::remove_dir_all(dir) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
            _ => std::fs::create_dir_all(dir),
        };
        emptied.map_err(|e| TantivyError::SystemError(format!("{}: {e}", dir.display())))?;
        Self::over(Index::create_in_dir(dir, schema)?, fields, None)
    }

    fn reopen(dir: &Path, schema: &Schema, fields: Fields) -> Result<Option<Self>, SearchError> {
        if !dir.join("meta.json").exists() {
            return Ok(None);
        }
        let index = Index::open(MmapDirectory::open(dir)?)?;
        if index.schema() != *schema {
            return Err(TantivyError::SchemaError(
                "made by a version with other fields".into(),
            ));
        }
        let position = index.load_metas()?.payload.and_then(|p| p.parse().ok());
        match position {
            Some(position) => Self::over(index, fields, Some(position)).map(Some),
            None => Ok(None),
        }
    }

    fn over(index: Index, fields: Fields, position: Option<i64>) -> Result<Self, SearchError> {
        let writer = index.writer_with_num_threads(1, 50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            writer: tokio::sync::Mutex::new(writer),
            fields,
            names: RwLock::new(Names::default()),
            searching: Arc::new(Semaphore::new(SEARCHES_AT_ONCE)),
            position: Mutex::new(position),
            warming: AtomicBool::new(false),
        })
    }

    /// The change position the committed index reflects; `None` when it was never built.
    pub fn position(&self) -> Option<i64> {
        self.position.lock().ok().and_then(|p| *p)
    }

    /// Whether the index is empty and being built.
    pub fn is_warming(&self) -> bool {
        self.warming.load(Ordering::Relaxed)
    }

    pub(super) fn set_warming(&self, warming: bool) {
        self.warming.store(warming, Ordering::Relaxed);
    }

    /// Commits what `writer` holds, with `position` (or the position it had) as the commit's
    /// payload, then lets searches see it.
    fn commit(&self, writer: &mut IndexWriter, position: Option<i64>) -> Result<(), IndexError> {
        let mut kept = self
            .position
            .lock()
            .map_err(|_| "search position poisoned")?;
        let mut prepared = writer.prepare_commit()?;
        if let Some(position) = position.or(*kept) {
            prepared.set_payload(&position.to_string());
        }
        prepared.commit()?;
        if position.is_some() {
            *kept = position;
        }
        drop(kept);
        self.reader.reload()?;
        Ok(())
    }

    /// Records that the index reflects every change up to `position`, when nothing needed
    /// applying.
    pub(super) async fn mark(&self, position: i64) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().await;
        self.commit(&mut writer, Some(position))
    }

    /// A place among the searches this node runs at once, held until dropped; `None` when
    /// every place is taken.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        self.searching.clone().try_acquire_owned().ok()
    }

    /// Replaces the whole index with the active products in the database.
    pub async fn rebuild(&self, db: &Db) -> Result<usize, IndexError> {
        self.rebuild_at(db, None).await
    }

    /// Reads the categories' and brands' names, which the index does not keep: what a
    /// reopened index needs before it serves.
    pub async fn load_names(&self, db: &Db) -> Result<(), IndexError> {
        let categories = category_infos(db).await?;
        let brands = brand_names(db).await?;
        self.set_names(categories, brands)
    }

    fn set_names(
        &self,
        categories: HashMap<i64, CategoryInfo>,
        brands: Vec<(i64, String, String)>,
    ) -> Result<(), IndexError> {
        let mut names = self.names.write().map_err(|_| "search names poisoned")?;
        names.categories = categories
            .values()
            .filter_map(|info| Some((info.trail.last()?.slug.clone(), info.clone())))
            .collect();
        names.by_id = categories;
        names.brands = brands
            .into_iter()
            .map(|(id, slug, name)| (id, CategoryLink { slug, name }))
            .collect();
        Ok(())
    }

    /// `rebuild`, committed as reflecting the changes up to `position` (when given).
    pub(super) async fn rebuild_at(
        &self,
        db: &Db,
        position: Option<i64>,
    ) -> Result<usize, IndexError> {
        let started = Instant::now();
        let categories = category_infos(db).await?;
        let brands = brand_names(db).await?;
        let mut writer = self.writer.lock().await;
        let added = self.add_all(db, &mut writer, &categories).await;
        let count = match added {
            Ok(count) => count,
            Err(error) => {
                // Nothing of a half-done rebuild may reach a later commit.
                writer.rollback()?;
                return Err(error);
            }
        };
        self.commit(&mut writer, position)?;
        drop(writer);
        self.set_names(categories, brands)?;
        tracing::info!(
            products = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
        Ok(count)
    }

    /// Brings the given products up to date: each is removed, then added again if it is active.
    /// A product in a category this index does not know yet makes it rebuild everything.
    pub async fn reindex(&self, db: &Db, ids: &[i64]) -> Result<(), IndexError> {
        self.reindex_at(db, ids, None).await
    }

    /// Replaces every document with the active products, read in chunks. Returns how many.
    async fn add_all(
        &self,
        db: &Db,
        writer: &mut IndexWriter,
        categories: &HashMap<i64, CategoryInfo>,
    ) -> Result<usize, IndexError> {
        writer.delete_all_documents()?;
        let (mut after, mut count) = (0, 0);
        loop {
            let (products, attributes) = product_rows(db, Rows::After(after)).await?;
            let Some(last) = products.last() else {
                return Ok(count);
            };
            after = last.id;
            count += products.len();
            for p in &products {
                if let Some(doc) = self.document(p, categories, &attributes) {
                    writer.add_document(doc)?;
                }
            }
        }
    }

    /// `reindex`, committed as reflecting the changes up to `position` (when given).
    pub(super) async fn reindex_at(
        &self,
        db: &Db,
        ids: &[i64],
        position: Option<i64>,
    ) -> Result<(), IndexError> {
        if ids.is_empty() {
            return Ok(());
        }
        let (products, attributes) = product_rows(db, Rows::Among(ids)).await?;
        let known = {
            let names = self.names.read().map_err(|_| "search names poisoned")?;
            products
                .iter()
                .all(|p| names.by_id.contains_key(&p.category_id))
        };
        if !known {
            return self.rebuild_at(db, position).await.map(drop);
        }
        let mut writer = self.writer.lock().await;
        let mut names = self.names.write().map_err(|_| "search names poisoned")?;
        for id in ids {
            writer.delete_term(Term::from_field_i64(self.fields.id, *id));
        }
        for p in &products {
            if let Some(doc) = self.document(p, &names.by_id, &attributes) {
                writer.add_document(doc)?;
            }
            let brand = CategoryLink {
                slug: p.brand_slug.clone(),
                name: p.brand_name.clone(),
            };
            names.brands.insert(p.brand_id, brand);
        }
        self.commit(&mut writer, position)
    }

    /// The search document of an active product; None when it cannot be bought (no variants).
    fn document(
        &self,
        p: &ProductRow,
        categories: &HashMap<i64, CategoryInfo>,
        attributes: &HashMap<i64, String>,
    ) -> Option<TantivyDocument> {
        let f = self.fields;
        let (info, price) = (categories.get(&p.category_id)?, p.price_minor?);
        let mut doc = TantivyDocument::new();
        doc.add_i64(f.id, p.id);
        doc.add_text(f.title, &p.title);
        doc.add_text(f.slug, &p.slug);
        doc.add_text(f.brand_name, &p.brand_name);
        doc.add_text(
            f.category_names,
            info.trail
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
        doc.add_text(
            f.body,
            format!(
                "{} {}",
                p.description,
                attributes.get(&p.id).map_or("", String::as_str)
            ),
        );
        doc.add_facet(f.brand, Facet::from_path([p.brand_slug.as_str()]));
        doc.add_facet(f.category, info.path.clone());
        doc.add_u64(f.price, u64::try_from(price).unwrap_or(0));
        let rating = average_tenths(p.rating_total, p.rating_count).unwrap_or(0);
        doc.add_u64(f.rating, u64::try_from(rating).unwrap_or(0));
        doc.add_u64(f.in_stock, u64::from(p.stock > 0));
        doc.add_i64(f.created, p.created_at);
        doc.add_u64(
            f.category_id,
            u64::try_from(p.category_id).unwrap_or(u64::MAX),
        );
        doc.add_u64(f.brand_id, u64::try_from(p.brand_id).unwrap_or(u64::MAX));
        Some(doc)
    }

    /// Up to `limit` products whose titles match what has been typed so far: every word but the
    /// last as in a search, the last as the start of a word.
    pub fn suggest(&self, text: &str, limit: usize) -> Result<Vec<Suggestion>, SearchError> {
        let f = self.fields;
        let mut terms = Self::terms(text);
        let Some(last) = terms.pop() else {
            return Ok(Vec::new());
        };
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(words) = self.text_query(&terms.join(" ")) {
            must.push((Occur::Must, words));
        }
        let distance = if last.chars().count() >= 4 { 1 } else { 0 };
        let mut started: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in [(f.title, 2.0), (f.brand_name, 1.0)] {
            let term = Term::from_field_text(field, &last);
            let prefix = FuzzyTermQuery::new_prefix(term, distance, true);
            started.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(prefix), boost)),
            ));
        }
        must.push((Occur::Must, Box::new(BooleanQuery::new(started))));
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(must),
            &TopDocs::with_limit(limit.max(1)).order_by_score(),
        )?;
        top.into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address)?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                Ok(Suggestion {
                    title: text(f.title),
                    slug: text(f.slug),
                })
            })
            .collect()
    }

    /// The query with its unknown words replaced by the closest words of product titles, for
    /// "Did you mean …?" (`closest` chooses). None when every word is known or nothing is close.
    pub fn did_you_mean(&self, text: &str) -> Result<Option<String>, SearchError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut changed = false;
        let mut words = Vec::new();
        for word in Self::terms(text) {
            let mut known = false;
            for field in [f.title, f.brand_name, f.category_names, f.body] {
                known |= searcher.doc_freq(&Term::from_field_text(field, &word))? > 0;
            }
            if known || word.chars().count() < 3 {
                words.push(word);
                continue;
            }
            let fuzzy = FuzzyTermQuery::new(Term::from_field_text(f.title, &word), 2, true);
            let top = searcher.search(&fuzzy, &TopDocs::with_limit(50).order_by_score())?;
            let mut candidates: HashMap<String, u64> = HashMap::new();
            for (_, address) in top {
                let doc: TantivyDocument = searcher.doc(address)?;
                let title = doc.get_first(f.title).and_then(|v| v.as_str());
                for candidate in Self::terms(title.unwrap_or_default()) {
                    if let std::collections::hash_map::Entry::Vacant(entry) =
                        candidates.entry(candidate)
                    {
                        let term = Term::from_field_text(f.title, entry.key());
                        entry.insert(searcher.doc_freq(&term)?);
                    }
                }
            }
            match closest(&word, candidates) {
                Some(candidate) => {
                    changed = true;
                    words.push(candidate);
                }
                None => words.push(word),
            }
        }
        Ok(changed.then(|| words.join(" ")))
    }

    /// True when `slug` names a category in the index.
    pub fn has_category(&self, slug: &str) -> bool {
        self.names
            .read()
            .is_ok_and(|n| n.categories.contains_key(slug))
    }

    /// Words of the query, as the index's tokenizer produces them.
    fn terms(text: &str) -> Vec<String> {
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .take(MAX_TERMS)
            .map(str::to_owned)
            .collect()
    }

    /// Every word must match somewhere; exact matches outrank typo matches, and a title match
    /// outranks a brand, category or description match.
    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let terms = Self::terms(text);
        if terms.is_empty() {
            return None;
        }
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let allowed = typos_allowed(&terms);
        for (word, distance) in terms.into_iter().zip(allowed) {
            let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in [
                (f.title, 3.0),
                (f.brand_name, 2.0),
                (f.category_names, 1.5),
                (f.body, 1.0),
            ] {
                let term = Term::from_field_text(field, &word);
                let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(exact), boost * 2.0)),
                ));
                if distance > 0 {
                    let fuzzy = FuzzyTermQuery::new(term, distance, true);
                    should.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(fuzzy), boost)),
                    ));
                }
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
        }
        Some(Box::new(BooleanQuery::new(must)))
    }

    fn filters(&self, request: &SearchRequest, names: &Names) -> Vec<(Dimension, Box<dyn Query>)> {
        let f = self.fields;
        let mut filters: Vec<(Dimension, Box<dyn Query>)> = Vec::new();
        if let Some(slug) = &request.category {
            let query: Box<dyn Query> = match names.categories.get(slug) {
                Some(info) => Box::new(TermQuery::new(
                    Term::from_facet(f.category, &info.path),
                    IndexRecordOption::Basic,
                )),
                None => Box::new(EmptyQuery),
            };
            filters.push((Dimension::Category, query));
        }
        if let Some(slug) = &request.brand {
            let facet = Facet::from_path([slug.as_str()]);
            filters.push((
                Dimension::Brand,
                Box::new(TermQuery::new(
                    Term::from_facet(f.brand, &facet),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if request.min_price.is_some() || request.max_price.is_some() {
            let term =
                |m: Money| Term::from_field_u64(f.price, u64::try_from(m.minor()).unwrap_or(0));
            let lower = term(request.min_price.unwrap_or_default());
            let upper = request
                .max_price
                .map_or(Bound::Unbounded, |m| Bound::Included(term(m)));
            filters.push((
                Dimension::Price,
                Box::new(RangeQuery::new(Bound::Included(lower), upper)),
            ));
        }
        if let Some(stars) = request.rating {
            let lower = Term::from_field_u64(f.rating, u64::from(stars) * 10);
            filters.push((
                Dimension::Rating,
                Box::new(RangeQuery::new(Bound::Included(lower), Bound::Unbounded)),
            ));
        }
        if request.in_stock {
            let term = Term::from_field_u64(f.in_stock, 1);
            filters.push((
                Dimension::Stock,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        filters
    }

    fn compose(
        text: &Option<Box<dyn Query>>,
        filters: &[(Dimension, Box<dyn Query>)],
        except: Option<Dimension>,
    ) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            text.as_ref()
                .map_or_else(|| Box::new(AllQuery) as Box<dyn Query>, |q| q.box_clone()),
        )];
        for (dimension, filter) in filters {
            if Some(*dimension) != except {
                clauses.push((Occur::Must, filter.box_clone()));
            }
        }
        BooleanQuery::new(clauses)
    }

    /// Runs a search: one page of ids plus facet counts for the same query. The page, the
    /// total and every facet whose dimension has no filter of its own are counted in one pass
    /// over the matching documents; each filtered dimension (brand, price, rating) takes one
    /// more pass without its own filter, so its options count what choosing them would find.
    pub fn search(&self, request: &SearchRequest) -> Result<Hits, SearchError> {
        let names = self
            .names
            .read()
            .map_err(|_| tantivy::TantivyError::Poisoned)?;
        let searcher = self.reader.searcher();
        let text = self.text_query(&request.text);
        let filters = self.filters(request, &names);
        let main = Self::compose(&text, &filters, None);
        let offset = (request.page - 1) * PAGE_SIZE;
        let page = TopDocs::with_limit(PAGE_SIZE).and_offset(offset);
        let sort = match request.sort {
            Sort::Relevance if text.is_none() => Sort::Newest,
            other => other,
        };
        // Categories: the children of the chosen category (or the departments), within every
        // filter.
        let trail: &[CategoryLink] = request
            .category
            .as_ref()
            .and_then(|slug| names.categories.get(slug))
            .map_or(&[], |info| &info.trail);
        let unfiltered = |dimension| filters.iter().all(|(d, _)| *d != dimension);
        let tally = Tally::new(&names, trail);
        let first = tally.counting([
            true,
            unfiltered(Dimension::Brand),
            unfiltered(Dimension::Price),
            unfiltered(Dimension::Rating),
        ]);
        let (addresses, total, mut counts) = match sort {
            Sort::Relevance => first_pass(&searcher, &main, page.order_by_score(), first)?,
            Sort::Newest => first_pass(
                &searcher,
                &main,
                page.order_by_fast_field::<i64>("created", Order::Desc),
                first,
            )?,
            Sort::PriceAsc | Sort::PriceDesc | Sort::Rating => {
                let (field, order) = match sort {
                    Sort::PriceAsc => ("price", Order::Asc),
                    Sort::PriceDesc => ("price", Order::Desc),
                    _ => ("rating", Order::Desc),
                };
                let page = page.order_by_fast_field::<u64>(field, order);
                first_pass(&searcher, &main, page, first)?
            }
        };
        for (i, dimension) in [Dimension::Brand, Dimension::Price, Dimension::Rating]
            .into_iter()
            .enumerate()
        {
            if !unfiltered(dimension) {
                let mut only = [false; 4];
                only[i + 1] = true;
                let alone = Self::compose(&text, &filters, Some(dimension));
                counts.add(searcher.search(&alone, &tally.counting(only))?);
            }
        }
        let ids = addresses
            .into_iter()
            .map(|address| {
                let ids = searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .i64("id")?;
                Ok(ids.first(address.doc_id).unwrap_or_default())
            })
            .collect::<Result<Vec<i64>, SearchError>>()?;
        Ok(Hits {
            ids,
            total: total as u64,
            facets: tally.facets(&names, counts),
            trail: trail.to_vec(),
        })
    }
}

/// The page's addresses, the total and the facet counts of one pass over `query`.
fn first_pass<P, S>(
    searcher: &Searcher,
    query: &BooleanQuery,
    page: P,
    tally: Tally,
) -> Result<(Vec<DocAddress>, usize, Counts), SearchError>
where
    P: Collector<Fruit = Vec<(S, DocAddress)>>,
{
    let (top, total, counts) = searcher.search(query, &(page, Count, tally))?;
    Ok((top.into_iter().map(|(_, a)| a).collect(), total, counts))
}

/// The ratings offered as "N stars & up", best first.
const STARS: [u64; 4] = [4, 3, 2, 1];

/// A category that is not under the chosen one.
const ELSEWHERE: u32 = u32::MAX;

/// Counts the facets of the documents a query matches, from fast fields, in the same pass as
/// the page: the categories one level below the chosen one (or the departments), brands, price
/// bands and ratings (`counting` says which of the four, in that order).
#[derive(Clone)]
struct Tally {
    /// The categories one level below the chosen one.
    children: Arc<Vec<CategoryLink>>,
    /// For each category id, the index in `children` of the one it falls under, or ELSEWHERE.
    under: Arc<Vec<u32>>,
    /// One more than the largest brand id.
    brands: usize,
    counting: [bool; 4],
}

/// What a `Tally` counted: by child category, by brand id, by price band, by rating.
struct Counts {
    categories: Vec<u64>,
    brands: Vec<u64>,
    prices: [u64; BANDS.len()],
    ratings: [u64; STARS.len()],
}

impl Tally {
    fn new(names: &Names, parent: &[CategoryLink]) -> Self {
        let size = |ids: &mut dyn Iterator<Item = &i64>| {
            ids.max()
                .and_then(|id| usize::try_from(*id).ok())
                .map_or(0, |id| id + 1)
        };
        let depth = parent.len();
        let mut children: Vec<CategoryLink> = Vec::new();
        let mut under = vec![ELSEWHERE; size(&mut names.by_id.keys())];
        for (id, info) in &names.by_id {
            let (Some(child), Ok(id)) = (info.trail.get(depth), usize::try_from(*id)) else {
                continue;
            };
            if info.trail[..depth] != *parent {
                continue;
            }
            let slot = children
                .iter()
                .position(|c| c.slug == child.slug)
                .unwrap_or_else(|| {
                    children.push(child.clone());
                    children.len() - 1
                });
            under[id] = u32::try_from(slot).unwrap_or(ELSEWHERE);
        }
        Self {
            children: Arc::new(children),
            under: Arc::new(under),
            brands: size(&mut names.brands.keys()),
            counting: [false; 4],
        }
    }

    fn counting(&self, counting: [bool; 4]) -> Self {
        Self {
            counting,
            ..self.clone()
        }
    }

    fn empty(&self) -> Counts {
        Counts {
            categories: vec![0; self.children.len()],
            brands: vec![0; self.brands],
            prices: [0; BANDS.len()],
            ratings: [0; STARS.len()],
        }
    }

    /// The counts as the page shows them: names attached, most first, none empty.
    fn facets(&self, names: &Names, counts: Counts) -> Facets {
        let ranked = |counted: Vec<(CategoryLink, u64)>, limit: usize| {
            let mut counted: Vec<FacetCount> = counted
                .into_iter()
                .filter(|(_, count)| *count > 0)
                .map(|(link, count)| FacetCount {
                    key: link.slug,
                    label: link.name,
                    count,
                })
                .collect();
            counted.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
            counted.truncate(limit);
            counted
        };
        let categories = self.children.iter().cloned().zip(counts.categories);
        let brands = counts
            .brands
            .into_iter()
            .enumerate()
            .filter_map(|(id, count)| {
                let link = names.brands.get(&i64::try_from(id).ok()?)?;
                Some((link.clone(), count))
            });
        Facets {
            categories: ranked(categories.collect(), usize::MAX),
            brands: ranked(brands.collect(), 15),
            price_bands: BANDS
                .iter()
                .zip(counts.prices)
                .map(|((lower, upper), count)| PriceBand {
                    min: lower.and_then(|m| Money::from_minor(m).ok()),
                    max: upper.and_then(|m| Money::from_minor(m).ok()),
                    count,
                })
                .collect(),
            ratings: STARS
                .iter()
                .zip(counts.ratings)
                .map(|(stars, count)| FacetCount {
                    key: stars.to_string(),
                    label: if *stars == 1 {
                        "1 star & up".to_owned()
                    } else {
                        format!("{stars} stars & up")
                    },
                    count,
                })
                .collect(),
        }
    }
}

impl Counts {
    fn add(&mut self, more: Counts) {
        let sum = |into: &mut [u64], from: &[u64]| {
            for (count, more) in into.iter_mut().zip(from) {
                *count += more;
            }
        };
        sum(&mut self.categories, &more.categories);
        sum(&mut self.brands, &more.brands);
        sum(&mut self.prices, &more.prices);
        sum(&mut self.ratings, &more.ratings);
    }
}

/// A `Tally` over one segment: the columns it reads, what it counted so far.
struct SegmentTally {
    tally: Tally,
    /// Category id, brand id, price and rating, for the dimensions counted.
    columns: [Option<Arc<dyn ColumnValues<u64>>>; 4],
    /// The price bands as [lower, upper) in minor units.
    bands: [(u64, u64); BANDS.len()],
    counts: Counts,
}

impl Collector for Tally {
    type Fruit = Counts;
    type Child = SegmentTally;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTally> {
        let mut columns: [Option<Arc<dyn ColumnValues<u64>>>; 4] = Default::default();
        for ((column, field), counted) in columns
            .iter_mut()
            .zip(["category_id", "brand_id", "price", "rating"])
            .zip(self.counting)
        {
            if counted {
                let values = reader.fast_fields().u64(field)?;
                *column = Some(values.first_or_default_col(u64::MAX));
            }
        }
        let bound =
            |m: Option<i64>, default| m.and_then(|m| u64::try_from(m).ok()).unwrap_or(default);
        Ok(SegmentTally {
            tally: self.clone(),
            columns,
            bands: BANDS.map(|(lower, upper)| (bound(lower, 0), bound(upper, u64::MAX))),
            counts: self.empty(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut counts = self.empty();
        for segment in segments {
            counts.add(segment);
        }
        Ok(counts)
    }
}

impl SegmentCollector for SegmentTally {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let [category, brand, price, rating] = &self.columns;
        let counts = &mut self.counts;
        if let Some(column) = category {
            let slot = usize::try_from(column.get_val(doc))
                .ok()
                .and_then(|id| self.tally.under.get(id));
            if let Some(count) = slot.and_then(|s| counts.categories.get_mut(*s as usize)) {
                *count += 1;
            }
        }
        if let Some(column) = brand {
            let id = usize::try_from(column.get_val(doc)).unwrap_or(usize::MAX);
            if let Some(count) = counts.brands.get_mut(id) {
                *count += 1;
            }
        }
        if let Some(column) = price {
            let price = column.get_val(doc);
            for ((lower, upper), count) in self.bands.iter().zip(&mut counts.prices) {
                *count += u64::from((*lower..*upper).contains(&price));
            }
        }
        if let Some(column) = rating {
            let rating = column.get_val(doc);
            for (stars, count) in STARS.iter().zip(&mut counts.ratings) {
                *count += u64::from(rating >= stars * 10);
            }
        }
    }

    fn harvest(self) -> Counts {
        self.counts
    }
}

/// Typos forgiven in one query, over all its words: each fuzzy word expands into every indexed
/// word within its distance, in four fields, so a long query of long words would cost dozens of
/// passes over the term dictionaries.
const TYPO_BUDGET: u8 = 4;

/// How many typos each of `words` may have: one from four letters, two from eight, in the
/// order typed, until `TYPO_BUDGET` is spent; later words must match exactly.
fn typos_allowed(words: &[String]) -> Vec<u8> {
    let mut left = TYPO_BUDGET;
    words
        .iter()
        .map(|word| {
            let wanted = match word.chars().count() {
                n if n >= 8 => 2,
                n if n >= 4 => 1,
                _ => 0,
            };
            let given = wanted.min(left);
            left -= given;
            given
        })
        .collect()
}

/// The likeliest word meant by `word` among `candidates` (a word, and how many products' titles
/// use it): the fewest edits (two at most), then the most used, then the first alphabetically.
/// Never a word more than one letter shorter than the one typed: "lamp" is not "lp".
fn closest(word: &str, candidates: impl IntoIterator<Item = (String, u64)>) -> Option<String> {
    let length = word.chars().count();
    candidates
        .into_iter()
        .filter(|(candidate, _)| candidate.chars().count() + 1 >= length)
        .map(|(candidate, used)| (strsim::levenshtein(word, &candidate), used, candidate))
        .filter(|&(edits, _, _)| (1..=2).contains(&edits))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)))
        .map(|(_, _, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::{closest, typos_allowed};

    #[test]
    fn typos_are_forgiven_by_word_length_until_the_budget_is_spent() {
        let words = |text: &str| -> Vec<String> { text.split(' ').map(str::to_owned).collect() };
        assert_eq!(typos_allowed(&words("mug porcelain teapot")), [0, 2, 1]);
        assert_eq!(
            typos_allowed(&words("waterproof breathable lightweight jacket hood")),
            [2, 2, 0, 0, 0]
        );
        assert_eq!(
            typos_allowed(&words("porcelain lamp lamp lamp")),
            [2, 1, 1, 0]
        );
    }

    fn among(word: &str, candidates: &[(&str, u64)]) -> Option<String> {
        closest(word, candidates.iter().map(|&(c, n)| (c.to_owned(), n)))
    }

    #[test]
    fn a_correction_is_the_nearest_then_the_most_used_word_never_a_much_shorter_one() {
        let words = [("lp", 90), ("lamb", 3), ("camp", 12), ("clamps", 40)];
        assert_eq!(
            among("lamp", &words).as_deref(),
            Some("camp"),
            "one edit, most used"
        );
        assert_eq!(among("lamp", &[("lp", 90), ("la", 5)]), None, "too short");
        assert_eq!(
            among("teapt", &[("teapot", 1), ("tea", 50)]).as_deref(),
            Some("teapot")
        );
        assert_eq!(
            among("porcelian", &[("porcelain", 2)]).as_deref(),
            Some("porcelain")
        );
        assert_eq!(
            among("zzzz", &[("lamp", 9)]),
            None,
            "nothing within two edits"
        );
        assert_eq!(
            among("mug", &[("mud", 4), ("bug", 4)]).as_deref(),
            Some("bug"),
            "a tie goes to the first alphabetically"
        );
    }
}
