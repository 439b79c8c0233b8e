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
pub mod service;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{SimpleTokenizer, TokenStream, Tokenizer};
use tantivy::{DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument};

pub use document::Kind;

use crate::error::{Error, Result};
use crate::store::{Change, GraphStore, Observer};
use analysis::Fields;

/// The folder of the index in the store's folder.
pub const FOLDER: &str = "labgraph-search";

/// What the payload of a commit starts with: the index's layout, then the generation.
const LAYOUT: &str = "labgraph-search 1";

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
    inner: Mutex<Inner>,
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

    fn open(store: &GraphStore) -> Result<Self> {
        let (_, fields) = analysis::schema();
        let folder = store.folder().map(|f| f.join(FOLDER));
        let wanted = payload(store)?;
        let inner = match &folder {
            Some(dir) => match reopen(dir, &wanted) {
                Some(inner) => inner,
                None => {
                    let started = std::time::Instant::now();
                    tracing::info!("text index: building it ({})", dir.display());
                    let inner = rebuild_in(store, fields, dir, &wanted)?;
                    tracing::info!("text index: built in {:.1?}", started.elapsed());
                    inner
                }
            },
            None => build(store, fields, None, &wanted)?,
        };
        Ok(Self {
            folder,
            fields,
            inner: Mutex::new(inner),
        })
    }

    /// Builds the index again from the store; returns how many resources it holds.
    pub fn rebuild(&self, store: &GraphStore) -> Result<u64> {
        let wanted = payload(store)?;
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = match &self.folder {
            Some(dir) => {
                // The writer's lock is released before the folder is replaced.
                let placeholder = open_inner(Index::create_in_ram(analysis::schema().0))?;
                drop(std::mem::replace(&mut *inner, placeholder));
                rebuild_in(store, self.fields, dir, &wanted)?
            }
            None => build(store, self.fields, None, &wanted)?,
        };
        *inner = fresh;
        Ok(inner.reader.searcher().num_docs())
    }

    /// The store generation the index reflects.
    pub fn generation(&self) -> Result<Option<String>> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let metas = inner.index.load_metas().map_err(index_error)?;
        Ok(metas
            .payload
            .and_then(|p| p.strip_prefix(LAYOUT).map(|g| g.trim().to_owned()))
            .filter(|g| !g.is_empty()))
    }

    /// How many resources the index holds.
    pub fn len(&self) -> u64 {
        self.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn searcher(&self) -> Searcher {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reader
            .searcher()
    }

    fn tokenizers(&self) -> tantivy::tokenizer::TokenizerManager {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .index
            .tokenizers()
            .clone()
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
        let searcher = self.searcher();
        let tokenizers = self.tokenizers();
        let query = self.query(&tokenizers, request, text)?;
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
            SnippetGenerator::create(&searcher, &*query, field).map(|mut g| {
                g.set_max_num_chars(180);
                g
            })
        };
        let (french, english) = (
            snippets(f.text_fr).map_err(index_error)?,
            snippets(f.text_en).map_err(index_error)?,
        );
        let folded = analysis::terms(&tokenizers, analysis::FOLDED, text).join(" ");
        let code = analysis::terms(&tokenizers, analysis::CODE, text).join(" ");
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
                        highlight(&s)
                    } else {
                        highlight(&other)
                    }
                } else {
                    highlight(&s)
                }
            };
            let exact = all(f.label)
                .iter()
                .chain(&all(f.label_en))
                .any(|l| analysis::terms(&tokenizers, analysis::FOLDED, l).join(" ") == folded)
                || self.has_code(&searcher, address, &code)?;
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

    fn query(
        &self,
        tokenizers: &tantivy::tokenizer::TokenizerManager,
        request: &Request,
        text: &str,
    ) -> Result<Box<dyn Query>> {
        let f = self.fields;
        let term = |field, t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                tantivy::Term::from_field_text(field, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        let boosted =
            |q: Box<dyn Query>, by: f32| -> Box<dyn Query> { Box::new(BoostQuery::new(q, by)) };
        let french = request.language.as_deref() != Some("en");
        let english = request.language.as_deref() != Some("fr");
        // The words as typed: each is looked up in every field, through its analyzer.
        let mut words = Vec::new();
        let mut tokenizer = SimpleTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        while stream.advance() && words.len() < MOST_WORDS {
            words.push(stream.token().text.clone());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>, bool)> = Vec::new();
        for word in &words {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            let mut stop = true;
            for t in analysis::terms(tokenizers, analysis::FR, word) {
                stop = false;
                any.push((Occur::Should, boosted(term(f.name, &t), 3.0)));
                if french {
                    any.push((Occur::Should, term(f.text_fr, &t)));
                }
            }
            if english {
                for t in analysis::terms(tokenizers, analysis::EN, word) {
                    stop = false;
                    any.push((Occur::Should, term(f.text_en, &t)));
                }
            }
            for t in analysis::terms(tokenizers, analysis::FOLDED, word) {
                any.push((Occur::Should, boosted(term(f.folded, &t), 0.5)));
            }
            if !any.is_empty() {
                clauses.push((Occur::Should, Box::new(BooleanQuery::new(any)), stop));
            }
        }
        // Every word but stop words, for a search; stop words alone are all wanted.
        let only_stop_words = clauses.iter().all(|(_, _, stop)| *stop);
        let words: Vec<(Occur, Box<dyn Query>)> = clauses
            .into_iter()
            .map(|(_, q, stop)| {
                let must = request.every_word && (!stop || only_stop_words);
                (if must { Occur::Must } else { Occur::Should }, q)
            })
            .collect();
        let mut matching: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !words.is_empty() {
            matching.push((Occur::Should, Box::new(BooleanQuery::new(words))));
        }
        for t in analysis::terms(tokenizers, analysis::CODE, text) {
            matching.push((Occur::Should, boosted(term(f.code, &t), 5.0)));
        }
        let mut all: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(matching)))];
        let any_of = |field, values: Vec<String>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                values
                    .iter()
                    .map(|v| (Occur::Should, term(field, v)))
                    .collect(),
            ))
        };
        if !request.types.is_empty() {
            all.push((
                Occur::Must,
                any_of(
                    f.types,
                    request
                        .types
                        .iter()
                        .map(|t| t.as_str().to_owned())
                        .collect(),
                ),
            ));
        }
        for group in &request.within {
            all.push((
                Occur::Must,
                any_of(
                    f.links,
                    group.iter().map(|t| t.as_str().to_owned()).collect(),
                ),
            ));
        }
        let kinds = if request.kinds.is_empty() {
            vec![Kind::Data]
        } else {
            request.kinds.clone()
        };
        all.push((
            Occur::Must,
            any_of(
                f.kind,
                kinds.iter().map(|k| k.as_str().to_owned()).collect(),
            ),
        ));
        Ok(Box::new(BooleanQuery::new(all)))
    }

    /// Indexes again the resources a write touched.
    fn follow(&self, store: &GraphStore, change: &Change) -> Result<()> {
        let wanted = payload(store)?;
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Inner { writer, reader, .. } = &mut *inner;
        let mut documents = document::Reader::new(store, self.fields);
        if change.added.is_empty() && change.removed.is_empty() && !change.is_empty() {
            // A bulk load names its graphs, not its quads: everything again.
            writer.delete_all_documents().map_err(index_error)?;
            for subject in store.subjects() {
                if let Some(doc) = documents.document(&subject?)? {
                    writer.add_document(doc).map_err(index_error)?;
                }
            }
        } else {
            for subject in touched(store, change)? {
                writer.delete_term(tantivy::Term::from_field_text(
                    self.fields.iri,
                    subject.as_str(),
                ));
                if let Some(doc) = documents.document(&subject)? {
                    writer.add_document(doc).map_err(index_error)?;
                }
            }
        }
        let mut prepared = writer.prepare_commit().map_err(index_error)?;
        prepared.set_payload(&wanted);
        prepared.commit().map_err(index_error)?;
        reader.reload().map_err(index_error)?;
        Ok(())
    }
}

impl Observer for TextIndex {
    fn committed(&self, store: &GraphStore, change: &Change) {
        if let Err(e) = self.follow(store, change) {
            // The payload still names the generation before: the next start rebuilds.
            tracing::error!(
                "text index: the write could not be followed ({e}); it will be rebuilt when the store is next opened, or by `labgraph index`"
            );
        }
    }
}

/// A snippet as HTML: its text escaped, the matched words in `<b>`.
fn highlight(snippet: &tantivy::snippet::Snippet) -> String {
    let text = snippet.fragment();
    let mut html = String::with_capacity(text.len() + 16);
    let mut at = 0;
    let escape = |html: &mut String, part: &str| {
        for c in part.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#x27;"),
                c => html.push(c),
            }
        }
    };
    for range in snippet.highlighted() {
        if range.start < at || range.end > text.len() {
            continue;
        }
        escape(&mut html, &text[at..range.start]);
        html.push_str("<b>");
        escape(&mut html, &text[range.clone()]);
        html.push_str("</b>");
        at = range.end;
    }
    escape(&mut html, &text[at..]);
    html
}

/// The IRIs whose documents a write changed: the subjects of the quads it added or
/// removed, and for a blank node, the IRIs that reach it.
fn touched(store: &GraphStore, change: &Change) -> Result<Vec<NamedNode>> {
    let mut found = std::collections::BTreeSet::new();
    let mut blank: Vec<(NamedOrBlankNode, usize)> = Vec::new();
    for quad in change.added.iter().chain(&change.removed) {
        match &quad.subject {
            NamedOrBlankNode::NamedNode(n) => {
                found.insert(n.clone());
            }
            b @ NamedOrBlankNode::BlankNode(_) => blank.push((b.clone(), 0)),
        }
    }
    let mut seen = std::collections::HashSet::new();
    while let Some((node, depth)) = blank.pop() {
        if depth > 8 || !seen.insert(node.clone()) {
            continue;
        }
        // Parents in the store as it is, and in what the write removed.
        let removed = change.removed.iter().filter(|q| match &q.object {
            Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b.clone()) == node,
            _ => false,
        });
        let parents = store
            .parents(&node)?
            .into_iter()
            .chain(removed.map(|q| q.subject.clone()));
        for parent in parents {
            match parent {
                NamedOrBlankNode::NamedNode(n) => {
                    found.insert(n);
                }
                b => blank.push((b, depth + 1)),
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// The payload of a commit that reflects the store as it is.
fn payload(store: &GraphStore) -> Result<String> {
    Ok(format!(
        "{LAYOUT} {}",
        store.generation()?.unwrap_or_default()
    ))
}

/// The index in `dir`, if it is one of this layout and reflects `wanted`.
fn reopen(dir: &Path, wanted: &str) -> Option<Inner> {
    let index = Index::open_in_dir(dir).ok()?;
    let metas = index.load_metas().ok()?;
    if metas.payload.as_deref() != Some(wanted) {
        tracing::info!(
            "text index: it reflects {:?}, the store is at {wanted:?}: rebuilding",
            metas.payload
        );
        return None;
    }
    analysis::register(index.tokenizers());
    open_inner(index).ok()
}

/// Builds the index of `store` in `dir` (in a folder beside it, renamed over it once
/// complete, so that an interrupted build leaves the previous one).
fn rebuild_in(store: &GraphStore, fields: Fields, dir: &Path, wanted: &str) -> Result<Inner> {
    let fresh = dir.with_extension("new");
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh).map_err(|e| Error::Store {
        path: fresh.clone(),
        message: e.to_string(),
    })?;
    drop(build(store, fields, Some(&fresh), wanted)?);
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&fresh, dir).map_err(|e| Error::Store {
        path: dir.to_owned(),
        message: e.to_string(),
    })?;
    let index = Index::open_in_dir(dir).map_err(index_error)?;
    analysis::register(index.tokenizers());
    open_inner(index)
}

/// An index of every resource of the store, in `dir` or in memory.
fn build(store: &GraphStore, fields: Fields, dir: Option<&Path>, wanted: &str) -> Result<Inner> {
    let (schema, _) = analysis::schema();
    let index = match dir {
        Some(dir) => Index::create_in_dir(dir, schema).map_err(index_error)?,
        None => Index::create_in_ram(schema),
    };
    analysis::register(index.tokenizers());
    let mut writer: IndexWriter = index
        .writer_with_num_threads(2, 2 * WRITER_MEMORY)
        .map_err(index_error)?;
    let mut documents = document::Reader::new(store, fields);
    for subject in store.subjects() {
        if let Some(doc) = documents.document(&subject?)? {
            writer.add_document(doc).map_err(index_error)?;
        }
    }
    let mut prepared = writer.prepare_commit().map_err(index_error)?;
    prepared.set_payload(wanted);
    prepared.commit().map_err(index_error)?;
    writer.wait_merging_threads().map_err(index_error)?;
    open_inner(index)
}

fn open_inner(index: Index) -> Result<Inner> {
    let writer = index
        .writer_with_num_threads(1, WRITER_MEMORY)
        .map_err(index_error)?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(index_error)?;
    Ok(Inner {
        index,
        writer,
        reader,
    })
}

fn index_error(e: impl std::fmt::Display) -> Error {
    Error::Store {
        path: PathBuf::from(FOLDER),
        message: format!("text index: {e}"),
    }
}
