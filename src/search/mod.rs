//! The text index of the store (tantivy): what `/search`, `labgraph search`, the SPARQL
//! `SERVICE lg:search`, reconciliation and SDG suggestion read.
//!
//! It is an observer of the store's one write path, so it follows every write whatever
//! its path (an import, a rollback, a SPARQL Update, a Graph Store write, a bulk load):
//! the resources a write touched are indexed again in one tantivy commit, which a search
//! sees whole or not at all. Each commit records the store's write generation (the
//! latest activity of the provenance graph); an index that does not reflect the store it
//! is opened with (a write made while it was not attached, an older index) is rebuilt,
//! and `labgraph index` rebuilds it on demand. It lives in the store's folder
//! (`labgraph-search/`), or in memory for a store in memory.
//!
//! One document per IRI the store describes, told apart by what describes it: the data,
//! the ontology or the shapes (searches read the data unless asked otherwise).

pub mod analysis;
mod document;
mod query;
pub mod reconcile;
pub mod service;
pub mod suggest;
mod writer;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use oxigraph::model::NamedNode;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocSet, Index, IndexReader, IndexWriter, Searcher, TantivyDocument};

pub use document::Kind;

use crate::error::{Error, Result};
use crate::store::GraphStore;
use analysis::Fields;

/// The folder of the index in the store's folder.
pub const FOLDER: &str = "labgraph-search";

/// What the payload of a commit starts with: the index's layout, then the generation.
const LAYOUT: &str = "labgraph-search 2";

/// The longest text a search takes, in characters, and its most words.
pub const LONGEST_QUERY: usize = 1_000;
const MOST_WORDS: usize = 32;

/// The writer's memory, per thread (tantivy asks for at least 15 MB).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// The name of the SPARQL service: `SERVICE lg:search { … }`.
pub fn service_name() -> NamedNode {
    NamedNode::new_unchecked(format!("{}search", crate::vocab::LG))
}

/// The text index of a store.
pub struct TextIndex {
    folder: Option<PathBuf>,
    fields: Fields,
    /// A handle on the store's data (without its hooks), for builds.
    store: GraphStore,
    /// `None` until built (at first use) when no index on disk reflected the store.
    inner: Mutex<Option<Inner>>,
}

struct Inner {
    index: Index,
    writer: IndexWriter,
    reader: IndexReader,
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct Request {
    pub text: String,
    /// Any of these classes (or a subclass), when given.
    pub types: Vec<NamedNode>,
    /// Each group: linked to any of these IRIs (or to something in them).
    pub within: Vec<Vec<NamedNode>>,
    /// What describes the resources: the data unless said.
    pub kinds: Vec<Kind>,
    /// Only the texts in this language (`fr` or `en`), and its labels first.
    pub language: Option<String>,
    pub offset: usize,
    pub limit: usize,
    /// Every word (but stop words) must be found (a search), or any (reconciliation).
    pub every_word: bool,
}

impl Request {
    /// A search for `text`, the first `limit` results.
    pub fn new(text: impl Into<String>, limit: usize) -> Self {
        Self {
            text: text.into(),
            types: Vec::new(),
            within: Vec::new(),
            kinds: vec![Kind::Data],
            language: None,
            offset: 0,
            limit,
            every_word: true,
        }
    }
}

/// One resource found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    pub iri: String,
    pub label: String,
    /// The label's language (empty when it has none).
    pub language: String,
    pub types: Vec<String>,
    pub score: f32,
    /// The passage that matched, as HTML: escaped, the matched words in `<b>`.
    pub snippet: String,
    /// Whether the whole text is one of its identifiers or, folded, one of its labels.
    pub exact: bool,
}

/// A page of results, and how many there are in all.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
}

impl TextIndex {
    /// The store's index, rebuilt when it does not reflect the store, put on the store's
    /// write path and answering `SERVICE lg:search` in its queries.
    pub fn attach(store: &GraphStore) -> Result<Arc<Self>> {
        let index = Arc::new(Self::open(store)?);
        store.subscribe(index.clone());
        store.add_service(service_name(), Arc::new(service::Search(index.clone())));
        store.set_extension(index.clone());
        Ok(index)
    }

    /// The index attached to a store.
    pub fn of(store: &GraphStore) -> Result<Arc<Self>> {
        store.extension::<Self>().ok_or_else(|| {
            Error::Usage("the store has no text index attached (import::open attaches it)".into())
        })
    }

    /// Builds the index now if it has not been (`serve` does so at start, so that the
    /// first search does not wait for it).
    pub fn ensure(&self) -> Result<()> {
        self.live().map(drop)
    }

    /// The store generation the index reflects.
    pub fn generation(&self) -> Result<Option<String>> {
        let inner = self.live()?;
        let metas = inner
            .as_ref()
            .expect("live() built it")
            .index
            .load_metas()
            .map_err(index_error)?;
        Ok(metas
            .payload
            .and_then(|p| p.strip_prefix(LAYOUT).map(|g| g.trim().to_owned()))
            .filter(|g| !g.is_empty()))
    }

    /// How many resources the index holds.
    pub fn resources(&self) -> Result<u64> {
        Ok(self.reading()?.0.num_docs())
    }

    /// A searcher of the latest commit and the analyzers, the index built if need be.
    fn reading(&self) -> Result<(Searcher, tantivy::tokenizer::TokenizerManager)> {
        let inner = self.live()?;
        let inner = inner.as_ref().expect("live() built it");
        Ok((inner.reader.searcher(), inner.index.tokenizers().clone()))
    }

    /// Looks for `request`, best first.
    pub fn search(&self, request: &Request) -> Result<Found> {
        let text = request.text.trim();
        if text.is_empty() {
            return Err(Error::Usage(
                "la recherche est vide / the search text is empty".into(),
            ));
        }
        if text.chars().count() > LONGEST_QUERY {
            return Err(Error::Usage(format!(
                "la recherche dépasse {LONGEST_QUERY} caractères / the search text is longer than {LONGEST_QUERY} characters"
            )));
        }
        // One reader for the whole search: it sees one commit.
        let (searcher, tokenizers) = self.reading()?;
        let query = self.query(&tokenizers, request, text)?;
        self.run(&searcher, &tokenizers, query, request, text)
    }

    /// The resources whose labels hold the words of `request`, the last one begun
    /// ("îlots de ch" finds "Îlots de chaleur…"): what suggestions offer as one types.
    pub fn suggest(&self, request: &Request) -> Result<Found> {
        let text = request.text.trim();
        let (searcher, tokenizers) = self.reading()?;
        let mut words = analysis::terms(&tokenizers, analysis::FOLDED, text);
        words.truncate(MOST_WORDS);
        let Some(last) = words.pop() else {
            return Ok(Found {
                total: 0,
                hits: Vec::new(),
            });
        };
        let f = self.fields;
        let mut all: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| -> (Occur, Box<dyn Query>) {
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        tantivy::Term::from_field_text(f.label_words, w),
                        IndexRecordOption::WithFreqs,
                    )),
                )
            })
            .collect();
        let mut pattern = String::new();
        for c in last.chars() {
            if c.is_alphanumeric() {
                pattern.push(c);
            } else {
                pattern.push('\\');
                pattern.push(c);
            }
        }
        pattern.push_str(".*");
        all.push((
            Occur::Must,
            Box::new(
                tantivy::query::RegexQuery::from_pattern(&pattern, f.label_words)
                    .map_err(index_error)?,
            ),
        ));
        all.extend(self.filters(request));
        self.run(
            &searcher,
            &tokenizers,
            Box::new(BooleanQuery::new(all)),
            request,
            text,
        )
    }

    /// Whether the document of `iri` links to `target` (or to something in it).
    pub fn links_to(&self, iri: &str, target: &NamedNode) -> Result<bool> {
        let f = self.fields;
        let term = |field, t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                tantivy::Term::from_field_text(field, t),
                IndexRecordOption::Basic,
            ))
        };
        let query = BooleanQuery::new(vec![
            (Occur::Must, term(f.iri, iri)),
            (Occur::Must, term(f.links, target.as_str())),
        ]);
        Ok(self
            .reading()?
            .0
            .search(&query, &Count)
            .map_err(index_error)?
            > 0)
    }

    fn run(
        &self,
        searcher: &Searcher,
        tokenizers: &tantivy::tokenizer::TokenizerManager,
        query: Box<dyn Query>,
        request: &Request,
        text: &str,
    ) -> Result<Found> {
        let limit = request.limit.max(1);
        let (top, total) = searcher
            .search(
                &query,
                &(
                    TopDocs::with_limit(limit)
                        .and_offset(request.offset)
                        .order_by_score(),
                    Count,
                ),
            )
            .map_err(index_error)?;
        let f = self.fields;
        let snippets = |field| {
            SnippetGenerator::create(searcher, &*query, field).map(|mut g| {
                g.set_max_num_chars(180);
                g
            })
        };
        let (french, english) = (
            snippets(f.text_fr).map_err(index_error)?,
            snippets(f.text_en).map_err(index_error)?,
        );
        let folded = analysis::terms(tokenizers, analysis::FOLDED, text).join(" ");
        let code = analysis::terms(tokenizers, analysis::CODE, text).join(" ");
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(index_error)?;
            let first = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            };
            let all = |field| -> Vec<String> {
                doc.get_all(field)
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            };
            let english_first = request.language.as_deref() == Some("en");
            let (label, language) = match first(f.label_en) {
                en if english_first && !en.is_empty() => (en, "en".to_owned()),
                _ => (first(f.label), first(f.label_lang)),
            };
            let snippet = {
                let (a, b) = if english_first {
                    (&english, &french)
                } else {
                    (&french, &english)
                };
                let s = a.snippet_from_doc(&doc);
                if s.highlighted().is_empty() {
                    let other = b.snippet_from_doc(&doc);
                    if other.highlighted().is_empty() {
                        query::highlight(&s)
                    } else {
                        query::highlight(&other)
                    }
                } else {
                    query::highlight(&s)
                }
            };
            let exact = all(f.label)
                .iter()
                .chain(&all(f.label_en))
                .any(|l| analysis::terms(tokenizers, analysis::FOLDED, l).join(" ") == folded)
                || self.has_code(searcher, address, &code)?;
            hits.push(Hit {
                iri: first(f.iri),
                label,
                language,
                types: all(f.types),
                score,
                snippet,
                exact,
            });
        }
        Ok(Found { total, hits })
    }

    fn has_code(
        &self,
        searcher: &Searcher,
        address: tantivy::DocAddress,
        code: &str,
    ) -> Result<bool> {
        if code.is_empty() {
            return Ok(false);
        }
        let term = tantivy::Term::from_field_text(self.fields.code, code);
        let segment = searcher.segment_reader(address.segment_ord);
        let inverted = segment
            .inverted_index(self.fields.code)
            .map_err(index_error)?;
        let Some(mut postings) = inverted
            .read_postings(&term, IndexRecordOption::Basic)
            .map_err(index_error)?
        else {
            return Ok(false);
        };
        Ok(postings.seek(address.doc_id) == address.doc_id)
    }
}

fn index_error(e: impl std::fmt::Display) -> Error {
    Error::Store {
        path: PathBuf::from(FOLDER),
        message: format!("text index: {e}"),
    }
}
