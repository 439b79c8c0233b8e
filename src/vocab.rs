//! IRI constants: every vocabulary IRI the code uses is written here and nowhere else.
//!
//! Namespaces follow the fixed contract of the model (`ontology/README.md`); the terms are
//! the few the code itself reads or writes (provenance of imports, SHACL report fields).

use oxigraph::model::NamedNodeRef;

/// The project's own vocabulary.
pub const LG: &str = "https://w3id.org/labgraph/def#";

/// The local names of the territory classes of `lg:` (the subclasses of `lg:Territory`),
/// from the largest to the smallest.
pub const TERRITORY_CLASSES: [&str; 6] = [
    "Region",
    "Departement",
    "PoleMetropolitain",
    "EPCI",
    "Commune",
    "QPV",
];
/// The default base IRI of instances when neither `--base-iri` nor `LABGRAPH_BASE_IRI` is set.
pub const DEFAULT_BASE_IRI: &str = "https://w3id.org/labgraph/id/";

/// schema.org, in the `http:` form the model fixes.
pub const SCHEMA: &str = "http://schema.org/";
/// W3C Organization Ontology.
pub const ORG: &str = "http://www.w3.org/ns/org#";
/// SKOS.
pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
/// DCMI terms.
pub const DCT: &str = "http://purl.org/dc/terms/";
/// PROV-O.
pub const PROV: &str = "http://www.w3.org/ns/prov#";
/// DCAT.
pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
/// The UN's SDG concepts (goals, targets, indicators).
pub const SDG: &str = "http://metadata.un.org/sdg/";

/// Prefixes offered to serializers and used to shorten IRIs in terminal tables.
pub const PREFIXES: &[(&str, &str)] = &[
    ("lg", LG),
    ("schema", SCHEMA),
    ("org", ORG),
    ("skos", SKOS),
    ("dct", DCT),
    ("prov", PROV),
    ("dcat", DCAT),
    ("void", "http://rdfs.org/ns/void#"),
    ("sd", SD),
    ("sdg", SDG),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("sh", "http://www.w3.org/ns/shacl#"),
    ("lgsh", "https://w3id.org/labgraph/shapes#"),
    ("spdx", "http://spdx.org/rdf/terms#"),
];

/// PROV-O terms written in the import metadata graph.
pub mod prov {
    use super::NamedNodeRef;
    pub const AGENT: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#agent");
    pub const ENTITY: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#Entity");
    pub const ACTIVITY: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#Activity");
    pub const SOFTWARE_AGENT: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#SoftwareAgent");
    pub const WAS_GENERATED_BY: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#wasGeneratedBy");
    pub const GENERATED_AT_TIME: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#generatedAtTime");
    pub const STARTED_AT_TIME: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#startedAtTime");
    pub const ENDED_AT_TIME: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#endedAtTime");
    pub const WAS_ASSOCIATED_WITH: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#wasAssociatedWith");
    pub const SPECIALIZATION_OF: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#specializationOf");
    pub const WAS_REVISION_OF: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#wasRevisionOf");
    pub const WAS_DERIVED_FROM: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#wasDerivedFrom");
}

/// SPDX terms: the checksum of a source file, as DCAT 3 records a distribution's.
pub mod spdx {
    use super::NamedNodeRef;
    pub const CHECKSUM: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://spdx.org/rdf/terms#checksum");
    pub const CHECKSUM_CLASS: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://spdx.org/rdf/terms#Checksum");
    pub const ALGORITHM: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://spdx.org/rdf/terms#algorithm");
    pub const CHECKSUM_VALUE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://spdx.org/rdf/terms#checksumValue");
    pub const SHA256: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://spdx.org/rdf/terms#checksumAlgorithm_sha256");
}

/// labgraph's own terms of the import records (see ontology/ontology.ttl).
pub mod lg {
    use super::NamedNodeRef;
    pub const GRAPH_VERSION: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/labgraph/def#GraphVersion");
    pub const CANONICAL_HASH: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/labgraph/def#canonicalHash");
    pub const VALIDATED: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/labgraph/def#validated");
    pub const SEMINAR: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/labgraph/def#Seminar");
}

/// The SPARQL 1.1 Service Description vocabulary.
pub const SD: &str = "http://www.w3.org/ns/sparql-service-description#";
/// The W3C's unique URIs for formats (`formats:Turtle`…).
pub const FORMATS: &str = "http://www.w3.org/ns/formats/";
/// SPARQL's simple entailment regime.
pub const ENTAILMENT_SIMPLE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/entailment/Simple");

/// Dublin Core terms.
pub mod dct {
    use super::NamedNodeRef;
    pub const TITLE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://purl.org/dc/terms/title");
    pub const SOURCE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://purl.org/dc/terms/source");
    pub const IDENTIFIER: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://purl.org/dc/terms/identifier");
    pub const IS_REPLACED_BY: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://purl.org/dc/terms/isReplacedBy");
    pub const LICENSE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://purl.org/dc/terms/license");
}

/// SKOS terms.
pub mod skos {
    use super::NamedNodeRef;
    pub const PREF_LABEL: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#prefLabel");
    pub const ALT_LABEL: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#altLabel");
    pub const BROADER: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#broader");
}

/// SHACL terms read from the shapes.
pub mod sh {
    use super::NamedNodeRef;
    pub const TARGET_OBJECTS_OF: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/shacl#targetObjectsOf");
}

/// VoID terms.
pub mod void {
    use super::NamedNodeRef;
    pub const TRIPLES: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://rdfs.org/ns/void#triples");
}

/// schema.org terms.
pub mod schema {
    use super::NamedNodeRef;
    pub const NAME: NamedNodeRef<'_> = NamedNodeRef::new_unchecked("http://schema.org/name");
    pub const GIVEN_NAME: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://schema.org/givenName");
    pub const FAMILY_NAME: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://schema.org/familyName");
    pub const PERSON: NamedNodeRef<'_> = NamedNodeRef::new_unchecked("http://schema.org/Person");
    pub const ORGANIZATION: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://schema.org/Organization");
    pub const SOFTWARE_VERSION: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://schema.org/softwareVersion");
    pub const ALTERNATE_NAME: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://schema.org/alternateName");
    pub const CONTAINED_IN_PLACE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://schema.org/containedInPlace");
    /// The namespace, for the schema.org part of a page's embedded JSON-LD.
    pub const NAMESPACE: &str = "http://schema.org/";
}

/// Paths, relative to the base IRI, of the resources labgraph mints itself.
pub mod local {
    /// Prefix of named graphs: `graph/{file stem}`.
    pub const GRAPH_PREFIX: &str = "graph/";
    /// The metadata graph where every import is recorded.
    pub const IMPORTS_GRAPH: &str = "graph/imports";
    /// The graph holding the bundled ontology.
    pub const ONTOLOGY_GRAPH: &str = "graph/ontology";
    /// The graph holding the bundled SHACL shapes.
    pub const SHAPES_GRAPH: &str = "graph/shapes";
    /// Prefix of import activities: `import/{id}`.
    pub const IMPORT_PREFIX: &str = "import/";
    /// The software agent that performs imports.
    pub const AGENT: &str = "agent/labgraph";
    /// The dataset the catalogue describes: its licence is the data's.
    pub const DATASET: &str = "dataset/labgraph";
}

/// A prefixed name of the project's prefixes (`lg:Seminar`) as its IRI; `None` for a
/// name of no known prefix.
pub fn expand(name: &str) -> Option<String> {
    let (prefix, local) = name.split_once(':')?;
    PREFIXES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, namespace)| format!("{namespace}{local}"))
}

/// An IRI as a prefixed name of the project's prefixes (`lg:Seminar`), else whole.
pub fn prefixed(iri: &str) -> String {
    PREFIXES
        .iter()
        .filter(|(_, namespace)| !namespace.is_empty())
        .find_map(|(prefix, namespace)| {
            iri.strip_prefix(namespace)
                .filter(|local| !local.is_empty() && !local.contains(['/', '#']))
                .map(|local| format!("{prefix}:{local}"))
        })
        .unwrap_or_else(|| iri.to_owned())
}

/// A function of labgraph's own, called on each comparison of a sort, that stops the
/// evaluation once its time budget has run out (see `store::watch_sorts`). It exists
/// only in the evaluator of a query under a budget, where a query that calls it by name
/// gets `true` (or its budget's end).
pub fn alive() -> oxigraph::model::NamedNode {
    oxigraph::model::NamedNode::new_unchecked("https://w3id.org/labgraph/def#alive")
}
