//! Formats: the one table of every serialization labgraph reads or writes — the names it
//! goes by (`--format`, the `format` parameter), its file extensions, its media types and
//! its W3C format URI — which the command line, content negotiation, the Graph Store
//! Protocol and the Service Description all read.

use std::path::Path;

use clap::builder::PossibleValue;
use oxigraph::io::{JsonLdProfileSet, RdfFormat};
use oxigraph::sparql::results::QueryResultsFormat;

use crate::error::{Error, Result};

/// An RDF serialization labgraph reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rdf {
    Turtle,
    Trig,
    NTriples,
    NQuads,
    RdfXml,
    JsonLd,
}

/// What a serialization writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rdf(Rdf),
    Results(QueryResultsFormat),
}

/// A row of the table of formats.
pub struct Syntax {
    pub kind: Kind,
    /// Its short names, the first the one `--format` shows.
    pub names: &'static [&'static str],
    /// The extensions of its files (lowercase, without the dot).
    pub extensions: &'static [&'static str],
    /// The media types that name it, the first the standard one.
    pub media_types: &'static [&'static str],
    /// What `Content-Type` says of a response in it.
    pub content_type: &'static str,
    /// Its name in the W3C's format URIs (<http://www.w3.org/ns/formats/>).
    pub w3c: &'static str,
}

/// Every serialization: the RDF syntaxes, then the SPARQL results formats.
pub static SYNTAXES: &[Syntax] = &[
    Syntax {
        kind: Kind::Rdf(Rdf::Turtle),
        names: &["turtle", "ttl"],
        extensions: &["ttl", "turtle"],
        media_types: &["text/turtle", "application/x-turtle"],
        content_type: "text/turtle; charset=utf-8",
        w3c: "Turtle",
    },
    Syntax {
        kind: Kind::Rdf(Rdf::Trig),
        names: &["trig"],
        extensions: &["trig"],
        media_types: &["application/trig", "application/x-trig"],
        content_type: "application/trig",
        w3c: "TriG",
    },
    Syntax {
        kind: Kind::Rdf(Rdf::NTriples),
        names: &["ntriples", "nt", "n-triples"],
        extensions: &["nt", "ntriples"],
        media_types: &["application/n-triples", "text/plain"],
        content_type: "application/n-triples",
        w3c: "N-Triples",
    },
    Syntax {
        kind: Kind::Rdf(Rdf::NQuads),
        names: &["nquads", "nq", "n-quads"],
        extensions: &["nq", "nquads"],
        media_types: &["application/n-quads", "text/x-nquads"],
        content_type: "application/n-quads",
        w3c: "N-Quads",
    },
    Syntax {
        kind: Kind::Rdf(Rdf::RdfXml),
        names: &["rdfxml", "xml", "rdf", "rdf+xml"],
        extensions: &["rdf", "owl", "xml"],
        media_types: &["application/rdf+xml", "application/xml"],
        content_type: "application/rdf+xml",
        w3c: "RDF_XML",
    },
    Syntax {
        kind: Kind::Rdf(Rdf::JsonLd),
        names: &["jsonld", "json", "json-ld"],
        extensions: &["jsonld", "json"],
        media_types: &["application/ld+json", "application/json"],
        content_type: "application/ld+json",
        w3c: "JSON-LD",
    },
    Syntax {
        kind: Kind::Results(QueryResultsFormat::Json),
        names: &["json", "srj"],
        extensions: &["srj", "json"],
        media_types: &["application/sparql-results+json", "application/json"],
        content_type: "application/sparql-results+json",
        w3c: "SPARQL_Results_JSON",
    },
    Syntax {
        kind: Kind::Results(QueryResultsFormat::Xml),
        names: &["xml", "srx"],
        extensions: &["srx", "xml"],
        media_types: &["application/sparql-results+xml", "application/xml"],
        content_type: "application/sparql-results+xml",
        w3c: "SPARQL_Results_XML",
    },
    Syntax {
        kind: Kind::Results(QueryResultsFormat::Csv),
        names: &["csv"],
        extensions: &["csv"],
        media_types: &["text/csv"],
        content_type: "text/csv; charset=utf-8",
        w3c: "SPARQL_Results_CSV",
    },
    Syntax {
        kind: Kind::Results(QueryResultsFormat::Tsv),
        names: &["tsv"],
        extensions: &["tsv"],
        media_types: &["text/tab-separated-values"],
        content_type: "text/tab-separated-values; charset=utf-8",
        w3c: "SPARQL_Results_TSV",
    },
];

/// The row of a kind of serialization (every kind has one).
pub fn syntax(kind: Kind) -> &'static Syntax {
    SYNTAXES
        .iter()
        .find(|s| s.kind == kind)
        .expect("every serialization has its row")
}

impl Rdf {
    /// Oxigraph's format.
    pub fn oxigraph(self) -> RdfFormat {
        match self {
            Rdf::Turtle => RdfFormat::Turtle,
            Rdf::Trig => RdfFormat::TriG,
            Rdf::NTriples => RdfFormat::NTriples,
            Rdf::NQuads => RdfFormat::NQuads,
            Rdf::RdfXml => RdfFormat::RdfXml,
            Rdf::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
        }
    }

    /// labgraph's name of one of Oxigraph's formats.
    pub fn of(format: RdfFormat) -> Option<Self> {
        Some(match format {
            RdfFormat::Turtle => Rdf::Turtle,
            RdfFormat::TriG => Rdf::Trig,
            RdfFormat::NTriples => Rdf::NTriples,
            RdfFormat::NQuads => Rdf::NQuads,
            RdfFormat::RdfXml => Rdf::RdfXml,
            RdfFormat::JsonLd { .. } => Rdf::JsonLd,
            _ => return None,
        })
    }

    /// Its row of the table.
    pub fn syntax(self) -> &'static Syntax {
        syntax(Kind::Rdf(self))
    }

    /// The format a file's extension names (`.ttl`, `.trig`, `.nt`, `.nq`, `.rdf`,
    /// `.owl`, `.xml`, `.jsonld`, `.json`).
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        SYNTAXES.iter().find_map(|s| match s.kind {
            Kind::Rdf(rdf) if s.extensions.contains(&extension.as_str()) => Some(rdf),
            _ => None,
        })
    }

    /// Whether the format can hold named graphs.
    pub fn is_dataset(self) -> bool {
        matches!(self, Rdf::Trig | Rdf::NQuads | Rdf::JsonLd)
    }

    /// Whether the format is line-based (N-Triples, N-Quads): the bulk loader's formats.
    pub fn is_line_based(self) -> bool {
        matches!(self, Rdf::NTriples | Rdf::NQuads)
    }
}

/// `--format` takes the names of the table.
impl clap::ValueEnum for Rdf {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Rdf::Turtle,
            Rdf::Trig,
            Rdf::NTriples,
            Rdf::NQuads,
            Rdf::RdfXml,
            Rdf::JsonLd,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let names = self.syntax().names;
        Some(PossibleValue::new(names[0]).aliases(names[1..].iter().copied()))
    }
}

/// Picks the RDF format of an output file: the explicit one, else the extension.
pub fn rdf_for(path: &Path, explicit: Option<Rdf>) -> Result<Rdf> {
    explicit.or_else(|| Rdf::from_path(path)).ok_or_else(|| {
        Error::Usage(format!(
            "cannot tell the RDF format of '{}' from its extension; use --format (turtle, trig, ntriples, nquads, rdfxml, jsonld)",
            path.display()
        ))
    })
}

/// How `labgraph query` prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// A readable table (the default for SELECT and ASK).
    Table,
    /// SPARQL 1.1 Query Results JSON.
    Json,
    /// SPARQL 1.1 Query Results CSV.
    Csv,
    /// SPARQL 1.1 Query Results TSV.
    Tsv,
    /// SPARQL Query Results XML.
    Xml,
    /// Turtle (CONSTRUCT and DESCRIBE; the default for them).
    Turtle,
    /// N-Triples (CONSTRUCT and DESCRIBE).
    #[value(name = "ntriples", alias = "nt")]
    NTriples,
    /// RDF/XML (CONSTRUCT and DESCRIBE).
    #[value(name = "rdfxml")]
    RdfXml,
    /// JSON-LD (CONSTRUCT and DESCRIBE).
    #[value(name = "jsonld")]
    JsonLd,
}

/// What a query result is written as, once the kind of result is known.
pub enum Written {
    Table,
    Results(QueryResultsFormat),
    Graph(RdfFormat),
}

impl Output {
    /// The serialization for solutions or booleans.
    pub fn for_solutions(self) -> Result<Written> {
        Ok(match self {
            Output::Table => Written::Table,
            Output::Json => Written::Results(QueryResultsFormat::Json),
            Output::Csv => Written::Results(QueryResultsFormat::Csv),
            Output::Tsv => Written::Results(QueryResultsFormat::Tsv),
            Output::Xml => Written::Results(QueryResultsFormat::Xml),
            other => {
                return Err(Error::Usage(format!(
                    "--format {} is for CONSTRUCT and DESCRIBE queries; a SELECT or ASK query writes table, json, csv, tsv or xml",
                    other.name()
                )));
            }
        })
    }

    /// The serialization for a graph (CONSTRUCT, DESCRIBE).
    pub fn for_graph(self) -> Result<Written> {
        Ok(Written::Graph(match self {
            Output::Turtle | Output::Table => RdfFormat::Turtle,
            Output::NTriples => RdfFormat::NTriples,
            Output::RdfXml | Output::Xml => RdfFormat::RdfXml,
            Output::JsonLd | Output::Json => Rdf::JsonLd.oxigraph(),
            other => {
                return Err(Error::Usage(format!(
                    "--format {} is for SELECT and ASK queries; a CONSTRUCT or DESCRIBE query writes turtle, ntriples, rdfxml or jsonld",
                    other.name()
                )));
            }
        }))
    }

    fn name(self) -> String {
        use clap::ValueEnum as _;
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_name_formats() {
        assert_eq!(Rdf::from_path(Path::new("a/b.TTL")), Some(Rdf::Turtle));
        assert_eq!(Rdf::from_path(Path::new("x.nq")), Some(Rdf::NQuads));
        assert_eq!(Rdf::from_path(Path::new("x.jsonld")), Some(Rdf::JsonLd));
        assert_eq!(Rdf::from_path(Path::new("x.yml")), None);
        assert_eq!(Rdf::from_path(Path::new("x.txt")), None);
        assert!(rdf_for(Path::new("x.txt"), None).is_err());
        assert_eq!(
            rdf_for(Path::new("x.txt"), Some(Rdf::Trig)).unwrap(),
            Rdf::Trig
        );
    }

    #[test]
    fn outputs_fit_their_query_kind() {
        assert!(Output::Csv.for_solutions().is_ok());
        assert!(Output::Csv.for_graph().is_err());
        assert!(Output::Turtle.for_solutions().is_err());
        assert!(matches!(
            Output::Table.for_graph(),
            Ok(Written::Graph(RdfFormat::Turtle))
        ));
    }
}
