//! `SERVICE lg:search { … }`: the text index inside SPARQL, so that its results join the
//! rest of a query.
//!
//! ```sparql
//! SELECT ?theme ?score WHERE {
//!   SERVICE lg:search { ?theme lg:query "îlots de chaleur" ; lg:score ?score ;
//!                       lg:type skos:Concept ; lg:limit 10 }
//!   ?theme skos:relatedMatch ?target .
//! }
//! ```
//!
//! The subject of `lg:query` is bound to each resource found, best first. Also bound when
//! asked: `lg:score`, `lg:label`, `lg:snippet` (HTML). Also read: `lg:type` (a class),
//! `lg:within` (an IRI the resource links to, or something in it), `lg:kind` ("data",
//! "ontology", "shapes"), `lg:language` ("fr", "en"), `lg:limit` (100 unless said). The
//! text must be written in the pattern (or be a named query's parameter): Oxigraph
//! evaluates a SERVICE alone, without the bindings around it.

use std::sync::Arc;

use oxigraph::model::{Literal, NamedNode, Term};
use oxigraph::sparql::{QuerySolution, QuerySolutionIter, Variable};
use spargebra::algebra::GraphPattern;
use spargebra::term::{NamedNodePattern, TermPattern};

use super::{Kind, Request, TextIndex};
use crate::error::{Error, Result};
use crate::vocab::LG;

/// The most results one SERVICE call returns.
const MOST: usize = 10_000;

/// The handler installed on the store.
pub struct Search(pub Arc<TextIndex>);

fn lg(name: &str) -> String {
    format!("{LG}{name}")
}

fn problem(message: impl Into<String>) -> Error {
    Error::Query {
        context: "SERVICE lg:search".into(),
        message: message.into(),
    }
}

impl crate::store::Service for Search {
    fn solutions(&self, pattern: &GraphPattern) -> Result<QuerySolutionIter<'static>> {
        let GraphPattern::Bgp { patterns } = pattern else {
            return Err(problem(
                "the pattern must be triple patterns: ?hit lg:query \"text\" ; lg:score ?score …",
            ));
        };
        let query = patterns
            .iter()
            .find(|p| matches!(&p.predicate, NamedNodePattern::NamedNode(n) if n.as_str() == lg("query")))
            .ok_or_else(|| problem("no lg:query: write ?hit lg:query \"the words\""))?;
        let hit = match &query.subject {
            TermPattern::Variable(v) => v.clone(),
            other => {
                return Err(problem(format!(
                    "the subject of lg:query must be a variable, not {other}"
                )));
            }
        };
        let text = match &query.object {
            TermPattern::Literal(l) => l.value().to_owned(),
            TermPattern::Variable(v) => {
                return Err(problem(format!(
                    "the words of lg:query must be written in the pattern, not ?{}: a SERVICE sees no binding from outside it",
                    v.as_str()
                )));
            }
            other => return Err(problem(format!("lg:query takes a literal, not {other}"))),
        };
        let mut request = Request::new(text, 100);
        let mut outputs: Vec<(&'static str, Variable)> = Vec::new();
        let mut kinds = Vec::new();
        for p in patterns {
            if std::ptr::eq(p, query) {
                continue;
            }
            if p.subject != TermPattern::Variable(hit.clone()) {
                return Err(problem(format!(
                    "every pattern must be about ?{}, not {}",
                    hit.as_str(),
                    p.subject
                )));
            }
            let NamedNodePattern::NamedNode(predicate) = &p.predicate else {
                return Err(problem("the predicates must be IRIs"));
            };
            let name = predicate
                .as_str()
                .strip_prefix(LG)
                .ok_or_else(|| problem(format!("unknown predicate {predicate}")))?;
            match (name, &p.object) {
                ("score" | "label" | "snippet", TermPattern::Variable(v)) => outputs.push((
                    match name {
                        "score" => "score",
                        "label" => "label",
                        _ => "snippet",
                    },
                    v.clone(),
                )),
                ("type", TermPattern::NamedNode(n)) => request.types.push(n.clone()),
                ("within", TermPattern::NamedNode(n)) => request.within.push(vec![n.clone()]),
                ("kind", TermPattern::Literal(l)) => kinds.push(match l.value() {
                    "data" => Kind::Data,
                    "ontology" => Kind::Ontology,
                    "shapes" => Kind::Shapes,
                    other => {
                        return Err(problem(format!(
                            "lg:kind is \"data\", \"ontology\" or \"shapes\", not \"{other}\""
                        )));
                    }
                }),
                ("language", TermPattern::Literal(l)) if ["fr", "en"].contains(&l.value()) => {
                    request.language = Some(l.value().to_owned());
                }
                ("limit", TermPattern::Literal(l)) => {
                    request.limit = l
                        .value()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MOST).contains(n))
                        .ok_or_else(|| {
                            problem(format!("lg:limit is a number from 1 to {MOST}, not {l}"))
                        })?;
                }
                (name, object) => {
                    return Err(problem(format!(
                        "lg:{name} {object} is not understood: lg:score, lg:label and lg:snippet take a variable; lg:type and lg:within an IRI; lg:kind, lg:language and lg:limit a literal"
                    )));
                }
            }
        }
        // The data's, unless lg:kind says.
        if !kinds.is_empty() {
            request.kinds = kinds;
        }
        let found = self.0.search(&request)?;
        let variables: Arc<[Variable]> = std::iter::once(hit)
            .chain(outputs.iter().map(|(_, v)| v.clone()))
            .collect();
        let rows: Vec<_> = found
            .hits
            .into_iter()
            .map(|h| {
                let mut values: Vec<Option<Term>> =
                    vec![Some(NamedNode::new_unchecked(h.iri).into())];
                for (what, _) in &outputs {
                    values.push(Some(match *what {
                        "score" => Literal::from(f64::from(h.score)).into(),
                        "label" if h.language.is_empty() => {
                            Literal::new_simple_literal(&h.label).into()
                        }
                        "label" => {
                            Literal::new_language_tagged_literal_unchecked(&h.label, &h.language)
                                .into()
                        }
                        _ => Literal::new_simple_literal(&h.snippet).into(),
                    }));
                }
                Ok(QuerySolution::from((Arc::clone(&variables), values)))
            })
            .collect();
        Ok(QuerySolutionIter::new(variables, rows))
    }
}
