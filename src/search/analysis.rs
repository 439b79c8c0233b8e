//! The fields of the text index and how their texts are cut into terms.
//!
//! - `fr`: French texts (and texts with no language tag): lower case, the French stop
//!   words of Snowball (with the elided `l`, `d`, `qu`…: the tokenizer splits on the
//!   apostrophe, straight or typographic), the French Snowball stemmer, then accents
//!   folded (stemming reads the accents, so it comes first): "îlots" and "ilot" are one
//!   term, so are "mobilités" and "mobilité", "l'énergie" and "énergie".
//! - `en`: English texts, the same with English rules.
//! - `folded`: every text, lower case and accents folded, nothing removed: exact words.
//! - `code`: identifiers (INSEE and SIREN codes, QPV codes, SDG notations) whole, lower
//!   case and folded.

use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TokenizerManager,
};

/// The fields of a document: one per resource the store describes.
#[derive(Clone, Copy)]
pub struct Fields {
    /// The resource's IRI (a term, stored).
    pub iri: Field,
    /// `data`, `ontology` or `shapes`: what part of the store describes it.
    pub kind: Field,
    /// Its classes and their superclasses (terms, stored).
    pub types: Field,
    /// The IRIs it links to, and what those are in (`skos:broader`,
    /// `schema:containedInPlace`, transitively): the filters by theme, territory, goal.
    pub links: Field,
    /// Its identifiers, whole.
    pub code: Field,
    /// Its labels, as French words (every language): a label match weighs more.
    pub name: Field,
    /// Its labels, as words folded (every language): what suggestions complete.
    pub label_words: Field,
    /// Its texts, by language, stored for the snippets.
    pub text_fr: Field,
    pub text_en: Field,
    /// Every text, as words.
    pub folded: Field,
    /// The label to show (French, else none, else English, else any) and its language;
    /// the English label.
    pub label: Field,
    pub label_lang: Field,
    pub label_en: Field,
}

pub const FR: &str = "labgraph_fr";
pub const EN: &str = "labgraph_en";
pub const FOLDED: &str = "labgraph_folded";
pub const CODE: &str = "labgraph_code";

/// Words longer than this are not indexed (a URL, a hash).
const LONGEST_WORD: usize = 60;

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { options | STORED } else { options }
}

/// The schema of the index, and its fields.
pub fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        iri: builder.add_text_field("iri", STRING | STORED),
        kind: builder.add_text_field("kind", STRING),
        types: builder.add_text_field("type", STRING | STORED),
        links: builder.add_text_field("link", STRING),
        code: builder.add_text_field("code", text(CODE, false)),
        name: builder.add_text_field("name", text(FR, false)),
        label_words: builder.add_text_field("label_words", text(FOLDED, false)),
        text_fr: builder.add_text_field("text_fr", text(FR, true)),
        text_en: builder.add_text_field("text_en", text(EN, true)),
        folded: builder.add_text_field("folded", text(FOLDED, false)),
        label: builder.add_text_field("label", STORED),
        label_lang: builder.add_text_field("label_lang", STORED),
        label_en: builder.add_text_field("label_en", STORED),
    };
    (builder.build(), fields)
}

fn language(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(StopWordFilter::new(language).expect("tantivy has stop words for it"))
        .filter(Stemmer::new(language))
        .filter(AsciiFoldingFilter)
        .build()
}

/// The analyzers the fields name, registered on an index.
pub fn register(tokenizers: &TokenizerManager) {
    tokenizers.register(FR, language(Language::French));
    tokenizers.register(EN, language(Language::English));
    tokenizers.register(
        FOLDED,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(LONGEST_WORD))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    tokenizers.register(
        CODE,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
}

/// The terms `analyzer` makes of `text`.
pub fn terms(tokenizers: &TokenizerManager, analyzer: &str, text: &str) -> Vec<String> {
    let Some(mut analyzer) = tokenizers.get(analyzer) else {
        return Vec::new();
    };
    let mut stream = analyzer.token_stream(text);
    let mut terms = Vec::new();
    while stream.advance() {
        terms.push(stream.token().text.clone());
    }
    terms
}
