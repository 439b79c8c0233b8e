//! The DCAT-AP 3 catalogue, as data.gouv.fr harvests it: the catalogue and its datasets
//! as `graph/catalog` states them (titles, descriptions, identifiers, keywords), and what
//! only the store knows — each part's graphs, when they last changed, the dates and the
//! territories they speak of, and its distributions: the dumps with their sizes and
//! checksums, the feeds, and the SPARQL endpoint as a `dcat:DataService`.
//!
//! It passes the SEMIC DCAT-AP 3.0.1 shapes (tests/clients/publish.py): every node a
//! checked property points to says its class (`dct:LicenseDocument`, `dct:Location`,
//! `foaf:Document`…), byte sizes are `xsd:nonNegativeInteger` and checksums
//! `xsd:hexBinary`. `dct:source`, whose range DCAT-AP checks as `dcat:Dataset`, is
//! written `prov:wasDerivedFrom`: the sources are web pages and files, not datasets.

use std::collections::{BTreeMap, BTreeSet};

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple};

use super::dumps::{self, Stats};
use super::rdf::{Triples, integer, iri, lang, typed};
use super::{FileInfo, ORIGIN};
use crate::error::Result;
use crate::store::GraphStore;

/// What the catalogue and VoID are written from.
pub struct Described<'a> {
    pub stats: &'a Stats,
    pub files: &'a BTreeMap<String, FileInfo>,
    pub modified: &'a BTreeMap<NamedNode, String>,
    pub latest: &'a str,
}

/// The classes whose instance decides which dataset a graph joins, first first.
const CLAIM_FIRST: [&str; 2] = [
    "https://w3id.org/labgraph/def#Seminar",
    "https://w3id.org/labgraph/def#Action",
];

/// How many territories a dataset's `dct:spatial` names at most.
const SPATIAL_MOST: usize = 20;
const LICENCE_DOCUMENT: &str = "dct:LicenseDocument";
const IANA: &str = "http://www.iana.org/assignments/media-types/";
const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";

/// A dataset of the catalogue, as `graph/catalog` states it.
struct Dataset {
    node: NamedNode,
    identifier: String,
    named: Vec<String>,
    describing: Vec<String>,
    license: Option<NamedNode>,
}

/// The catalogue's triples.
pub fn triples(store: &GraphStore, d: &Described<'_>) -> Result<Triples> {
    let stated = store.graph_triples(&store.base().local("graph/catalog"))?;
    let mut t = Triples::default();
    let mut typed_nodes: BTreeSet<(String, &str)> = BTreeSet::new();
    let mut catalogs = Vec::new();
    let mut datasets = Vec::new();
    for triple in &stated {
        let property = triple.predicate.as_str();
        let object = triple.object.clone();
        match property {
            p if p == iri("dct:source").as_str() => {
                t.add(&triple.subject, "prov:wasDerivedFrom", object);
                continue;
            }
            p if p == iri("dct:license").as_str() => {
                mark(&mut typed_nodes, &object, LICENCE_DOCUMENT);
            }
            p if p == iri("dct:language").as_str() => {
                mark(&mut typed_nodes, &object, "dct:LinguisticSystem");
            }
            p if p == iri("dct:spatial").as_str() => {
                mark(&mut typed_nodes, &object, "dct:Location");
            }
            p if p == iri("foaf:homepage").as_str() => {
                mark(&mut typed_nodes, &object, "foaf:Document");
            }
            p if p == iri("dct:publisher").as_str() => {
                mark(&mut typed_nodes, &object, "foaf:Agent");
            }
            p if p == rdf::TYPE.as_str() => {
                if let NamedOrBlankNode::NamedNode(n) = &triple.subject {
                    if object == Term::from(iri("dcat:Catalog")) {
                        catalogs.push(n.clone());
                    }
                    if object == Term::from(iri("dcat:Dataset")) {
                        datasets.push(n.clone());
                    }
                }
            }
            _ => {}
        }
        t.0.push(triple.clone());
    }
    let values = |node: &NamedNode, property: &str| -> Vec<Term> {
        let property = iri(property);
        stated
            .iter()
            .filter(|s| s.subject == node.clone().into() && s.predicate == property)
            .map(|s| s.object.clone())
            .collect()
    };
    let iris = |terms: Vec<Term>| -> Vec<String> {
        terms
            .into_iter()
            .filter_map(|t| match t {
                Term::NamedNode(n) => Some(n.into_string()),
                _ => None,
            })
            .collect()
    };
    let datasets: Vec<Dataset> = datasets
        .into_iter()
        .filter_map(|node| {
            let identifier = values(&node, "dct:identifier")
                .into_iter()
                .find_map(|t| match t {
                    Term::Literal(l) => Some(l.value().to_owned()),
                    _ => None,
                })?;
            Some(Dataset {
                named: iris(values(&node, "lg:namedGraph")),
                describing: iris(values(&node, "lg:graphsDescribing")),
                license: values(&node, "dct:license")
                    .into_iter()
                    .find_map(|t| match t {
                        Term::NamedNode(n) => Some(n),
                        _ => None,
                    }),
                identifier,
                node,
            })
        })
        .collect();

    let origin = |path: &str| NamedNode::new_unchecked(format!("{ORIGIN}{path}"));
    let sparql = origin("/sparql");
    let catalog_license = catalogs
        .first()
        .and_then(|c| values(c, "dct:license").into_iter().next());
    let contact = catalogs
        .first()
        .and_then(|c| values(c, "dcat:contactPoint").into_iter().next());
    for catalog in &catalogs {
        if !d.latest.is_empty() {
            t.add(catalog, "dct:modified", typed(d.latest, xsd::DATE_TIME));
        }
        t.add(catalog, "dcat:service", sparql.clone());
        for dataset in &datasets {
            t.add(catalog, "dcat:dataset", dataset.node.clone());
        }
    }
    if let Some(Term::NamedNode(contact)) = &contact {
        t.a(contact, "vcard:Kind");
    }

    // Which graphs each dataset is: those it names; then each graph no one names joins
    // one dataset whose class it describes (`lg:graphsDescribing`). When several could
    // claim it: a graph with a seminar is a seminar's record (with its speakers and
    // their institutions), then one with an action is a table of actions; else the class
    // of fewest instances there, a record's main subject. The dataset with neither is
    // the whole.
    let named: BTreeSet<&str> = datasets
        .iter()
        .flat_map(|d| d.named.iter().map(String::as_str))
        .collect();
    let mut claimed: BTreeMap<&str, &NamedNode> = BTreeMap::new();
    for (graph, stats) in &d.stats.graphs {
        if named.contains(graph.as_str()) {
            continue;
        }
        let claim = datasets
            .iter()
            .flat_map(|dataset| {
                dataset
                    .describing
                    .iter()
                    .filter_map(|class| stats.classes.get(class))
                    .map(move |n| (*n, &dataset.node))
            })
            .min_by_key(|(n, node)| {
                let first = datasets
                    .iter()
                    .find(|d| d.node == **node)
                    .and_then(|d| {
                        CLAIM_FIRST.iter().position(|c| {
                            d.describing.iter().any(|x| x == c) && stats.classes.contains_key(*c)
                        })
                    })
                    .unwrap_or(CLAIM_FIRST.len());
                (first, *n, node.as_str().to_owned())
            });
        if let Some((_, node)) = claim {
            claimed.insert(graph.as_str(), node);
        }
    }
    let graphs_of = |dataset: &Dataset| -> Vec<&str> {
        d.stats
            .graphs
            .keys()
            .filter(|graph| {
                dataset.named.iter().any(|n| n == *graph)
                    || claimed.get(graph.as_str()) == Some(&&dataset.node)
            })
            .map(String::as_str)
            .collect()
    };
    for dataset in &datasets {
        let node = &dataset.node;
        let whole = dataset.named.is_empty() && dataset.describing.is_empty();
        let graphs = if whole {
            Vec::new()
        } else {
            graphs_of(dataset)
        };
        let modified = if whole {
            d.latest.to_owned()
        } else {
            graphs
                .iter()
                .filter_map(|g| d.modified.get(&NamedNode::new_unchecked(*g)))
                .max()
                .cloned()
                .unwrap_or_default()
        };
        if !modified.is_empty() {
            t.add(
                node,
                "dct:modified",
                typed(modified.clone(), xsd::DATE_TIME),
            );
        }
        if let Some(path) = crate::pages::local_path(store.base(), node.as_str()) {
            let page = origin(&path);
            t.add(node, "dcat:landingPage", page.clone());
            t.a(&page, "foaf:Document");
        }
        if let Some(Term::NamedNode(contact)) = &contact {
            t.add(node, "dcat:contactPoint", contact.clone());
        }
        let stats: Vec<&dumps::GraphStats> = graphs
            .iter()
            .filter_map(|g| d.stats.graphs.get(*g))
            .collect();
        let first = stats.iter().filter_map(|s| s.first.clone()).min();
        let last = stats.iter().filter_map(|s| s.last.clone()).max();
        if let (Some(first), Some(last)) = (first, last) {
            let period = Triples::blank();
            t.add(node, "dct:temporal", period.clone());
            t.a(&period, "dct:PeriodOfTime");
            t.add(&period, "dcat:startDate", typed(first, xsd::DATE));
            t.add(&period, "dcat:endDate", typed(last, xsd::DATE));
        }
        // The territories its data names most (at most SPATIAL_MOST): a dataset of many
        // records would otherwise list thousands.
        let mut places: BTreeMap<&String, u64> = BTreeMap::new();
        for (place, n) in stats.iter().flat_map(|s| &s.spatial) {
            *places.entry(place).or_default() += n;
        }
        let mut places: Vec<(&String, u64)> = places.into_iter().collect();
        places.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (place, _) in places.into_iter().take(SPATIAL_MOST) {
            let place = NamedNode::new_unchecked(place.as_str());
            t.add(node, "dct:spatial", place.clone());
            typed_nodes.insert((place.into_string(), "dct:Location"));
        }
        let license = dataset.license.clone().map(Term::from);
        let mut dumps: Vec<(String, Option<&str>)> = Vec::new();
        if whole {
            dumps.push((dumps::WHOLE_NQUADS.into(), None));
            dumps.push((dumps::WHOLE_TRIG.into(), None));
        }
        for graph in &graphs {
            if let Some(s) = d.stats.graphs.get(*graph) {
                for name in dumps::graph_dumps(&s.stem) {
                    dumps.push((name, Some(graph)));
                }
            }
        }
        for (name, graph) in dumps {
            let Some(info) = d.files.get(&name) else {
                continue;
            };
            let url = origin(&format!("/{name}"));
            let distribution = origin(&format!("/{name}#distribution"));
            t.add(node, "dcat:distribution", distribution.clone());
            let (format, media, fr, en) = dump_format(&name);
            let what = match graph {
                Some(g) => format!("« {} »", g.rsplit('/').next().unwrap_or(g)),
                None => "l'ensemble des graphes".into(),
            };
            let what_en = match graph {
                Some(g) => format!("\"{}\"", g.rsplit('/').next().unwrap_or(g)),
                None => "every graph".into(),
            };
            t.a(&distribution, "dcat:Distribution")
                .add(
                    &distribution,
                    "dct:title",
                    lang(&format!("Fichier de {what} en {fr} compressé (gzip)"), "fr"),
                )
                .add(
                    &distribution,
                    "dct:title",
                    lang(&format!("Dump of {what_en} as gzipped {en}"), "en"),
                )
                .add(&distribution, "dcat:accessURL", url.clone())
                .add(&distribution, "dcat:downloadURL", url)
                .add(
                    &distribution,
                    "dct:format",
                    iri(&format!("{FILE_TYPE}{format}")),
                )
                .add(
                    &distribution,
                    "dcat:mediaType",
                    iri(&format!("{IANA}{media}")),
                )
                .add(
                    &distribution,
                    "dcat:compressFormat",
                    iri(&format!("{IANA}application/gzip")),
                )
                .add(&distribution, "dcat:byteSize", integer(info.size))
                .add(
                    &distribution,
                    "dct:modified",
                    typed(info.modified.clone(), xsd::DATE_TIME),
                );
            typed_nodes.insert((format!("{FILE_TYPE}{format}"), "dct:MediaTypeOrExtent"));
            typed_nodes.insert((format!("{IANA}{media}"), "dct:MediaType"));
            typed_nodes.insert((format!("{IANA}application/gzip"), "dct:MediaType"));
            t.checksum(&distribution, &info.sha256);
            if let Some(license) = &license {
                t.add(&distribution, "dct:license", license.clone());
            }
        }
        // The feeds (every query of queries/feeds/), for the part whose graphs describe
        // the seminars.
        if dataset.describing.iter().any(|c| c.ends_with("#Seminar")) {
            for feed in crate::feeds::all()? {
                let path = format!("/feeds/{}.{}", feed.name, feed.kind.extension());
                let media = feed.kind.media_type();
                let media = media.split(';').next().unwrap_or(media);
                let distribution = origin(&format!("{path}#distribution"));
                t.add(node, "dcat:distribution", distribution.clone());
                t.a(&distribution, "dcat:Distribution")
                    .add(&distribution, "dct:title", lang(&feed.title, "fr"))
                    .add(&distribution, "dct:title", lang(&feed.title_en, "en"))
                    .add(&distribution, "dcat:accessURL", origin(&path))
                    .add(&distribution, "dcat:downloadURL", origin(&path))
                    .add(
                        &distribution,
                        "dcat:mediaType",
                        iri(&format!("{IANA}{media}")),
                    );
                typed_nodes.insert((format!("{IANA}{media}"), "dct:MediaType"));
                if let Some(license) = &license {
                    t.add(&distribution, "dct:license", license.clone());
                }
            }
        }
        // The SPARQL endpoint, where every part can be queried.
        let access = origin(&format!("/sparql#{}", dataset.identifier));
        t.add(node, "dcat:distribution", access.clone());
        t.a(&access, "dcat:Distribution")
            .add(&access, "dct:title", lang("Point d'accès SPARQL", "fr"))
            .add(&access, "dct:title", lang("SPARQL endpoint", "en"))
            .add(&access, "dcat:accessURL", sparql.clone())
            .add(&access, "dcat:accessService", sparql.clone());
        if let Some(license) = &license {
            t.add(&access, "dct:license", license.clone());
        }
        if whole {
            t.add(node, "rdfs:seeAlso", origin("/.well-known/void"));
        }
    }

    // The endpoint.
    t.a(&sparql, "dcat:DataService")
        .add(&sparql, "dct:title", lang("Point d'accès SPARQL de labgraph", "fr"))
        .add(&sparql, "dct:title", lang("labgraph's SPARQL endpoint", "en"))
        .add(
            &sparql,
            "dct:description",
            lang("Point d'accès SPARQL 1.1 en lecture (requêtes SELECT, ASK, CONSTRUCT, DESCRIBE) ; le graphe par défaut est l'union des graphes nommés ; sa description de service dit ses limites.", "fr"),
        )
        .add(
            &sparql,
            "dct:description",
            lang("Read-only SPARQL 1.1 endpoint (SELECT, ASK, CONSTRUCT, DESCRIBE); the default graph is the union of the named graphs; its service description states its limits.", "en"),
        )
        .add(&sparql, "dcat:endpointURL", sparql.clone())
        .add(&sparql, "dcat:endpointDescription", sparql.clone())
        .add(
            &sparql,
            "dct:conformsTo",
            iri("https://www.w3.org/TR/sparql11-protocol/"),
        );
    typed_nodes.insert((
        "https://www.w3.org/TR/sparql11-protocol/".into(),
        "dct:Standard",
    ));
    if let Some(license) = &catalog_license {
        t.add(&sparql, "dct:license", license.clone());
    }
    for dataset in &datasets {
        t.add(&sparql, "dcat:servesDataset", dataset.node.clone());
    }

    // The publisher as an agent with a name.
    let publishers: BTreeSet<NamedNode> = typed_nodes
        .iter()
        .filter(|(_, class)| *class == "foaf:Agent")
        .map(|(node, _)| NamedNode::new_unchecked(node.as_str()))
        .collect();
    let publishers: Vec<NamedNode> = publishers.into_iter().collect();
    for (agent, label) in store.labels(&publishers, &["fr", "en"])? {
        let name = if label.language.is_empty() {
            Term::from(oxigraph::model::Literal::new_simple_literal(label.text))
        } else {
            lang(&label.text, &label.language)
        };
        t.add(&agent, "foaf:name", name);
    }
    for (node, class) in typed_nodes {
        t.a(&NamedNode::new_unchecked(node), class);
    }
    // Without repeats (a type given twice, a node typed by two paths).
    dedup(&mut t.0);
    Ok(t)
}

/// Notes that an IRI object must say its class.
fn mark(typed: &mut BTreeSet<(String, &'static str)>, object: &Term, class: &'static str) {
    if let Term::NamedNode(n) = object {
        typed.insert((n.as_str().to_owned(), class));
    }
}

/// The EU file type, the IANA media type and the names of a dump's format.
fn dump_format(name: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    if name.ends_with(".nq.gz") {
        ("RDF_N_QUADS", "application/n-quads", "N-Quads", "N-Quads")
    } else if name.ends_with(".trig.gz") {
        ("RDF_TRIG", "application/trig", "TriG", "TriG")
    } else {
        ("RDF_TURTLE", "text/turtle", "Turtle", "Turtle")
    }
}

/// Removes repeated triples, keeping the first of each.
fn dedup(triples: &mut Vec<Triple>) {
    let mut seen = std::collections::HashSet::new();
    triples.retain(|t| seen.insert(t.clone()));
}
