//! Content negotiation: the `Accept` header with its q-values, `type/*` and `*/*`, or an
//! explicit `format` parameter, against the media types a response can take.

use axum::http::{HeaderMap, header};
use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::QueryResultsFormat;

use crate::format::{self, Kind, Rdf, Syntax};

/// What a response can be written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repr {
    Results(QueryResultsFormat),
    Graph(RdfFormat),
    Html,
}

impl Repr {
    /// Its row of the table of formats (none for HTML, or a format labgraph does not
    /// offer).
    fn syntax(self) -> Option<&'static Syntax> {
        match self {
            Repr::Results(format) => format::SYNTAXES
                .iter()
                .find(|s| s.kind == Kind::Results(format)),
            Repr::Graph(format) => Rdf::of(format).map(Rdf::syntax),
            Repr::Html => None,
        }
    }

    /// The media type sent in `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match (self, self.syntax()) {
            (_, Some(syntax)) => syntax.content_type,
            (Repr::Results(other), None) => other.media_type(),
            (Repr::Graph(other), None) => other.media_type(),
            (Repr::Html, None) => "text/html; charset=utf-8",
        }
    }

    /// Media types (and aliases clients send) that name this representation.
    fn names(self) -> &'static [&'static str] {
        match (self, self.syntax()) {
            (_, Some(syntax)) => syntax.media_types,
            (Repr::Html, None) => &["text/html", "application/xhtml+xml"],
            _ => &[],
        }
    }

    /// Short names accepted by the `format` parameter.
    fn short_names(self) -> &'static [&'static str] {
        match (self, self.syntax()) {
            (_, Some(syntax)) => syntax.names,
            (Repr::Html, None) => &["html"],
            _ => &[],
        }
    }

    /// The file extension of download links.
    pub fn extension(self) -> &'static str {
        self.short_names().first().copied().unwrap_or("txt")
    }
}

/// Solutions and booleans: SPARQL JSON first (the default for `*/*`).
pub const RESULTS: &[Repr] = &[
    Repr::Results(QueryResultsFormat::Json),
    Repr::Results(QueryResultsFormat::Xml),
    Repr::Results(QueryResultsFormat::Csv),
    Repr::Results(QueryResultsFormat::Tsv),
];

/// Graphs: Turtle first.
pub fn graphs() -> [Repr; 6] {
    [
        Repr::Graph(RdfFormat::Turtle),
        Repr::Graph(RdfFormat::NTriples),
        Repr::Graph(RdfFormat::RdfXml),
        Repr::Graph(Rdf::JsonLd.oxigraph()),
        Repr::Graph(RdfFormat::NQuads),
        Repr::Graph(RdfFormat::TriG),
    ]
}

/// Whole datasets: N-Quads first.
pub fn datasets() -> [Repr; 3] {
    [
        Repr::Graph(RdfFormat::NQuads),
        Repr::Graph(RdfFormat::TriG),
        Repr::Graph(Rdf::JsonLd.oxigraph()),
    ]
}

/// The representation a request gets: the `format` parameter when it names a format (a
/// short name or a media type), else the best match of `Accept` (absent means `*/*`).
/// `None` means nothing offered fits: 406.
pub fn choose(offered: &[Repr], accept: Option<&str>, format: Option<&str>) -> Option<Repr> {
    if let Some(format) = format {
        let format = format.trim().to_ascii_lowercase();
        let names = |r: &Repr| {
            r.short_names().contains(&format.as_str())
                || r.names().contains(&essence(&format).as_str())
        };
        let known = RESULTS.iter().chain(graphs().iter()).any(names);
        // A format this server knows decides; an unknown value is left to Accept.
        if known {
            return offered.iter().copied().find(names);
        }
    }
    let accept = accept.unwrap_or("*/*");
    let ranges = parse_accept(accept);
    // For each offer, the q of the most specific range that matches it; the best offer
    // wins, ties going to the server's order of preference.
    let mut best: Option<(f32, usize, Repr)> = None;
    for (rank, repr) in offered.iter().copied().enumerate() {
        let mut matched: Option<(u8, f32)> = None;
        for range in &ranges {
            if let Some(specificity) = range.matches(repr)
                && matched
                    .is_none_or(|(s, mq)| specificity > s || (specificity == s && range.q > mq))
            {
                matched = Some((specificity, range.q));
            }
        }
        if let Some((_, q)) = matched
            && q > 0.0
            && best.is_none_or(|(bq, brank, _)| q > bq || (q == bq && rank < brank))
        {
            best = Some((q, rank, repr));
        }
    }
    best.map(|(_, _, r)| r)
}

/// Whether `Accept` ranks HTML above the formats of data (a browser navigating).
pub fn prefers_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return false };
    let mut offered = vec![Repr::Html];
    offered.extend_from_slice(RESULTS);
    // A browser sends text/html explicitly; `*/*` alone is a program.
    parse_accept(accept)
        .iter()
        .any(|r| r.essence == "text/html" && r.q > 0.0)
        && choose(&offered, Some(accept), None) == Some(Repr::Html)
}

struct Range {
    essence: String,
    q: f32,
}

impl Range {
    /// How specifically this range names the representation (4 its own media type, 3 an
    /// alias such as `application/xml`, 2 `type/*`, 1 `*/*`), or `None`.
    fn matches(&self, repr: Repr) -> Option<u8> {
        let own = repr.media_type().split(';').next().unwrap_or_default();
        if own.trim() == self.essence {
            return Some(4);
        }
        if self.essence == "*/*" {
            return Some(1);
        }
        if let Some(kind) = self.essence.strip_suffix("/*") {
            return repr
                .names()
                .iter()
                .any(|n| n.split('/').next() == Some(kind))
                .then_some(2);
        }
        repr.names().contains(&self.essence.as_str()).then_some(3)
    }
}

fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn parse_accept(accept: &str) -> Vec<Range> {
    accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let essence = parts.next()?.trim().to_ascii_lowercase();
            if essence.is_empty() || !essence.contains('/') {
                return None;
            }
            let mut q = 1.0;
            for param in parts {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = v.trim().parse::<f32>().ok()?.clamp(0.0, 1.0);
                }
            }
            Some(Range { essence, q })
        })
        .collect()
}

/// The `Accept` header of a request, if it is text.
pub(super) fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

/// The RDF format of a request body's `Content-Type`, for the Graph Store Protocol: a
/// graph format (the protocol sends graphs, not datasets).
pub fn rdf_content_type(content_type: &str) -> Option<RdfFormat> {
    let essence = essence(content_type);
    // Generic JSON and XML are not taken for RDF in a body: it says which RDF it is.
    format::SYNTAXES.iter().find_map(|s| match s.kind {
        Kind::Rdf(rdf) if !rdf.is_dataset() || rdf == Rdf::JsonLd => s
            .media_types
            .iter()
            .any(|m| *m == essence && *m != "application/json" && *m != "application/xml")
            .then(|| rdf.oxigraph()),
        _ => None,
    })
}

/// The essence of a `Content-Type` (`application/sparql-query; charset=utf-8` →
/// `application/sparql-query`).
pub fn content_essence(content_type: &str) -> String {
    essence(content_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_with_q_values() {
        let json = Repr::Results(QueryResultsFormat::Json);
        let xml = Repr::Results(QueryResultsFormat::Xml);
        let csv = Repr::Results(QueryResultsFormat::Csv);
        assert_eq!(choose(RESULTS, None, None), Some(json));
        assert_eq!(choose(RESULTS, Some("*/*"), None), Some(json));
        assert_eq!(
            choose(RESULTS, Some("application/sparql-results+xml"), None),
            Some(xml)
        );
        assert_eq!(
            choose(
                RESULTS,
                Some("text/csv;q=0.9, application/sparql-results+xml;q=0.5"),
                None
            ),
            Some(csv)
        );
        // The most specific range decides: text/* at 1, text/csv refused.
        assert_eq!(
            choose(RESULTS, Some("text/*, text/csv;q=0"), None),
            Some(Repr::Results(QueryResultsFormat::Tsv))
        );
        assert_eq!(choose(RESULTS, Some("image/png"), None), None);
        assert_eq!(choose(RESULTS, Some("text/turtle"), None), None);
        // A format's own media type outranks its alias, in any order.
        for accept in [
            "application/xml;q=0, application/sparql-results+xml",
            "application/sparql-results+xml, application/xml;q=0",
        ] {
            assert_eq!(choose(RESULTS, Some(accept), None), Some(xml), "{accept}");
        }
        assert_eq!(
            choose(
                RESULTS,
                Some("application/sparql-results+xml;q=0, application/xml"),
                None
            ),
            None
        );
        assert_eq!(choose(RESULTS, Some("image/png"), Some("csv")), Some(csv));
        assert_eq!(choose(RESULTS, None, Some("text/csv")), Some(csv));
        assert_eq!(choose(RESULTS, None, Some("turtle")), None);
        assert_eq!(
            choose(RESULTS, Some("text/csv"), Some("unheard-of")),
            Some(csv)
        );
        let g = graphs();
        assert_eq!(choose(&g, None, None), Some(Repr::Graph(RdfFormat::Turtle)));
        assert_eq!(
            choose(&g, Some("application/ld+json"), None),
            Some(Repr::Graph(Rdf::JsonLd.oxigraph()))
        );
        assert_eq!(
            choose(&g, None, Some("json")),
            Some(Repr::Graph(Rdf::JsonLd.oxigraph()))
        );
    }

    #[test]
    fn browsers_prefer_html() {
        assert!(prefers_html(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!prefers_html(Some("*/*")));
        assert!(!prefers_html(Some("application/sparql-results+json")));
        assert!(!prefers_html(None));
    }

    #[test]
    fn body_formats() {
        assert_eq!(
            rdf_content_type("text/turtle; charset=utf-8"),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(
            rdf_content_type("application/n-triples"),
            Some(RdfFormat::NTriples)
        );
        assert_eq!(
            rdf_content_type("application/rdf+xml"),
            Some(RdfFormat::RdfXml)
        );
        assert!(matches!(
            rdf_content_type("application/ld+json"),
            Some(RdfFormat::JsonLd { .. })
        ));
        assert_eq!(rdf_content_type("application/pdf"), None);
    }
}
