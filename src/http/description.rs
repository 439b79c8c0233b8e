//! The SPARQL 1.1 Service Description of `/sparql`, in any RDF format.

use axum::http::{HeaderMap, header};
use axum::response::Response;
use oxigraph::model::vocab::rdf;
use oxigraph::model::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Triple};

use super::cache::Entry;
use super::negotiate::{self, Repr, accept};
use super::params::Params;
use super::respond::{self, Tag};
use super::routes::SPARQL;
use super::{ApiError, Shared, run};
use crate::error::Error;
use crate::vocab;

/// The SPARQL 1.1 Service Description of this endpoint, in a negotiated RDF format.
pub(super) async fn service_description(
    state: &Shared,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let offered = negotiate::graphs();
    let repr = negotiate::choose(&offered, accept(headers), params.format()?)
        .ok_or_else(|| ApiError::not_acceptable(&offered))?;
    let Repr::Graph(format) = repr else {
        return Err(ApiError::not_acceptable(&offered));
    };
    let endpoint = endpoint_iri(headers)?;
    // It counts the triples of every graph (a second on a million triples): cached until
    // the next write, like query results.
    let tag = Tag::new(
        state,
        ("service-description", endpoint.as_str(), repr.media_type()),
    );
    let writable = state.writable();
    respond::cached(state, headers, tag, async move {
        let body = run::read(state, None, move |store, _| {
            let triples = description(store, &endpoint, writable)?;
            let mut body = Vec::new();
            let mut writer =
                crate::store::prefixed(oxigraph::io::RdfSerializer::from_format(format))
                    .with_prefix("sd", vocab::SD)
                    .expect("valid IRI")
                    .for_writer(&mut body);
            for triple in &triples {
                writer.serialize_triple(triple).map_err(|e| Error::Io {
                    path: "the response".into(),
                    source: e,
                })?;
            }
            writer.finish().map_err(|e| Error::Io {
                path: "the response".into(),
                source: e,
            })?;
            Ok(body)
        })
        .await?;
        Ok(Entry {
            body: body.into(),
            content_type: repr.media_type(),
            link: None,
        })
    })
    .await
}

fn description(
    store: &crate::store::GraphStore,
    endpoint: &NamedNode,
    writable: bool,
) -> crate::Result<Vec<Triple>> {
    let sd = |local: &str| NamedNode::new_unchecked(format!("{}{local}", vocab::SD));
    let service = NamedOrBlankNode::from(BlankNode::default());
    let mut triples = vec![
        Triple::new(service.clone(), rdf::TYPE, sd("Service")),
        Triple::new(service.clone(), sd("endpoint"), endpoint.clone()),
        Triple::new(
            service.clone(),
            sd("supportedLanguage"),
            sd("SPARQL11Query"),
        ),
        Triple::new(service.clone(), sd("feature"), sd("UnionDefaultGraph")),
        Triple::new(service.clone(), sd("feature"), sd("EmptyGraphs")),
        Triple::new(
            service.clone(),
            sd("defaultEntailmentRegime"),
            vocab::ENTAILMENT_SIMPLE,
        ),
        Triple::new(
            service.clone(),
            vocab::dct::TITLE,
            Literal::new_language_tagged_literal_unchecked(
                "labgraph — référentiel du Lab des transitions (IREV)",
                "fr",
            ),
        ),
        Triple::new(
            service.clone(),
            vocab::dct::TITLE,
            Literal::new_language_tagged_literal_unchecked(
                "labgraph — the Lab des transitions (IREV) knowledge graph",
                "en",
            ),
        ),
    ];
    // The text index, answered inside SPARQL (src/search/service.rs).
    let search = crate::search::service_name();
    triples.push(Triple::new(service.clone(), sd("feature"), search.clone()));
    triples.push(Triple::new(search.clone(), rdf::TYPE, sd("Feature")));
    for (text, language) in [
        (
            "Recherche plein texte dans SPARQL : SERVICE lg:search { ?r lg:query \"îlots de chaleur\" ; lg:score ?score ; lg:label ?label ; lg:snippet ?extrait } ; filtres lg:type (classe), lg:within (IRI liée), lg:kind (\"data\", \"ontology\", \"shapes\"), lg:language (\"fr\", \"en\"), lg:limit (100 par défaut). Les mots s'écrivent dans le motif : un SERVICE ne voit pas les liaisons extérieures.",
            "fr",
        ),
        (
            "Full-text search inside SPARQL: SERVICE lg:search { ?r lg:query \"heat islands\" ; lg:score ?score ; lg:label ?label ; lg:snippet ?snippet }; filters lg:type (a class), lg:within (a linked IRI), lg:kind, lg:language, lg:limit (100 by default). The words are written in the pattern: a SERVICE sees no outer binding.",
            "en",
        ),
    ] {
        triples.push(Triple::new(
            search.clone(),
            oxigraph::model::vocab::rdfs::COMMENT,
            Literal::new_language_tagged_literal_unchecked(text, language),
        ));
    }
    if writable {
        triples.push(Triple::new(
            service.clone(),
            sd("supportedLanguage"),
            sd("SPARQL11Update"),
        ));
    }
    for syntax in crate::format::SYNTAXES {
        triples.push(Triple::new(
            service.clone(),
            sd("resultFormat"),
            NamedNode::new_unchecked(format!("{}{}", vocab::FORMATS, syntax.w3c)),
        ));
    }
    let dataset = NamedOrBlankNode::from(BlankNode::default());
    let default_graph = NamedOrBlankNode::from(BlankNode::default());
    triples.push(Triple::new(service, sd("defaultDataset"), dataset.clone()));
    triples.push(Triple::new(dataset.clone(), rdf::TYPE, sd("Dataset")));
    // Its VoID description (sizes, partitions, linksets, dumps) and its DCAT catalogue.
    let origin = endpoint
        .as_str()
        .strip_suffix(SPARQL)
        .unwrap_or(endpoint.as_str());
    for document in ["/.well-known/void", "/catalog.ttl"] {
        triples.push(Triple::new(
            dataset.clone(),
            oxigraph::model::vocab::rdfs::SEE_ALSO,
            NamedNode::new_unchecked(format!("{origin}{document}")),
        ));
    }
    triples.push(Triple::new(
        dataset.clone(),
        sd("defaultGraph"),
        default_graph.clone(),
    ));
    triples.push(Triple::new(default_graph, rdf::TYPE, sd("Graph")));
    let void_triples = vocab::void::TRIPLES;
    for info in store.graphs()? {
        let named = NamedOrBlankNode::from(BlankNode::default());
        let graph = NamedOrBlankNode::from(BlankNode::default());
        triples.push(Triple::new(
            dataset.clone(),
            sd("namedGraph"),
            named.clone(),
        ));
        triples.push(Triple::new(named.clone(), rdf::TYPE, sd("NamedGraph")));
        triples.push(Triple::new(named.clone(), sd("name"), info.graph));
        triples.push(Triple::new(named, sd("graph"), graph.clone()));
        triples.push(Triple::new(graph.clone(), rdf::TYPE, sd("Graph")));
        triples.push(Triple::new(
            graph,
            void_triples,
            Literal::from(info.triples as i64),
        ));
    }
    Ok(triples)
}

/// This endpoint's IRI, from the request's `Host` (and `X-Forwarded-Proto` behind a
/// proxy) and the endpoint's path in the route table.
fn endpoint_iri(headers: &HeaderMap) -> Result<NamedNode, ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|s| *s == "https" || *s == "http")
        .unwrap_or("http");
    NamedNode::new(format!("{scheme}://{host}{SPARQL}"))
        .map_err(|e| ApiError::bad_request(format!("the Host header is not usable: {e}")))
}
