//! The content folders, embedded at build time by `build.rs`: the ontology and shapes,
//! the bundled data (one file per named graph) and the named queries.

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The bundled SHACL shapes.
pub fn shapes() -> &'static str {
    file(ONTOLOGY, "ontology/shapes.ttl")
}

/// The bundled JSON-LD context.
pub fn context() -> &'static str {
    file(ONTOLOGY, "ontology/context.jsonld")
}

/// The RDF files loaded into a fresh store, in load order: the ontology folder's Turtle
/// files, then the data folder.
pub fn graphs() -> impl Iterator<Item = (&'static str, &'static str)> {
    ONTOLOGY
        .iter()
        .chain(DATA)
        .filter(|(path, _)| path.ends_with(".ttl"))
        .copied()
}

fn file(table: &[(&'static str, &'static str)], path: &str) -> &'static str {
    table
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("{path} is bundled by build.rs"))
}
