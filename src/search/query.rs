//! The tantivy query of a search: each word looked up in every field through that
//! field's analyzer, labels weighing more, stop words not required, identifiers whole;
//! then the filters (classes, links, kinds). And the snippets as escaped HTML.

use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{SimpleTokenizer, TokenStream, Tokenizer};

use super::{Kind, MOST_WORDS, Request, TextIndex, analysis};
use crate::error::Result;

impl TextIndex {
    pub(super) fn query(
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
        all.extend(self.filters(request));
        Ok(Box::new(BooleanQuery::new(all)))
    }

    /// The clauses of the filters of `request`: classes, links, kinds.
    pub(super) fn filters(&self, request: &Request) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields;
        let term = |field, t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                tantivy::Term::from_field_text(field, t),
                IndexRecordOption::Basic,
            ))
        };
        let mut all: Vec<(Occur, Box<dyn Query>)> = Vec::new();
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
        all
    }
}

/// A snippet as HTML: its text escaped, the matched words in `<b>`.
pub(super) fn highlight(snippet: &tantivy::snippet::Snippet) -> String {
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
