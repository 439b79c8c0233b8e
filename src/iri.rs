//! The deployment's base IRI: what instances, named graphs and relative IRIs resolve
//! against. A leaf every layer may use (the store, the pipeline, the pages).

use oxigraph::model::NamedNode;
use oxiri::Iri;

use crate::error::{Error, Result};
use crate::vocab;

/// The deployment's base IRI: instances, named graphs and relative IRIs resolve against it.
#[derive(Debug, Clone)]
pub struct BaseIri(Iri<String>);

impl BaseIri {
    /// Checks that `iri` is absolute and ends with `/` or `#`, so that relative paths
    /// such as `seminar/x` extend it instead of replacing its last segment.
    pub fn parse(iri: &str) -> Result<Self> {
        let parsed = Iri::parse(iri.to_owned()).map_err(|e| Error::Iri {
            iri: iri.to_owned(),
            message: e.to_string(),
        })?;
        if !(iri.ends_with('/') || iri.ends_with('#')) {
            return Err(Error::Usage(format!(
                "the base IRI '{iri}' must end with '/' or '#', so that relative IRIs extend it"
            )));
        }
        Ok(Self(parsed))
    }

    /// The base IRI as a string.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Resolves an absolute or relative IRI reference against the base.
    pub fn resolve(&self, reference: &str) -> Result<NamedNode> {
        let resolved = self.0.resolve(reference).map_err(|e| Error::Iri {
            iri: reference.to_owned(),
            message: e.to_string(),
        })?;
        Ok(NamedNode::new_unchecked(resolved.into_inner()))
    }

    /// The IRI of a resource labgraph mints itself (`graph/imports`, `agent/labgraph`…).
    pub fn local(&self, path: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{path}", self.as_str()))
    }

    /// The named graph of a source file: `<base>graph/<stem>`.
    pub fn graph_for_stem(&self, stem: &str) -> Result<NamedNode> {
        let clean: String = stem
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if clean.is_empty() {
            return Err(Error::Usage(format!(
                "cannot name a graph after '{stem}'; use --graph"
            )));
        }
        self.resolve(&format!("{}{clean}", vocab::local::GRAPH_PREFIX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_iris_extend_the_base() {
        let base = BaseIri::parse("https://example.org/lab/").unwrap();
        assert_eq!(
            base.resolve("seminar/x").unwrap().as_str(),
            "https://example.org/lab/seminar/x"
        );
        assert_eq!(
            base.resolve("http://schema.org/name").unwrap().as_str(),
            "http://schema.org/name"
        );
        assert_eq!(
            base.graph_for_stem("my file").unwrap().as_str(),
            "https://example.org/lab/graph/my-file"
        );
    }

    #[test]
    fn base_must_be_absolute_and_end_with_a_separator() {
        assert!(BaseIri::parse("not an iri").is_err());
        assert!(BaseIri::parse("https://example.org/lab").is_err());
        assert!(BaseIri::parse("https://example.org/lab#").is_ok());
    }
}
