//! SDG targets for an action, suggested with their reasons: a partner describes an action
//! (a title, a description, maybe its themes and territory) and gets the UN targets it
//! may serve, each with why, so that a person can check before anything is written.
//!
//! Three kinds of reasons, each from the text index:
//! - **words**: the description's words found in the UN text of the target (French or
//!   English), the words named;
//! - **theme**: a theme the action names, or whose label or texts its words match, maps
//!   to the target in `mapping/themes-odd` (with that mapping's status: proposed);
//! - **similar action**: an action of the référentiel whose texts match links to the
//!   target (with that link's status: derived, stated, proposed).
//!
//! The score adds the three, each scaled to the best of its kind. A suggestion is never a
//! fact: an import takes it only as a `proposed` link that names the suggester, its score
//! and its reasons.

use std::collections::BTreeMap;

use oxigraph::model::NamedNode;
use serde::Serialize;

use super::reconcile::sdg_links;
use super::{Request, TextIndex};
use crate::error::{Error, Result};
use crate::store::GraphStore;
use crate::vocab::{self, LG};

/// What an action says of itself.
#[derive(Debug, Clone, Default)]
pub struct Action {
    pub title: String,
    pub description: String,
    /// Themes it names (IRIs).
    pub themes: Vec<NamedNode>,
    /// An action of the référentiel to leave out of the similar ones (itself).
    pub except: Option<NamedNode>,
    /// Whether the themes its words match are used (not only those it names).
    pub themes_by_words: bool,
    /// Leave similar actions out (to measure what the words alone find).
    pub no_similar: bool,
}

/// Why a target is suggested.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Reason {
    /// Words of the action found in the target's UN text.
    Words { words: Vec<String>, passage: String },
    /// A theme whose mapping leads to the target.
    Theme {
        theme: String,
        label: String,
        status: String,
        named: bool,
    },
    /// A similar action linked to the target.
    Action {
        action: String,
        label: String,
        status: String,
    },
}

/// A suggested target.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub target: String,
    pub label: String,
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// What the suggester answers: the targets, best first, or why there are none.
#[derive(Debug, Clone, Serialize)]
pub struct Suggested {
    pub suggestions: Vec<Suggestion>,
    /// Said when there is no suggestion (French / English).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The weight of each kind of reason.
const WORDS: f64 = 1.0;
const THEME: f64 = 1.2;
const SIMILAR: f64 = 0.6;

/// The words of a snippet in `<b>`.
fn highlighted(snippet: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = snippet;
    while let Some(start) = rest.find("<b>") {
        rest = &rest[start + 3..];
        let Some(end) = rest.find("</b>") else { break };
        let word = rest[..end].to_lowercase();
        if !words.contains(&word) {
            words.push(word);
        }
        rest = &rest[end + 4..];
    }
    words
}

/// Suggests SDG targets for `action`, at most `limit`.
pub fn suggest(
    store: &GraphStore,
    index: &TextIndex,
    action: &Action,
    limit: usize,
) -> Result<Suggested> {
    let text = format!("{}\n{}", action.title.trim(), action.description.trim());
    let text = text.trim();
    if text.is_empty() && action.themes.is_empty() {
        return Err(Error::Usage(
            "une action a un titre, une description ou des thèmes / an action needs a title, a description or themes".into(),
        ));
    }
    if text.chars().count() > 10 * super::LONGEST_QUERY {
        return Err(Error::Usage(format!(
            "la description dépasse {} caractères / the description is longer than {} characters",
            10 * super::LONGEST_QUERY,
            10 * super::LONGEST_QUERY
        )));
    }
    // The index takes the first words of a long description.
    let query: String = text.chars().take(super::LONGEST_QUERY).collect();
    let lg = |local: &str| NamedNode::new_unchecked(format!("{LG}{local}"));
    let mut scores: BTreeMap<String, (f64, Vec<Reason>)> = BTreeMap::new();
    let mut add = |target: &str, score: f64, reason: Reason| {
        let entry = scores.entry(target.to_owned()).or_insert((0.0, Vec::new()));
        entry.0 += score;
        entry.1.push(reason);
    };
    let search = |types: Vec<NamedNode>, within: Vec<Vec<NamedNode>>, limit: usize| {
        if query.trim().is_empty() {
            return Ok(super::Found {
                total: 0,
                hits: Vec::new(),
            });
        }
        let mut request = Request::new(query.clone(), limit);
        request.every_word = false;
        request.types = types;
        request.within = within;
        index.search(&request)
    };
    // Words in the UN texts of the targets.
    let targets = search(vec![lg("SDGTarget")], Vec::new(), 30)?;
    let best = targets.hits.first().map_or(1.0, |h| f64::from(h.score));
    for hit in &targets.hits {
        let words = highlighted(&hit.snippet);
        add(
            &hit.iri,
            WORDS * f64::from(hit.score) / best,
            Reason::Words {
                words,
                passage: hit.snippet.clone(),
            },
        );
    }
    // Themes: named, and found by words.
    let mut themes: Vec<(NamedNode, f64, bool)> = action
        .themes
        .iter()
        .map(|t| (t.clone(), 1.0, true))
        .collect();
    if action.themes_by_words {
        let scheme = store.base().local("theme/scheme");
        let found = search(
            vec![NamedNode::new_unchecked(format!("{}Concept", vocab::SKOS))],
            vec![vec![scheme]],
            5,
        )?;
        let best = found.hits.first().map_or(1.0, |h| f64::from(h.score));
        for hit in found.hits {
            let iri = NamedNode::new_unchecked(&hit.iri);
            if !themes.iter().any(|(t, _, _)| *t == iri) {
                themes.push((iri, f64::from(hit.score) / best, false));
            }
        }
    }
    let names = store.labels(
        &themes.iter().map(|(t, _, _)| t.clone()).collect::<Vec<_>>(),
        &["fr", "en"],
    )?;
    for (theme, weight, named) in &themes {
        let label = names.get(theme).map(|l| l.text.clone()).unwrap_or_default();
        for (target, status) in sdg_links(store, theme)? {
            add(
                target.as_str(),
                THEME * weight,
                Reason::Theme {
                    theme: theme.as_str().to_owned(),
                    label: label.clone(),
                    status,
                    named: *named,
                },
            );
        }
    }
    // Similar actions.
    let similar = if action.no_similar {
        super::Found {
            total: 0,
            hits: Vec::new(),
        }
    } else {
        search(vec![lg("Action")], Vec::new(), 6)?
    };
    let best = similar.hits.first().map_or(1.0, |h| f64::from(h.score));
    for hit in similar.hits {
        let iri = NamedNode::new_unchecked(&hit.iri);
        if action.except.as_ref() == Some(&iri) {
            continue;
        }
        for (target, status) in sdg_links(store, &iri)? {
            add(
                target.as_str(),
                SIMILAR * f64::from(hit.score) / best,
                Reason::Action {
                    action: hit.iri.clone(),
                    label: hit.label.clone(),
                    status,
                },
            );
        }
    }
    let mut ranked: Vec<(String, f64, Vec<Reason>)> =
        scores.into_iter().map(|(t, (s, r))| (t, s, r)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(limit.clamp(1, 50));
    let iris: Vec<NamedNode> = ranked
        .iter()
        .map(|(t, _, _)| NamedNode::new_unchecked(t))
        .collect();
    let labels = store.labels(&iris, &["fr", "en"])?;
    let suggestions: Vec<Suggestion> = ranked
        .into_iter()
        .map(|(target, score, reasons)| Suggestion {
            label: labels
                .get(&NamedNode::new_unchecked(&target))
                .map(|l| l.text.clone())
                .unwrap_or_default(),
            target,
            score: (score * 1000.0).round() / 1000.0,
            reasons,
        })
        .collect();
    let note = suggestions.is_empty().then(|| {
        "Aucune cible : ni les mots de l'action, ni ses thèmes, ni des actions semblables ne mènent à une cible ODD. / No target: neither the action's words, nor its themes, nor similar actions lead to an SDG target.".to_owned()
    });
    Ok(Suggested { suggestions, note })
}

/// The first `count` suggestions not yet linked to `action`, as the Turtle of proposed
/// links to import through the gate (`labgraph import --shared FILE --graph …`): each a
/// `lg:ContributionLink` with `lg:status lg:proposed`, `lg:assertionMethod lg:suggested`,
/// attributed to the suggester, its score and reasons in its note.
pub fn proposed_links(
    store: &GraphStore,
    action: &NamedNode,
    suggested: &Suggested,
    count: usize,
) -> Result<String> {
    let linked: Vec<String> = sdg_links(store, action)?
        .into_iter()
        .map(|(t, _)| t.as_str().to_owned())
        .collect();
    let now = oxsdatatypes::DateTime::now().to_string();
    let agent = store.base().local("agent/labgraph-suggester");
    let subject = action.as_str();
    let mut turtle = format!(
        "# Proposed by labgraph's SDG suggester for <{subject}>, {now}: proposals, not facts.\n\
         @prefix lg: <{LG}> .\n@prefix prov: <http://www.w3.org/ns/prov#> .\n\
         @prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n\
         @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n"
    );
    let quote = |s: &str| {
        let mut q = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => q.push_str("\\\""),
                '\\' => q.push_str("\\\\"),
                '\n' => q.push_str("\\n"),
                '\r' => q.push_str("\\r"),
                c => q.push(c),
            }
        }
        q.push('"');
        q
    };
    for s in suggested
        .suggestions
        .iter()
        .filter(|s| !linked.contains(&s.target))
        .take(count)
    {
        let code = s.target.rsplit('/').next().unwrap_or_default();
        let link = format!("{}/odd/{code}", action.as_str());
        let (fr, en) = explain(s);
        turtle.push_str(&format!(
            "<{subject}> lg:contributesTo <{t}> ;\n    lg:qualifiedContribution <{link}> .\n\n\
             <{link}> a lg:ContributionLink ;\n    lg:sdgConcept <{t}> ;\n    lg:status lg:proposed ;\n\
             \x20   lg:assertionMethod lg:suggested ;\n    prov:wasAttributedTo <{a}> ;\n\
             \x20   prov:generatedAtTime \"{now}\"^^xsd:dateTime ;\n\
             \x20   skos:note {}@fr , {}@en ;\n    dct:source <{a}> .\n\n",
            quote(&fr),
            quote(&en),
            t = s.target,
            a = agent.as_str(),
        ));
    }
    Ok(turtle)
}

/// A suggestion's score and reasons, in French and English.
fn explain(s: &Suggestion) -> (String, String) {
    let mut fr = format!("Suggéré (score {:.3}) : ", s.score);
    let mut en = format!("Suggested (score {:.3}): ", s.score);
    let mut parts = (Vec::new(), Vec::new());
    for r in &s.reasons {
        match r {
            Reason::Words { words, .. } => {
                parts
                    .0
                    .push(format!("mots du texte de la cible : {}", words.join(", ")));
                parts
                    .1
                    .push(format!("words of the target's text: {}", words.join(", ")));
            }
            Reason::Theme { label, status, .. } => {
                parts
                    .0
                    .push(format!("thème « {label} » (correspondance {status})"));
                parts
                    .1
                    .push(format!("theme \"{label}\" (mapping {status})"));
            }
            Reason::Action { label, status, .. } => {
                parts
                    .0
                    .push(format!("action semblable « {label} » (lien {status})"));
                parts
                    .1
                    .push(format!("similar action \"{label}\" (link {status})"));
            }
        }
    }
    fr.push_str(&parts.0.join(" ; "));
    en.push_str(&parts.1.join("; "));
    fr.push_str(". Une proposition, pas un fait.");
    en.push_str(". A proposal, not a fact.");
    (fr, en)
}

/// An action of the référentiel as the suggester reads it: its title, description and
/// themes (`dct:subject`).
pub fn read_action(
    store: &GraphStore,
    iri: &NamedNode,
) -> Result<(String, String, Vec<NamedNode>)> {
    use oxigraph::model::Term;
    let (statements, _) = store.statements(iri)?;
    if statements.is_empty() {
        return Err(Error::Usage(format!(
            "le référentiel ne décrit pas l'action {iri} / no such action"
        )));
    }
    let (mut title, mut description, mut themes) = (String::new(), String::new(), Vec::new());
    for t in statements {
        match (t.predicate.as_str(), t.object) {
            ("http://schema.org/name", Term::Literal(l)) if title.is_empty() => {
                title = l.value().to_owned()
            }
            ("http://schema.org/description", Term::Literal(l)) if description.is_empty() => {
                description = l.value().to_owned();
            }
            ("http://purl.org/dc/terms/subject", Term::NamedNode(n)) => themes.push(n),
            _ => {}
        }
    }
    Ok((title, description, themes))
}
