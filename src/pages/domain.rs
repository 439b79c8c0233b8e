//! The domain view of a page: for a resource of a known class, the answers of the named
//! queries that ask about it (a seminar's programme and speakers, its documents and
//! recommendations; a series' seminars; a theme's overview; an SDG goal's actions; a
//! territory's seminars and SDG coverage), with the resource bound as their parameter.
//! The pages and the competency questions say the same thing because they run the same
//! SPARQL.
//!
//! A column holding an IRI that has a companion column of its name (`?person` and
//! `?personName`) shows as one column: the name, linked to the IRI's page.

use oxigraph::model::{NamedNode, Term, Variable};
use oxigraph::sparql::{CancellationToken, QueryResults};
use serde::Serialize;

use crate::error::Result;
use crate::iri::BaseIri;
use crate::queries;
use crate::store::{Controls, GraphStore};
use crate::vocab::LG;

/// A section of the domain view: which class, which named query, bound how, titled how.
struct Kind {
    class: &'static str,
    query: &'static str,
    param: &'static str,
    fr: &'static str,
    en: &'static str,
}

const SCHEMA_EVENT_SERIES: &str = "http://schema.org/EventSeries";
const SKOS_CONCEPT: &str = "http://www.w3.org/2004/02/skos/core#Concept";

#[rustfmt::skip]
const KINDS: &[Kind] = &[
    Kind { class: "Seminar", query: "seminar-speakers", param: "seminar",
        fr: "Programme et intervenants", en: "programme and speakers" },
    Kind { class: "Seminar", query: "seminar-resources", param: "seminar",
        fr: "Documents partagés", en: "shared documents" },
    Kind { class: "Seminar", query: "workshop-recommendations", param: "seminar",
        fr: "Recommandations des ateliers", en: "workshop recommendations" },
    Kind { class: SCHEMA_EVENT_SERIES, query: "series-seminars", param: "series",
        fr: "Séminaires de la série", en: "seminars of the series" },
    Kind { class: SKOS_CONCEPT, query: "theme-overview", param: "theme",
        fr: "Ce qui traite de ce thème", en: "what addresses this theme" },
    Kind { class: "SDGGoal", query: "goal-actions", param: "goal",
        fr: "Actions liées à cet objectif, et ce qui fonde chaque lien", en: "actions linked to this goal, and what each link rests on" },
    Kind { class: "Territory", query: "seminars-on-territory", param: "territory",
        fr: "Séminaires sur ce territoire", en: "seminars on this territory" },
    Kind { class: "Territory", query: "territory-sdg-coverage", param: "territory",
        fr: "Couverture ODD", en: "SDG coverage" },
];

/// The territory classes (subclasses of lg:Territory).
const TERRITORIES: [&str; 6] = [
    "Region",
    "Departement",
    "PoleMetropolitain",
    "EPCI",
    "Commune",
    "QPV",
];

/// One section: a title, its columns and rows, and the named query it comes from.
#[derive(Debug, Serialize)]
pub struct Section {
    pub fr: &'static str,
    pub en: &'static str,
    pub query: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A cell: its text, and where it leads when it names a resource.
#[derive(Debug, Serialize)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub language: String,
}

fn class_iri(class: &str) -> String {
    if class.contains(':') {
        class.to_owned()
    } else {
        format!("{LG}{class}")
    }
}

/// Whether a resource of these types gets this section.
fn applies(kind: &Kind, types: &[NamedNode]) -> bool {
    let has = |class: &str| types.iter().any(|t| t.as_str() == class_iri(class));
    if kind.class == "Territory" {
        TERRITORIES.iter().any(|c| has(c))
    } else {
        has(kind.class)
    }
}

/// The sections of the domain view of `subject` (of types `types`); sections whose query
/// answers nothing are left out.
pub fn sections(
    store: &GraphStore,
    subject: &NamedNode,
    types: &[NamedNode],
    cancel: &CancellationToken,
) -> Result<Vec<Section>> {
    let mut sections = Vec::new();
    for kind in KINDS.iter().filter(|k| applies(k, types)) {
        let query = queries::find(kind.query)?;
        let prepared = store.prepare(query.text)?;
        let bindings = vec![(
            Variable::new_unchecked(kind.param),
            Term::from(subject.clone()),
        )];
        let controls = Controls {
            dataset: None,
            cancel: Some(cancel.clone()),
        };
        let QueryResults::Solutions(solutions) =
            store.evaluate_with(prepared, bindings, &controls)?
        else {
            continue;
        };
        let variables: Vec<String> = solutions
            .variables()
            .iter()
            .map(|v| v.as_str().to_owned())
            .collect();
        let mut rows: Vec<Vec<Option<Term>>> = Vec::new();
        for solution in solutions {
            let solution = solution.map_err(crate::store::evaluation_error)?;
            rows.push(
                variables
                    .iter()
                    .map(|v| solution.get(v.as_str()).cloned())
                    .collect(),
            );
        }
        if rows.is_empty() {
            continue;
        }
        sections.push(table(kind, &variables, rows, subject, store.base()));
    }
    Ok(sections)
}

/// The companion column that names an IRI column, if any.
fn companion(variables: &[String], column: &str) -> Option<usize> {
    ["Name", "Label"].iter().find_map(|suffix| {
        variables
            .iter()
            .position(|v| *v == format!("{column}{suffix}"))
    })
}

fn table(
    kind: &Kind,
    variables: &[String],
    rows: Vec<Vec<Option<Term>>>,
    subject: &NamedNode,
    base: &BaseIri,
) -> Section {
    let named: Vec<usize> = (0..variables.len())
        .filter_map(|i| companion(variables, &variables[i]))
        .collect();
    // Columns shown: not the parameters (the page's own resource, or what the query
    // echoes back), not a companion (shown in its IRI's column), not always empty.
    let shown: Vec<usize> = (0..variables.len())
        .filter(|i| !named.contains(i))
        .filter(|i| {
            rows.iter().any(|row| {
                row[*i]
                    .as_ref()
                    .is_some_and(|t| *t != Term::from(subject.clone()))
            })
        })
        .filter(|i| variables[*i] != kind.param)
        .collect();
    let cell = |row: &[Option<Term>], i: usize| -> Cell {
        let label = companion(variables, &variables[i]).and_then(|c| row[c].clone());
        match (&row[i], label) {
            (Some(Term::NamedNode(n)), label) => {
                let (text, language) = match label {
                    Some(Term::Literal(l)) => (
                        l.value().to_owned(),
                        l.language().unwrap_or_default().to_owned(),
                    ),
                    _ => (n.as_str().to_owned(), String::new()),
                };
                Cell {
                    text,
                    href: Some(
                        super::local_path(base, n.as_str())
                            .unwrap_or_else(|| n.as_str().to_owned()),
                    ),
                    language,
                }
            }
            (Some(Term::Literal(l)), _) => Cell {
                text: l.value().to_owned(),
                href: None,
                language: l.language().unwrap_or_default().to_owned(),
            },
            (Some(other), _) => Cell {
                text: other.to_string(),
                href: None,
                language: String::new(),
            },
            (None, _) => Cell {
                text: String::new(),
                href: None,
                language: String::new(),
            },
        }
    };
    Section {
        fr: kind.fr,
        en: kind.en,
        query: kind.query,
        columns: shown.iter().map(|i| heading(&variables[*i])).collect(),
        rows: rows
            .iter()
            .map(|row| shown.iter().map(|i| cell(row, *i)).collect())
            .collect(),
    }
}

/// Column headings in French for the variables of the named queries.
#[rustfmt::skip]
const HEADINGS: &[(&str, &str)] = &[
    ("session", "séance"), ("event", "partie"), ("person", "intervenant·e"), ("title", "fonction"),
    ("institution", "institution"), ("resource", "document"), ("resourceType", "type"),
    ("encodingFormat", "format"), ("contentSize", "taille"), ("theme", "thème"),
    ("startDate", "date"), ("rank", "rang"), ("previous", "précédent"), ("item", "élément"),
    ("kind", "nature"), ("action", "action"), ("sdgConcept", "concept ODD"),
    ("sdgNotation", "n°"), ("territory", "territoire"), ("territoryKind", "niveau"),
    ("seminarTerritory", "territoire"), ("lead", "porteur"), ("linkStatus", "statut du lien"),
    ("rule", "règle"), ("derivedFromStatus", "statut de sa source"),
    ("assertionMethod", "méthode"), ("assertedBy", "établi par"), ("assertedAt", "le"),
    ("goal", "objectif"), ("goalNotation", "n°"),
    ("actionsOnTerritory", "actions sur le territoire"),
    ("actionsAtLargerScale", "actions à une échelle plus large"),
    ("actionsWithoutTerritory", "actions sans territoire connu"), ("workshop", "atelier"),
    ("recommendation", "recommandation"), ("recommendationText", "texte"), ("sdg", "ODD"),
    ("mappingStatus", "statut de la correspondance"), ("note", "note"),
    ("organizer", "organisateur"), ("series", "série"), ("seminar", "séminaire"),
    ("matchedTheme", "thème traité"), ("status", "statut"),
];

/// A variable as a column heading: its French name, else `startDate` → `start date`.
fn heading(variable: &str) -> String {
    if let Some((_, fr)) = HEADINGS.iter().find(|(v, _)| *v == variable) {
        return (*fr).to_owned();
    }
    let mut out = String::new();
    for c in variable.chars() {
        if c.is_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
