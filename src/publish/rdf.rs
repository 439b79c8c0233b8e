//! The RDF the publication writes: a small builder of triples from prefixed names, and
//! the serialization of a description in the formats it is served in.

use std::path::Path;

use oxigraph::io::RdfSerializer;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{
    BlankNode, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple,
};
use sha2::{Digest, Sha256};

use super::{FileInfo, io};
use crate::error::Result;
use crate::format::Rdf;
use crate::vocab;

/// The formats of the catalogue and of VoID, by file extension.
pub const FORMATS: &[(&str, Rdf)] = &[
    ("ttl", Rdf::Turtle),
    ("jsonld", Rdf::JsonLd),
    ("rdf", Rdf::RdfXml),
    ("nt", Rdf::NTriples),
];

/// Namespaces beyond the project's that DCAT-AP and VoID descriptions use.
const EXTRA: &[(&str, &str)] = &[
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("dcatap", "http://data.europa.eu/r5r/"),
    ("locn", "http://www.w3.org/ns/locn#"),
];

/// A description being built.
#[derive(Default)]
pub struct Triples(pub Vec<Triple>);

/// An IRI from a prefixed name of the project's or [`EXTRA`]'s prefixes, or whole.
pub fn iri(name: &str) -> NamedNode {
    let extra = name.split_once(':').and_then(|(prefix, local)| {
        EXTRA
            .iter()
            .find(|(p, _)| *p == prefix)
            .map(|(_, namespace)| format!("{namespace}{local}"))
    });
    if let Some(iri) = vocab::expand(name).or(extra) {
        return NamedNode::new_unchecked(iri);
    }
    NamedNode::new_unchecked(name)
}

pub fn lang(text: &str, language: &str) -> Term {
    Literal::new_language_tagged_literal_unchecked(text, language).into()
}

pub fn typed(value: impl Into<String>, datatype: NamedNodeRef<'_>) -> Term {
    Literal::new_typed_literal(value, datatype).into()
}

pub fn text(value: impl Into<String>) -> Term {
    Literal::new_simple_literal(value).into()
}

pub fn integer(n: u64) -> Term {
    typed(n.to_string(), xsd::NON_NEGATIVE_INTEGER)
}

impl Triples {
    /// Adds `subject property object`, the property a prefixed name.
    pub fn add(
        &mut self,
        subject: &impl AsSubject,
        property: &str,
        object: impl Into<Term>,
    ) -> &mut Self {
        self.0
            .push(Triple::new(subject.subject(), iri(property), object));
        self
    }

    /// Adds `subject a class`, the class a prefixed name.
    pub fn a(&mut self, subject: &impl AsSubject, class: &str) -> &mut Self {
        self.add(subject, "rdf:type", iri(class))
    }

    /// The SHA-256 of a file, as SPDX says it (`xsd:hexBinary`, as DCAT-AP checks).
    pub fn checksum(&mut self, file: &impl AsSubject, sha256: &str) -> &mut Self {
        let checksum = Self::blank();
        self.add(file, "spdx:checksum", checksum.clone())
            .a(&checksum, "spdx:Checksum")
            .add(
                &checksum,
                "spdx:algorithm",
                iri("spdx:checksumAlgorithm_sha256"),
            )
            .add(
                &checksum,
                "spdx:checksumValue",
                typed(sha256, xsd::HEX_BINARY),
            )
    }

    /// A new blank node.
    pub fn blank() -> NamedOrBlankNode {
        BlankNode::default().into()
    }
}

/// What can be the subject of a triple here.
pub trait AsSubject {
    fn subject(&self) -> NamedOrBlankNode;
}

impl AsSubject for NamedNode {
    fn subject(&self) -> NamedOrBlankNode {
        self.clone().into()
    }
}

impl AsSubject for NamedOrBlankNode {
    fn subject(&self) -> NamedOrBlankNode {
        self.clone()
    }
}

/// Writes a description in one format to `path`, and says what the file is.
pub fn write(path: &Path, triples: &Triples, format: Rdf, modified: &str) -> Result<FileInfo> {
    let mut serializer = crate::store::prefixed(RdfSerializer::from_format(format.oxigraph()));
    for (prefix, namespace) in EXTRA {
        serializer = serializer
            .with_prefix(*prefix, *namespace)
            .expect("valid prefixes");
    }
    // By subject, so that the Turtle groups each node's statements.
    let mut sorted: Vec<&Triple> = triples.0.iter().collect();
    sorted.sort_by_cached_key(|t| {
        (
            t.subject.to_string(),
            t.predicate.to_string(),
            t.object.to_string(),
        )
    });
    let mut writer = serializer.for_writer(Vec::new());
    for triple in sorted {
        writer.serialize_triple(triple).map_err(|e| io(path, e))?;
    }
    let bytes = writer.finish().map_err(|e| io(path, e))?;
    std::fs::write(path, &bytes).map_err(|e| io(path, e))?;
    Ok(FileInfo {
        size: bytes.len() as u64,
        sha256: crate::source::hex(&Sha256::digest(&bytes)),
        media_type: format.syntax().media_types[0].to_owned(),
        modified: modified.to_owned(),
        graph: None,
    })
}
