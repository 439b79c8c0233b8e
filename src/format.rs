//! File extensions and format names: the one place that maps them to Oxigraph's RDF and
//! SPARQL results formats.

use std::path::Path;

use oxigraph::io::{JsonLdProfileSet, RdfFormat};
use oxigraph::sparql::results::QueryResultsFormat;

use crate::error::{Error, Result};

/// An RDF serialization labgraph reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Rdf {
    Turtle,
    Trig,
    #[value(name = "ntriples", alias = "nt")]
    NTriples,
    #[value(name = "nquads", alias = "nq")]
    NQuads,
    #[value(name = "rdfxml", alias = "xml")]
    RdfXml,
    #[value(name = "jsonld", alias = "json")]
    JsonLd,
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

    /// The format named by a file's extension (`.ttl`, `.trig`, `.nt`, `.nq`, `.rdf`,
    /// `.owl`, `.xml`, `.jsonld`, `.json`).
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match extension.as_str() {
            "ttl" | "turtle" => Rdf::Turtle,
            "trig" => Rdf::Trig,
            "nt" | "ntriples" => Rdf::NTriples,
            "nq" | "nquads" => Rdf::NQuads,
            "rdf" | "owl" | "xml" => Rdf::RdfXml,
            "jsonld" | "json" => Rdf::JsonLd,
            _ => return None,
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
