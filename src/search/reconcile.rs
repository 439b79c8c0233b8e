//! Reconciliation against the référentiel, as the W3C Entity Reconciliation API asks it
//! (OpenRefine's "reconcile" of a column): candidates from the text index, then the
//! import pipeline's rules to say which one *is* the thing named: an identifier given
//! exactly (SIREN, INSEE or QPV code, SDG notation), or an acronym or name equal once
//! normalised (case, accents, punctuation and spacing do not count: `text::normalise`,
//! the same as `import` and `find`). Such a candidate is a match (score 100); the others
//! are scored by the index, below 100. Properties sharpen a query: a code, or a city (the
//! candidate is in it, or linked to it).

use std::collections::BTreeMap;

use oxigraph::model::{NamedNode, Term};
use serde::Serialize;

use super::{Request, TextIndex};
use crate::error::{Error, Result};
use crate::store::GraphStore;
use crate::text::normalise;
use crate::vocab::{self, LG};

/// A type of things to reconcile against.
#[derive(Debug, Clone, Copy)]
pub struct Type {
    pub id: &'static str,
    pub fr: &'static str,
    pub en: &'static str,
    /// Its classes (any of them), local to the prefixes: `schema:Person`, `lg:EPCI`.
    classes: &'static [&'static str],
    /// What the resources are linked to, relative to the base (`theme/scheme`).
    within: Option<&'static str>,
}

/// The types, in the order the manifest lists them.
pub const TYPES: &[Type] = &[
    Type {
        id: "institution",
        fr: "Institution",
        en: "Institution",
        classes: &["schema:Organization"],
        within: None,
    },
    Type {
        id: "person",
        fr: "Personne",
        en: "Person",
        classes: &["schema:Person"],
        within: None,
    },
    Type {
        id: "territory",
        fr: "Territoire (région, département, EPCI, commune, QPV)",
        en: "Territory",
        classes: &["lg:Territory"],
        within: None,
    },
    Type {
        id: "epci",
        fr: "EPCI (intercommunalité)",
        en: "EPCI (inter-municipal body)",
        classes: &["lg:EPCI"],
        within: None,
    },
    Type {
        id: "commune",
        fr: "Commune",
        en: "Municipality",
        classes: &["lg:Commune"],
        within: None,
    },
    Type {
        id: "qpv",
        fr: "Quartier prioritaire (QPV)",
        en: "Priority neighbourhood (QPV)",
        classes: &["lg:QPV"],
        within: None,
    },
    Type {
        id: "theme",
        fr: "Thème de la transition",
        en: "Transition theme",
        classes: &["skos:Concept"],
        within: Some("theme/scheme"),
    },
    Type {
        id: "sdg-goal",
        fr: "Objectif de développement durable",
        en: "Sustainable Development Goal",
        classes: &["lg:SDGGoal"],
        within: None,
    },
    Type {
        id: "sdg-target",
        fr: "Cible ODD",
        en: "SDG target",
        classes: &["lg:SDGTarget"],
        within: None,
    },
    Type {
        id: "seminar",
        fr: "Séminaire",
        en: "Seminar",
        classes: &["lg:Seminar"],
        within: None,
    },
    Type {
        id: "action",
        fr: "Action",
        en: "Action",
        classes: &["lg:Action"],
        within: None,
    },
];

/// A property a query can be sharpened with, or a row extended with.
#[derive(Debug, Clone, Copy)]
pub struct Property {
    pub id: &'static str,
    pub fr: &'static str,
    pub en: &'static str,
}

/// The properties a query can give (`pid`).
pub const CONDITIONS: &[Property] = &[
    Property {
        id: "code",
        fr: "Identifiant (SIREN, code INSEE, code QPV, numéro ODD)",
        en: "Identifier (SIREN, INSEE code, QPV code, SDG number)",
    },
    Property {
        id: "siren",
        fr: "SIREN",
        en: "SIREN",
    },
    Property {
        id: "insee",
        fr: "Code INSEE",
        en: "INSEE code",
    },
    Property {
        id: "qpv",
        fr: "Code QPV",
        en: "QPV code",
    },
    Property {
        id: "city",
        fr: "Commune (nom ou code INSEE)",
        en: "Municipality (name or INSEE code)",
    },
];

/// The properties data extension gives back.
pub const EXTENSIONS: &[Property] = &[
    Property {
        id: "label",
        fr: "Libellé",
        en: "Label",
    },
    Property {
        id: "code",
        fr: "Identifiant",
        en: "Identifier",
    },
    Property {
        id: "type",
        fr: "Type",
        en: "Type",
    },
    Property {
        id: "in",
        fr: "Situé dans / fait partie de",
        en: "Located in / part of",
    },
    Property {
        id: "sdg",
        fr: "Cibles ODD liées (avec leur statut)",
        en: "Linked SDG targets (with their status)",
    },
    Property {
        id: "page",
        fr: "Page du référentiel",
        en: "Page of the référentiel",
    },
];

/// One query of a batch.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub types: Vec<String>,
    pub limit: usize,
    pub conditions: Vec<(String, String)>,
}

/// A candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub types: Vec<TypeRef>,
    pub score: f64,
    #[serde(rename = "match")]
    pub matched: bool,
    /// Why it matched (French / English), when it is a match.
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TypeRef {
    pub id: String,
    pub name: String,
}

/// The type of an id, or an error that lists them.
pub fn type_of(id: &str) -> Result<&'static Type> {
    TYPES.iter().find(|t| t.id == id).ok_or_else(|| {
        Error::Usage(format!(
            "type inconnu / unknown type '{id}': {}",
            TYPES.iter().map(|t| t.id).collect::<Vec<_>>().join(", ")
        ))
    })
}

fn expand(name: &str) -> NamedNode {
    let (prefix, local) = name.split_once(':').unwrap_or(("lg", name));
    let namespace = vocab::PREFIXES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map_or(LG, |(_, n)| *n);
    NamedNode::new_unchecked(format!("{namespace}{local}"))
}

/// The types a resource's classes belong to.
fn types_of(classes: &[String], links_theme_scheme: bool) -> Vec<TypeRef> {
    TYPES
        .iter()
        .filter(|t| t.within.is_none() || links_theme_scheme)
        .filter(|t| {
            t.classes
                .iter()
                .any(|c| classes.iter().any(|k| *k == expand(c).as_str()))
        })
        .map(|t| TypeRef {
            id: t.id.to_owned(),
            name: t.fr.to_owned(),
        })
        .collect()
}

/// The keys reconciliation compares: identifiers (whole, normalised) and names
/// (normalised), read from the store.
fn keys(store: &GraphStore, iri: &NamedNode) -> Result<(Vec<String>, Vec<String>)> {
    let mut codes = Vec::new();
    let mut names = Vec::new();
    let (statements, _) = store.statements(iri)?;
    for t in statements {
        let Term::Literal(l) = &t.object else {
            continue;
        };
        let p = t.predicate.as_str();
        let value = normalise(l.value());
        if p == vocab::dct::IDENTIFIER.as_str() || p.ends_with("skos/core#notation") {
            codes.push(value);
        } else if [
            "http://schema.org/name",
            "http://www.w3.org/2004/02/skos/core#prefLabel",
            "http://www.w3.org/2004/02/skos/core#altLabel",
            "http://www.w3.org/2000/01/rdf-schema#label",
            "http://purl.org/dc/terms/title",
            "http://schema.org/alternateName",
        ]
        .contains(&p)
        {
            names.push(value);
        }
    }
    Ok((codes, names))
}

/// The candidates of one query, best first.
pub fn reconcile(store: &GraphStore, index: &TextIndex, query: &Query) -> Result<Vec<Candidate>> {
    let text = query.text.trim();
    let limit = query.limit.clamp(1, 100);
    let mut request = Request::new(text, (limit * 3).max(10));
    request.every_word = false;
    for id in &query.types {
        let t = type_of(id)?;
        request.types.extend(t.classes.iter().map(|c| expand(c)));
        if let Some(within) = t.within {
            request.within.push(vec![store.base().local(within)]);
        }
    }
    // Conditions: codes the candidate must carry (a boost, and a match), a city it must be
    // in or linked to.
    let mut codes = Vec::new();
    for (pid, value) in &query.conditions {
        match pid.as_str() {
            "code" | "siren" | "insee" | "qpv" => codes.push(normalise(value)),
            "city" => {
                let cities = communes(store, index, value)?;
                if cities.is_empty() {
                    return Ok(Vec::new());
                }
                request.within.push(cities);
            }
            other => {
                return Err(Error::Usage(format!(
                    "propriété inconnue / unknown property '{other}': {}",
                    CONDITIONS
                        .iter()
                        .map(|p| p.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    let wanted = normalise(text);
    let theme_scheme = store.base().local("theme/scheme");
    let mut candidates = Vec::new();
    let found = if text.is_empty() {
        super::Found {
            total: 0,
            hits: Vec::new(),
        }
    } else {
        index.search(&request)?
    };
    let top = found
        .hits
        .first()
        .map_or(1.0, |h| f64::from(h.score))
        .max(1e-6);
    for hit in found.hits {
        let iri = NamedNode::new_unchecked(&hit.iri);
        let (own_codes, names) = keys(store, &iri)?;
        let by_code = !wanted.is_empty() && own_codes.contains(&wanted);
        let by_name = names.contains(&wanted);
        let code_ok = codes.iter().all(|c| own_codes.contains(c));
        if !codes.is_empty() && !code_ok {
            continue;
        }
        let matched = by_code || by_name || (!codes.is_empty() && code_ok);
        let score = if matched {
            100.0
        } else {
            (99.0 * f64::from(hit.score) / top).min(99.0) * 0.9
        };
        let description = if by_code {
            "identifiant exact / exact identifier"
        } else if by_name {
            "nom ou sigle exact (normalisé) / exact name or acronym (normalised)"
        } else if matched {
            "identifiant donné en propriété / identifier given as a property"
        } else {
            ""
        };
        let links_scheme = index.links_to(&hit.iri, &theme_scheme)?;
        candidates.push(Candidate {
            id: hit.iri.clone(),
            name: hit.label.clone(),
            types: types_of(&hit.types, links_scheme),
            score: (score * 100.0).round() / 100.0,
            matched,
            description: description.to_owned(),
        });
    }
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    // A match shared by several candidates is no match: the author must choose.
    if candidates.iter().filter(|c| c.matched).count() > 1 {
        for c in &mut candidates {
            c.matched = false;
        }
    }
    candidates.truncate(limit);
    Ok(candidates)
}

/// The communes a city names: by INSEE code or by name.
fn communes(store: &GraphStore, index: &TextIndex, city: &str) -> Result<Vec<NamedNode>> {
    let query = Query {
        text: city.to_owned(),
        types: vec!["commune".into()],
        limit: 5,
        conditions: Vec::new(),
    };
    Ok(reconcile(store, index, &query)?
        .into_iter()
        .filter(|c| c.matched)
        .map(|c| NamedNode::new_unchecked(c.id))
        .collect())
}

/// Entities whose label starts with `prefix` (OpenRefine's suggest, as one types).
pub fn suggest(
    index: &TextIndex,
    prefix: &str,
    types: &[String],
    limit: usize,
) -> Result<Vec<(String, String, String)>> {
    let mut request = Request::new(prefix, limit.clamp(1, 50));
    request.every_word = true;
    for id in types {
        request
            .types
            .extend(type_of(id)?.classes.iter().map(|c| expand(c)));
    }
    let found = index.suggest(&request)?;
    Ok(found
        .hits
        .into_iter()
        .map(|h| {
            let description = h
                .types
                .first()
                .map(|t| vocab::prefixed(t))
                .unwrap_or_default();
            (h.iri, h.label, description)
        })
        .collect())
}

/// Data extension: for each id, the values of each property.
pub fn extend(
    store: &GraphStore,
    ids: &[String],
    properties: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, Vec<serde_json::Value>>>> {
    for p in properties {
        if !EXTENSIONS.iter().any(|e| e.id == p) {
            return Err(Error::Usage(format!(
                "propriété inconnue / unknown property '{p}': {}",
                EXTENSIONS
                    .iter()
                    .map(|e| e.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut rows = BTreeMap::new();
    for id in ids {
        let iri = NamedNode::new(id.as_str()).map_err(|e| Error::Iri {
            iri: id.clone(),
            message: e.to_string(),
        })?;
        let (statements, _) = store.statements(&iri)?;
        let subject = oxigraph::model::NamedOrBlankNode::NamedNode(iri.clone());
        let own: Vec<_> = statements.iter().filter(|t| t.subject == subject).collect();
        let mut linked = Vec::new();
        let mut values: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
        for p in properties {
            let list = values.entry(p.clone()).or_default();
            match p.as_str() {
                "label" => {
                    let labels = store.labels(std::slice::from_ref(&iri), &["fr", "en"])?;
                    if let Some(l) = labels.get(&iri) {
                        list.push(serde_json::json!({ "str": l.text }));
                    }
                }
                "code" => {
                    for t in &statements {
                        if let Term::Literal(l) = &t.object
                            && (t.predicate == vocab::dct::IDENTIFIER
                                || t.predicate.as_str().ends_with("skos/core#notation"))
                        {
                            list.push(serde_json::json!({ "str": l.value() }));
                        }
                    }
                }
                "type" => {
                    for t in &own {
                        if t.predicate == oxigraph::model::vocab::rdf::TYPE
                            && let Term::NamedNode(c) = &t.object
                        {
                            list.push(serde_json::json!({ "str": vocab::prefixed(c.as_str()) }));
                        }
                    }
                }
                "in" => {
                    for t in &own {
                        if (t.predicate == vocab::schema::CONTAINED_IN_PLACE
                            || t.predicate == vocab::skos::BROADER)
                            && let Term::NamedNode(o) = &t.object
                        {
                            linked.push(o.clone());
                            list.push(serde_json::json!({ "id": o.as_str() }));
                        }
                    }
                }
                "sdg" => {
                    for (target, status) in sdg_links(store, &iri)? {
                        linked.push(target.clone());
                        list.push(serde_json::json!({ "id": target.as_str(), "status": status }));
                    }
                }
                "page" => {
                    list.push(serde_json::json!({
                        "str": crate::pages::href(store.base(), iri.as_str(), true)
                    }));
                }
                _ => {}
            }
        }
        // Linked resources carry their names.
        let names = store.labels(&linked, &["fr", "en"])?;
        for list in values.values_mut() {
            for v in list.iter_mut() {
                if let Some(id) = v.get("id").and_then(|i| i.as_str())
                    && let Some(l) = names.get(&NamedNode::new_unchecked(id))
                {
                    v["name"] = serde_json::Value::from(l.text.clone());
                }
            }
        }
        rows.insert(id.clone(), values);
    }
    Ok(rows)
}

/// The SDG concepts a resource is linked to, with the status of each link: a theme's
/// mappings (`lg:sdgMapping`), an action's contributions, each a node of its own that
/// says its status.
pub fn sdg_links(store: &GraphStore, iri: &NamedNode) -> Result<Vec<(NamedNode, String)>> {
    let mut links = Vec::new();
    for t in store.objects(iri, None)? {
        let Term::NamedNode(node) = t else { continue };
        if !node.as_str().starts_with(&format!("{}/", iri.as_str())) {
            continue;
        }
        let mut target = None;
        let mut status = String::new();
        for (p, o) in store
            .statements(&node)?
            .0
            .into_iter()
            .map(|t| (t.predicate, t.object))
        {
            match (p.as_str(), o) {
                (p, Term::NamedNode(o)) if p == format!("{LG}status") => {
                    status = o.as_str().trim_start_matches(LG).to_owned();
                }
                (_, Term::NamedNode(o)) if o.as_str().starts_with(vocab::SDG) => target = Some(o),
                _ => {}
            }
        }
        if let Some(target) = target {
            links.push((target, status));
        }
    }
    links.sort();
    links.dedup();
    Ok(links)
}
