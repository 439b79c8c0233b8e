//! The domain view of a page: for a resource of a known class, the answers of the named
//! queries that ask about it (a seminar's programme and speakers, its documents and
//! recommendations; a series' seminars; a theme's overview; an SDG goal's actions; a
//! territory's seminars and SDG coverage), with the resource bound as their parameter.
//! The pages and the competency questions say the same thing because they run the same
//! SPARQL.
//!
//! A column holding an IRI that has a companion column of its name (`?person` and
//! `?personName`) shows as one column: the name, linked to the IRI's page.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{LazyLock, Mutex};

use oxigraph::model::{NamedNode, Term, Variable};
use oxigraph::sparql::{CancellationToken, QueryResults};
use serde::Serialize;

use crate::error::Result;
use crate::iri::BaseIri;
use crate::queries;
use crate::store::{Controls, GraphStore, Label};
use crate::vocab::LG;

/// A section of the domain view: which class, which query, bound how, titled how.
struct Kind {
    class: &'static str,
    query: Source,
    param: &'static str,
    fr: &'static str,
    en: &'static str,
}

/// Where a section's query comes from: a named query (a competency question, whose
/// answer the page shows), or a query of the pages only (`queries/internal/page-*.rq`).
#[derive(Clone, Copy)]
enum Source {
    Named(&'static str),
    Page(&'static str, &'static str),
}

use Source::{Named, Page};

const PAGE_SDG_CONCEPT: Source = Page(
    "page-sdg-concept",
    include_str!("../../queries/internal/page-sdg-concept.rq"),
);
const PAGE_SEMINAR_SDG_THEMES: Source = Page(
    "page-seminar-sdg-themes",
    include_str!("../../queries/internal/page-seminar-sdg-themes.rq"),
);
const PAGE_SEMINAR_SDG_ACTIONS: Source = Page(
    "page-seminar-sdg-actions",
    include_str!("../../queries/internal/page-seminar-sdg-actions.rq"),
);
const PAGE_SEMINAR_NEXT: Source = Page(
    "page-seminar-next",
    include_str!("../../queries/internal/page-seminar-next.rq"),
);
const PAGE_SEMINAR_QUESTIONS: Source = Page(
    "page-seminar-questions",
    include_str!("../../queries/internal/page-seminar-questions.rq"),
);
const PAGE_TERRITORY: Source = Page(
    "page-territory",
    include_str!("../../queries/internal/page-territory.rq"),
);

const SCHEMA_EVENT_SERIES: &str = "http://schema.org/EventSeries";
const SCHEMA_PERSON: &str = "http://schema.org/Person";
const SCHEMA_ORGANIZATION: &str = "http://schema.org/Organization";
const SKOS_CONCEPT: &str = "http://www.w3.org/2004/02/skos/core#Concept";

#[rustfmt::skip]
const KINDS: &[Kind] = &[
    Kind { class: "Seminar", query: Named("series-seminars"), param: "seminar",
        fr: "Dans la série", en: "in the series" },
    Kind { class: "Seminar", query: PAGE_SEMINAR_NEXT, param: "seminar",
        fr: "Séminaire suivant de la série", en: "next seminar of the series" },
    Kind { class: "Seminar", query: Named("seminar-speakers"), param: "seminar",
        fr: "Programme et intervenants", en: "programme and speakers" },
    Kind { class: "Seminar", query: PAGE_SEMINAR_QUESTIONS, param: "seminar",
        fr: "Questions posées aux ateliers", en: "the workshops' guiding questions" },
    Kind { class: "Seminar", query: Named("seminar-resources"), param: "seminar",
        fr: "Documents partagés", en: "shared documents" },
    Kind { class: "Seminar", query: Named("workshop-recommendations"), param: "seminar",
        fr: "Recommandations des ateliers", en: "workshop recommendations" },
    Kind { class: "Seminar", query: PAGE_SEMINAR_SDG_THEMES, param: "seminar",
        fr: "Objectifs et cibles ODD de ses thèmes, et le statut de chaque correspondance", en: "SDG goals and targets of its themes, and the status of each mapping" },
    Kind { class: "Seminar", query: PAGE_SEMINAR_SDG_ACTIONS, param: "seminar",
        fr: "Objectifs et cibles ODD des actions qui y ont été présentées, et le statut de chaque lien", en: "SDG goals and targets of the actions presented there, and the status of each link" },
    Kind { class: SCHEMA_EVENT_SERIES, query: Named("series-seminars"), param: "series",
        fr: "Séminaires de la série", en: "seminars of the series" },
    Kind { class: SCHEMA_EVENT_SERIES, query: Named("lab-institutions"), param: "series",
        fr: "Institutions du Lab", en: "the Lab's institutions" },
    Kind { class: SCHEMA_PERSON, query: Named("seminar-speakers"), param: "person",
        fr: "Interventions", en: "talks and workshops" },
    Kind { class: SCHEMA_ORGANIZATION, query: Named("seminar-speakers"), param: "institution",
        fr: "Intervenants pour cette institution", en: "speakers on its behalf" },
    Kind { class: SCHEMA_ORGANIZATION, query: Named("lab-institutions"), param: "institution",
        fr: "Place dans le Lab des transitions", en: "part in the Lab des transitions" },
    Kind { class: SKOS_CONCEPT, query: Named("theme-overview"), param: "theme",
        fr: "Ce qui traite de ce thème", en: "what addresses this theme" },
    Kind { class: "SDGGoal", query: PAGE_SDG_CONCEPT, param: "concept",
        fr: "Ce qui est relié à cet objectif ou à ses cibles, et ce qui fonde chaque lien", en: "what is linked to this goal or its targets, and what each link rests on" },
    Kind { class: "SDGTarget", query: PAGE_SDG_CONCEPT, param: "concept",
        fr: "Ce qui est relié à cette cible ou à ses indicateurs, et ce qui fonde chaque lien", en: "what is linked to this target or its indicators, and what each link rests on" },
    Kind { class: "SDGIndicator", query: PAGE_SDG_CONCEPT, param: "concept",
        fr: "Ce qui est relié à cet indicateur, et ce qui fonde chaque lien", en: "what is linked to this indicator, and what each link rests on" },
    Kind { class: "SDGGoal", query: Named("goal-actions"), param: "goal",
        fr: "Actions liées à cet objectif, en détail", en: "actions linked to this goal, in detail" },
    Kind { class: "Action", query: Named("goal-actions"), param: "action",
        fr: "Objectifs et cibles ODD de cette action, et ce qui fonde chaque lien", en: "SDG goals and targets of this action, and what each link rests on" },
    Kind { class: "Territory", query: PAGE_TERRITORY, param: "territory",
        fr: "Sur ce territoire", en: "on this territory" },
    Kind { class: "Territory", query: Named("seminars-on-territory"), param: "territory",
        fr: "Séminaires sur ce territoire", en: "seminars on this territory" },
    Kind { class: "Territory", query: Named("territory-sdg-coverage"), param: "territory",
        fr: "Couverture ODD", en: "SDG coverage" },
];

/// One section: a title, its columns and rows, and the named query it comes from.
#[derive(Debug, Serialize)]
pub struct Section {
    pub fr: &'static str,
    pub en: &'static str,
    pub query: &'static str,
    /// The query page, with the section's query bound as the page ran it.
    pub href: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Its query ran out of the section's budget: the page shows it without rows.
    pub too_long: bool,
}

/// A cell: its text, and where it leads when it names a resource.
#[derive(Debug, PartialEq, Serialize)]
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
    // The SDG concepts are SKOS concepts too, but not themes.
    if kind.class == SKOS_CONCEPT
        && ["SDGGoal", "SDGTarget", "SDGIndicator"]
            .iter()
            .any(|c| has(c))
    {
        return false;
    }
    if kind.class == "Territory" {
        crate::vocab::TERRITORY_CLASSES.iter().any(|c| has(c))
    } else {
        has(kind.class)
    }
}

/// A section's answer: its kind, its query's name, the query as the page ran it, its
/// variables and rows.
type Answer = (
    &'static Kind,
    &'static str,
    String,
    Vec<String>,
    Vec<Vec<Option<Term>>>,
);

/// The answer of one section's query for `subject`, or none when it has no row.
fn section_answer(
    store: &GraphStore,
    kind: &'static Kind,
    subject: &NamedNode,
    cancel: &CancellationToken,
) -> Result<Option<Answer>> {
    let (name, text) = (kind.name(), kind.text()?);
    let started = std::time::Instant::now();
    let (variables, rows) = answer(
        store,
        text,
        vec![(
            Variable::new_unchecked(kind.param),
            Term::from(subject.clone()),
        )],
        cancel,
    )?;
    let rows = rows.collect::<Result<Vec<_>>>()?;
    tracing::debug!(
        query = name,
        rows = rows.len(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "domain view section"
    );
    if rows.is_empty() {
        return Ok(None);
    }
    // The query as the page ran it, to open in the query page.
    Ok(Some((
        kind,
        name,
        bound_text(kind, subject),
        variables,
        rows,
    )))
}

/// The sections of the domain view of `subject` (of types `types`); sections whose query
/// answers nothing are left out.
pub fn sections(
    store: &GraphStore,
    subject: &NamedNode,
    types: &[NamedNode],
    cancel: &CancellationToken,
) -> Result<Vec<Section>> {
    // One thread per section: the page waits for the slowest query, not for their sum.
    // Each has its own budget: a section whose query runs longer is left out with a word
    // (its query opens in the query page), instead of holding the whole page to the
    // server's time budget. The request's own cancellation still cancels them all.
    let sections_token = CancellationToken::new();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let started = std::time::Instant::now();
    let token = &sections_token;
    let outcomes: Vec<(&'static Kind, Result<Option<Answer>>)> = std::thread::scope(|scope| {
        // The watch ends as soon as the sections are done (`stop` dropped).
        scope.spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(std::time::Duration::from_millis(5))
            {
                if cancel.is_cancelled() || started.elapsed() > SECTION_BUDGET {
                    token.cancel();
                    break;
                }
            }
        });
        let running: Vec<_> = KINDS
            .iter()
            .filter(|k| applies(k, types))
            .map(|kind| {
                let thread = crate::bounds::spawn_large(scope, move || {
                    section_answer(store, kind, subject, token)
                });
                (kind, thread)
            })
            .collect();
        let outcomes = running
            .into_iter()
            .map(|(kind, thread)| {
                let outcome = thread.join().unwrap_or_else(|_| {
                    Err(crate::error::Error::Render(format!(
                        "the query {} panicked",
                        kind.name()
                    )))
                });
                (kind, outcome)
            })
            .collect();
        drop(stop);
        outcomes
    });
    // In the order of the kinds: each answer, and whether its query ran out of time (it is
    // then shown without rows).
    let mut answers: Vec<(Answer, bool)> = Vec::new();
    for (kind, outcome) in outcomes {
        match outcome {
            Ok(Some(answer)) => answers.push((answer, false)),
            Ok(None) => {}
            Err(_) if sections_token.is_cancelled() && !cancel.is_cancelled() => {
                tracing::info!(
                    query = kind.name(),
                    "a page's section ran out of its budget"
                );
                let bound = bound_text(kind, subject);
                answers.push(((kind, kind.name(), bound, Vec::new(), Vec::new()), true));
            }
            Err(e) => return Err(e),
        }
    }
    // A label for every IRI the answers name: the text of a cell without a companion
    // name, and whether the store describes an IRI outside the base (its page is here).
    let labels = labels_of(
        store,
        answers
            .iter()
            .map(|((_, _, _, variables, rows), _)| (variables.as_slice(), rows.as_slice())),
    )?;
    Ok(answers
        .into_iter()
        .map(|((kind, name, bound, variables, rows), too_long)| {
            let (columns, rows) = table(
                Some(kind.param),
                &variables,
                rows,
                Some(subject),
                store.base(),
                &labels,
            );
            Section {
                fr: kind.fr,
                en: kind.en,
                query: name,
                href: super::query_page(&bound),
                columns,
                rows,
                too_long,
            }
        })
        .collect())
}

/// How long a section's query may run before the page is shown without it.
const SECTION_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

impl Kind {
    fn name(&self) -> &'static str {
        match self.query {
            Named(name) | Page(name, _) => name,
        }
    }

    /// The text of its query.
    fn text(&self) -> Result<&'static str> {
        Ok(match self.query {
            Named(name) => queries::find(name)?.text,
            Page(_, text) => text,
        })
    }
}

/// A section's query text, with the page's resource bound by a trailing `VALUES`.
fn bound_text(kind: &Kind, subject: &NamedNode) -> String {
    let text = kind.text().unwrap_or_default();
    format!(
        "{}\nVALUES ?{} {{ <{}> }}\n",
        text.trim_end(),
        kind.param,
        subject.as_str()
    )
}

/// The labels a page needs for the IRIs of answers (each its variables and rows): those
/// of the IRIs the answer does not name (no companion value in the row), and those outside
/// the base IRI, whose label says the store describes them (their page is here).
pub(super) fn labels_of<'r>(
    store: &GraphStore,
    answers: impl Iterator<Item = (&'r [String], &'r [Vec<Option<Term>>])>,
) -> Result<BTreeMap<NamedNode, Label>> {
    let base = store.base().as_str();
    let mut iris: BTreeSet<NamedNode> = BTreeSet::new();
    for (variables, rows) in answers {
        let companions: Vec<Option<usize>> =
            variables.iter().map(|v| companion(variables, v)).collect();
        for row in rows {
            for (term, named) in row.iter().zip(&companions) {
                if let Some(Term::NamedNode(n)) = term
                    && (!n.as_str().starts_with(base) || named.is_none_or(|c| row[c].is_none()))
                {
                    iris.insert(n.clone());
                }
            }
        }
    }
    store.labels(&iris.into_iter().collect::<Vec<_>>(), &super::LANGUAGES)
}

/// The rows of a query's answer, each in the order of `variables`.
type Rows = Box<dyn Iterator<Item = Result<Vec<Option<Term>>>>>;

/// `text` parsed once per process: the pages' queries are bundled, and a page runs up to
/// ten of them.
fn prepared(store: &GraphStore, text: &'static str) -> Result<crate::store::Prepared> {
    static PARSED: LazyLock<Mutex<HashMap<&'static str, crate::store::Prepared>>> =
        LazyLock::new(Mutex::default);
    if let Some(query) = PARSED.lock().ok().and_then(|p| p.get(text).cloned()) {
        return Ok(query);
    }
    let query = store.prepare(text)?;
    if let Ok(mut parsed) = PARSED.lock() {
        parsed.insert(text, query.clone());
    }
    Ok(query)
}

/// The answer of the SELECT query `text` with `bindings`: its variables and its rows.
pub(super) fn answer(
    store: &GraphStore,
    text: &'static str,
    bindings: Vec<(Variable, Term)>,
    cancel: &CancellationToken,
) -> Result<(Vec<String>, Rows)> {
    let prepared = prepared(store, text)?;
    let controls = Controls {
        dataset: None,
        cancel: Some(cancel.clone()),
    };
    let QueryResults::Solutions(solutions) = store.evaluate_with(prepared, bindings, &controls)?
    else {
        return Err(crate::error::Error::Render(
            "a page's query is a SELECT query".into(),
        ));
    };
    let variables: Vec<String> = solutions
        .variables()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let names = variables.clone();
    let rows = solutions.map(move |solution| {
        let solution = solution.map_err(crate::store::evaluation_error)?;
        Ok(names
            .iter()
            .map(|v| solution.get(v.as_str()).cloned())
            .collect())
    });
    Ok((variables, Box::new(rows)))
}

/// The companion column that names an IRI column, if any.
fn companion(variables: &[String], column: &str) -> Option<usize> {
    ["Name", "Label"].iter().find_map(|suffix| {
        variables
            .iter()
            .position(|v| *v == format!("{column}{suffix}"))
    })
}

/// The columns and rows a page shows of a query's answer. The column of `param` is left
/// out, and so is `subject` (the page's own resource) wherever a column holds nothing
/// else; rows that show the same cells are shown once.
pub(super) fn table(
    param: Option<&str>,
    variables: &[String],
    rows: Vec<Vec<Option<Term>>>,
    subject: Option<&NamedNode>,
    base: &BaseIri,
    labels: &BTreeMap<NamedNode, Label>,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let subject = subject.map(|s| Term::from(s.clone()));
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
                    .is_some_and(|t| Some(t) != subject.as_ref())
            })
        })
        .filter(|i| Some(variables[*i].as_str()) != param)
        .collect();
    let cell = |row: &[Option<Term>], i: usize| -> Cell {
        let label = companion(variables, &variables[i]).and_then(|c| row[c].clone());
        match (&row[i], label) {
            (Some(Term::NamedNode(n)), label) => {
                let (text, language) = match (label, labels.get(n)) {
                    (Some(Term::Literal(l)), _) => (
                        l.value().to_owned(),
                        l.language().unwrap_or_default().to_owned(),
                    ),
                    (_, Some(label)) => (label.text.clone(), label.language.clone()),
                    _ => (n.as_str().to_owned(), String::new()),
                };
                Cell {
                    text,
                    href: Some(super::href(base, n.as_str(), labels.contains_key(n))),
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
    let mut shown_rows: Vec<Vec<Cell>> = Vec::with_capacity(rows.len());
    for row in &rows {
        let cells: Vec<Cell> = shown.iter().map(|i| cell(row, *i)).collect();
        if !shown_rows.contains(&cells) {
            shown_rows.push(cells);
        }
    }
    (
        shown.iter().map(|i| heading(&variables[*i])).collect(),
        shown_rows,
    )
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
    ("matchedTheme", "thème traité"), ("status", "statut"), ("via", "par"), ("next", "suivant"), ("guidingQuestion", "question"),
    ("identifier", "code"), ("relation", "relation"),
    ("role", "rôle"), ("partner", "partenaire"),
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
