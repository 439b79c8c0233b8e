//! The VoID description of the dataset (`/.well-known/void`, RFC 5785 and VoID §7): its
//! size, its URI space, where to query and download it, the vocabularies it uses, a
//! partition per class and per property, a subset per named graph, and the linksets
//! towards the datasets its data links to (the UN SDG KOS first). Every figure is counted
//! in the read that writes the dumps, so it is the dumps' figure; a test checks each
//! against a SPARQL `COUNT`.

use std::collections::BTreeSet;

use oxigraph::model::NamedNode;
use oxigraph::model::vocab::xsd;

use super::ORIGIN;
use super::catalog::Described;
use super::dumps::{self, SDG_NAMESPACE};
use super::rdf::{Triples, integer, iri, lang, text, typed};
use crate::error::Result;
use crate::store::GraphStore;
use crate::vocab::local;

/// The VoID triples.
pub fn triples(store: &GraphStore, d: &Described<'_>) -> Result<Triples> {
    let mut t = Triples::default();
    let stats = d.stats;
    let base = store.base().as_str();
    let origin = |path: &str| NamedNode::new_unchecked(format!("{ORIGIN}{path}"));
    let dataset = store.base().local(local::DATASET);
    let here = |fragment: &str| origin(&format!("/.well-known/void#{fragment}"));

    t.a(&dataset, "void:Dataset")
        .add(
            &dataset,
            "dct:title",
            lang(
                "labgraph : le graphe du Lab des transitions de l'IREV",
                "fr",
            ),
        )
        .add(
            &dataset,
            "dct:title",
            lang(
                "labgraph: the knowledge graph of the IREV's Lab des transitions",
                "en",
            ),
        )
        .add(&dataset, "void:uriSpace", text(base))
        .add(&dataset, "void:sparqlEndpoint", origin("/sparql"))
        .add(
            &dataset,
            "void:rootResource",
            store.base().local("series/lab-des-transitions"),
        )
        .add(&dataset, "void:triples", integer(stats.triples))
        .add(&dataset, "void:entities", integer(stats.entities))
        .add(&dataset, "void:distinctSubjects", integer(stats.subjects))
        .add(
            &dataset,
            "void:properties",
            integer(stats.properties.len() as u64),
        )
        .add(
            &dataset,
            "void:classes",
            integer(stats.classes.len() as u64),
        )
        .add(&dataset, "rdfs:seeAlso", origin("/catalog.ttl"));
    if !d.latest.is_empty() {
        t.add(&dataset, "dct:modified", typed(d.latest, xsd::DATE_TIME));
    }
    if let Some(license) = store.license()? {
        t.add(&dataset, "dct:license", license);
    }
    for name in [dumps::WHOLE_NQUADS, dumps::WHOLE_TRIG] {
        dump(&mut t, &dataset, name, d);
    }
    for feature in ["N-Quads", "TriG", "Turtle"] {
        t.add(
            &dataset,
            "void:feature",
            iri(&format!("http://www.w3.org/ns/formats/{feature}")),
        );
    }

    // The vocabularies: the namespaces of its properties and classes.
    let vocabularies: BTreeSet<&str> = stats
        .properties
        .keys()
        .chain(stats.classes.keys())
        .map(|term| namespace(term))
        .collect();
    for vocabulary in vocabularies {
        t.add(&dataset, "void:vocabulary", iri(vocabulary));
    }

    for (n, (class, entities)) in stats.classes.iter().enumerate() {
        let partition = here(&format!("class-{n}"));
        t.add(&dataset, "void:classPartition", partition.clone())
            .add(&partition, "void:class", iri(class))
            .add(&partition, "void:entities", integer(*entities));
    }
    for (n, (property, triples)) in stats.properties.iter().enumerate() {
        let partition = here(&format!("property-{n}"));
        t.add(&dataset, "void:propertyPartition", partition.clone())
            .add(&partition, "void:property", iri(property))
            .add(&partition, "void:triples", integer(*triples));
    }

    // A subset per named graph, with its own dumps.
    for (graph, graph_stats) in &stats.graphs {
        let subset = here(&format!("graph-{}", graph_stats.stem));
        t.add(&dataset, "void:subset", subset.clone())
            .a(&subset, "void:Dataset")
            .add(&subset, "sd:name", iri(graph))
            .add(&subset, "void:triples", integer(graph_stats.triples));
        if let Some(modified) = d.modified.get(&NamedNode::new_unchecked(graph.as_str())) {
            t.add(
                &subset,
                "dct:modified",
                typed(modified.clone(), xsd::DATE_TIME),
            );
        }
        for name in dumps::graph_dumps(&graph_stats.stem) {
            dump(&mut t, &subset, &name, d);
        }
    }

    // The linksets: by target dataset and property.
    let mut targets = BTreeSet::new();
    for (n, ((target, property), triples)) in stats.links.iter().enumerate() {
        let linkset = here(&format!("links-{n}"));
        let target_node = iri(target);
        t.add(&dataset, "void:subset", linkset.clone())
            .a(&linkset, "void:Linkset")
            .add(&linkset, "void:subjectsTarget", dataset.clone())
            .add(&linkset, "void:objectsTarget", target_node.clone())
            .add(&linkset, "void:linkPredicate", iri(property))
            .add(&linkset, "void:triples", integer(*triples));
        targets.insert(target.clone());
    }
    for target in targets {
        let node = iri(&target);
        t.a(&node, "void:Dataset")
            .add(&node, "void:uriSpace", text(target.clone()));
        if target == SDG_NAMESPACE {
            t.add(
                &node,
                "dct:title",
                lang(
                    "A Knowledge Organization System for the United Nations Sustainable Development Goals",
                    "en",
                ),
            )
            .add(&node, "foaf:homepage", iri("http://metadata.un.org/sdg/"));
        }
    }
    Ok(t)
}

/// A dump of a dataset, with its size and checksum.
fn dump(t: &mut Triples, dataset: &NamedNode, name: &str, d: &Described<'_>) {
    let Some(info) = d.files.get(name) else {
        return;
    };
    let url = NamedNode::new_unchecked(format!("{ORIGIN}/{name}"));
    t.add(dataset, "void:dataDump", url.clone())
        .add(&url, "dcat:byteSize", integer(info.size))
        .add(
            &url,
            "dcat:mediaType",
            iri(&format!(
                "http://www.iana.org/assignments/media-types/{}",
                info.media_type
            )),
        );
    t.checksum(&url, &info.sha256);
}

/// The namespace of a term: up to its last `#` or `/`.
fn namespace(term: &str) -> &str {
    match term.rfind(['#', '/']) {
        Some(i) => &term[..=i],
        None => term,
    }
}
