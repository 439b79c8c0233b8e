//! SPARQL queries on the store: parsing within the bounds of [`crate::bounds`],
//! parameters bound as `VALUES`, the request's dataset, and cancellation that reaches
//! into sorts.

use oxigraph::model::{Literal, NamedNode, Term};
use std::sync::Arc;

use oxigraph::sparql::{
    CancellationToken, QueryEvaluationError, QueryResults, QuerySolutionIter, ServiceHandler,
    SparqlEvaluator, Variable,
};
use spargebra::algebra::GraphPattern;
use spargebra::term::GroundTerm;
use spargebra::{Query, SparqlParser};

use super::GraphStore;
use crate::error::{Error, Result};
use crate::vocab;

impl GraphStore {
    /// Parses a SPARQL query for this store: the project's prefixes are predeclared and
    /// relative IRIs resolve against the base IRI.
    ///
    /// The text is first scanned for the bounds of [`crate::bounds`], and the parsed
    /// algebra checked for its depth, so that nothing it asks for overflows a stack.
    pub fn prepare(&self, query: &str) -> Result<Prepared> {
        self.parse_bounded(
            query,
            "the query",
            SparqlParser::parse_query,
            crate::bounds::check_query,
        )
        .map(Prepared)
    }

    /// Scans a SPARQL text for the bounds of [`crate::bounds`], parses it on a large stack
    /// and checks what it parsed; `what` names it in messages.
    pub(super) fn parse_bounded<T: Send>(
        &self,
        text: &str,
        what: &str,
        parse: impl FnOnce(SparqlParser, &str) -> std::result::Result<T, spargebra::SparqlSyntaxError>
        + Send,
        check: impl FnOnce(&T) -> Result<()> + Send,
    ) -> Result<T> {
        crate::bounds::scan_sparql(text, what)?;
        crate::bounds::on_large_stack(|| {
            let parsed = parse(self.parser.clone(), text).map_err(|e| Error::Query {
                context: format!("{what} does not parse"),
                message: e.to_string(),
            })?;
            check(&parsed)?;
            Ok(parsed)
        })
    }

    /// Evaluates a query prepared by [`GraphStore::prepare`]. `SERVICE` is refused but for
    /// the services answered in the process ([`GraphStore::add_service`]), and the
    /// default graph is the union of the named graphs unless the query names its own
    /// dataset.
    ///
    /// Parameters bind as a one-row `VALUES` table joined with the query's pattern, below
    /// its solution modifiers and grouping: the optimiser then plans with the value known,
    /// where a substituted initial binding (SEP-0007) is only known once the plan runs —
    /// on a million triples, the difference between milliseconds and a minute for queries
    /// whose filters walk `schema:containedInPlace*` from a parameter.
    pub fn evaluate(
        &self,
        prepared: Prepared,
        bindings: Vec<(Variable, Term)>,
    ) -> Result<QueryResults<'static>> {
        self.evaluate_with(prepared, bindings, &Controls::default())
    }

    /// [`GraphStore::evaluate`] with a dataset named by the request (the SPARQL protocol's
    /// `default-graph-uri` and `named-graph-uri`, which override the query's own `FROM`)
    /// and a cancellation token.
    pub fn evaluate_with(
        &self,
        prepared: Prepared,
        bindings: Vec<(Variable, Term)>,
        controls: &Controls,
    ) -> Result<QueryResults<'static>> {
        let mut query = prepared.0;
        let services = self
            .services
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if !services.is_empty() {
            let names: Vec<NamedNode> = services.iter().map(|(n, _)| n.clone()).collect();
            query = map_pattern(query, |p| {
                // The parameters, and what a one-row VALUES binds (the query page writes
                // a named query's example so).
                let mut constants = bindings.clone();
                constants.extend(
                    single_values(&p)
                        .into_iter()
                        .filter(|(v, _)| !bindings.iter().any(|(b, _)| b == v)),
                );
                bind_in_services(p, &names, &constants)
            });
        }
        if !bindings.is_empty() {
            let (variables, row): (Vec<_>, Vec<_>) = bindings
                .into_iter()
                .map(|(variable, value)| {
                    let value = match value {
                        Term::NamedNode(n) => GroundTerm::NamedNode(n),
                        Term::Literal(l) => GroundTerm::Literal(l),
                        other => {
                            return Err(Error::Usage(format!(
                                "a parameter takes an IRI or a literal, not {other}"
                            )));
                        }
                    };
                    Ok((variable, Some(value)))
                })
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .unzip();
            let values = GraphPattern::Values {
                variables,
                bindings: vec![row],
            };
            query = map_pattern(query, |pattern| join_values(pattern, values));
        }
        let mut evaluator = SparqlEvaluator::new().without_default_http_service_handler();
        for (name, service) in services {
            evaluator = evaluator.with_service_handler(name, Handler(service));
        }
        if let Some(token) = &controls.cancel {
            evaluator = evaluator.with_cancellation_token(token.clone());
            // Oxigraph's sort never looks at the token: each comparison does, here.
            query = watch_sorts(query);
            let token = token.clone();
            evaluator = evaluator.with_custom_function(vocab::alive(), move |_| {
                if token.is_cancelled() {
                    // Unwinds out of the sort, without the panic hook: the caller catches
                    // it and answers that the budget ran out.
                    std::panic::resume_unwind(Box::new(Error::Cancelled));
                }
                Some(Literal::from(true).into())
            });
        }
        tracing::debug!("evaluating {query}");
        let mut prepared = evaluator.for_query(query);
        match &controls.dataset {
            Some(spec) => {
                let dataset = prepared.dataset_mut();
                dataset.set_default_graph(spec.default.iter().cloned().map(Into::into).collect());
                dataset.set_available_named_graphs(
                    spec.named.iter().cloned().map(Into::into).collect(),
                );
            }
            None if prepared.dataset().is_default_dataset() => {
                // The default graph is the union of the named graphs, as a set; the named
                // graphs are all the others.
                let named = self.user_graphs()?;
                let dataset = prepared.dataset_mut();
                dataset.set_default_graph(vec![super::union::UNION_GRAPH.into()]);
                dataset.set_available_named_graphs(named.into_iter().map(Into::into).collect());
            }
            None => {}
        }
        prepared
            .on_store(&self.store)
            .execute()
            .map_err(evaluation_error)
    }
}

/// A SPARQL `SERVICE` answered inside the process (the text index's `lg:search`),
/// installed with [`GraphStore::add_service`].
pub trait Service: Send + Sync {
    /// The solutions of the pattern inside `SERVICE <name> { … }`.
    fn solutions(&self, pattern: &GraphPattern) -> Result<QuerySolutionIter<'static>>;
}

struct Handler(Arc<dyn Service>);

impl ServiceHandler for Handler {
    type Error = Error;

    fn handle(
        &self,
        pattern: &GraphPattern,
        _base_iri: Option<&oxiri::Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>> {
        self.0.solutions(pattern)
    }
}

impl GraphStore {
    /// Answers `SERVICE <name> { … }` in every query with `service`.
    pub fn add_service(&self, name: NamedNode, service: Arc<dyn Service>) {
        self.services
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((name, service));
    }
}

/// A parsed query, ready for [`GraphStore::evaluate`].
#[derive(Debug, Clone)]
pub struct Prepared(Query);

impl Prepared {
    /// The query's algebra.
    pub fn query(&self) -> &Query {
        &self.0
    }

    /// Whether the query returns a graph (CONSTRUCT, DESCRIBE) rather than solutions or
    /// a boolean.
    pub fn returns_graph(&self) -> bool {
        matches!(self.0, Query::Construct { .. } | Query::Describe { .. })
    }
}

/// The RDF dataset a request names: the SPARQL 1.1 Protocol's `default-graph-uri` (whose
/// merge is the default graph) and `named-graph-uri`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DatasetSpec {
    pub default: Vec<NamedNode>,
    pub named: Vec<NamedNode>,
}

/// How a query runs: the dataset the request names, if any, and a token that cancels it.
#[derive(Clone, Default)]
pub struct Controls {
    pub dataset: Option<DatasetSpec>,
    pub cancel: Option<CancellationToken>,
}

/// Maps Oxigraph's evaluation errors, keeping cancellation apart.
pub fn evaluation_error(error: QueryEvaluationError) -> Error {
    match error {
        QueryEvaluationError::Cancelled => Error::Cancelled,
        other => Error::Query {
            context: "the query failed".into(),
            message: other.to_string(),
        },
    }
}

/// Makes every `ORDER BY` of a query check its cancellation token on each comparison:
/// each key `e` becomes `IF(<alive>(), e, e)`, whose value is `e`'s, errors included, and
/// whose condition is the custom function [`vocab::alive`].
fn watch_sorts(query: Query) -> Query {
    map_pattern(query, watched)
}

/// A query with its pattern (solution modifiers included) replaced by what `f` makes of it.
fn map_pattern(query: Query, f: impl FnOnce(GraphPattern) -> GraphPattern) -> Query {
    match query {
        Query::Select {
            dataset,
            pattern,
            base_iri,
        } => Query::Select {
            dataset,
            pattern: f(pattern),
            base_iri,
        },
        Query::Construct {
            template,
            dataset,
            pattern,
            base_iri,
        } => Query::Construct {
            template,
            dataset,
            pattern: f(pattern),
            base_iri,
        },
        Query::Describe {
            dataset,
            pattern,
            base_iri,
        } => Query::Describe {
            dataset,
            pattern: f(pattern),
            base_iri,
        },
        Query::Ask {
            dataset,
            pattern,
            base_iri,
        } => Query::Ask {
            dataset,
            pattern: f(pattern),
            base_iri,
        },
    }
}

/// [`watch_sorts`] on a pattern.
fn watched(pattern: GraphPattern) -> GraphPattern {
    use spargebra::algebra::{Expression, Function, OrderExpression};
    let alive = |e: Expression| {
        Expression::If(
            Box::new(Expression::FunctionCall(
                Function::Custom(vocab::alive()),
                Vec::new(),
            )),
            Box::new(e.clone()),
            Box::new(e),
        )
    };
    transform(pattern, &|node| match node {
        GraphPattern::OrderBy { inner, expression } => GraphPattern::OrderBy {
            inner,
            expression: expression
                .into_iter()
                .map(|order| match order {
                    OrderExpression::Asc(e) => OrderExpression::Asc(alive(e)),
                    OrderExpression::Desc(e) => OrderExpression::Desc(alive(e)),
                })
                .collect(),
        },
        other => other,
    })
}

/// Binds `bindings` inside the `SERVICE`s answered in this process: such a service sees
/// no outer binding (Oxigraph evaluates it once, alone), so a parameter of a named query
/// (`lg:query ?phrase`) is written into its pattern.
fn bind_in_services(
    pattern: GraphPattern,
    services: &[NamedNode],
    bindings: &[(Variable, Term)],
) -> GraphPattern {
    use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};
    let bind = |t: TermPattern| match &t {
        TermPattern::Variable(v) => match bindings.iter().find(|(b, _)| b == v) {
            Some((_, Term::NamedNode(n))) => TermPattern::NamedNode(n.clone()),
            Some((_, Term::Literal(l))) => TermPattern::Literal(l.clone()),
            _ => t,
        },
        _ => t,
    };
    transform(pattern, &|node| match node {
        GraphPattern::Service {
            name: NamedNodePattern::NamedNode(name),
            inner,
            silent,
        } if services.contains(&name) => GraphPattern::Service {
            inner: Box::new(transform(*inner, &|node| match node {
                GraphPattern::Bgp { patterns } => GraphPattern::Bgp {
                    patterns: patterns
                        .into_iter()
                        .map(|p| TriplePattern {
                            subject: bind(p.subject),
                            predicate: p.predicate,
                            object: bind(p.object),
                        })
                        .collect(),
                },
                other => other,
            })),
            name: NamedNodePattern::NamedNode(name),
            silent,
        },
        other => other,
    })
}

/// The variables a one-row `VALUES` binds to one value, anywhere in a pattern (a
/// variable two of them bind differently is left out).
fn single_values(pattern: &GraphPattern) -> Vec<(Variable, Term)> {
    let found = std::cell::RefCell::new(Vec::<(Variable, Term)>::new());
    let conflicts = std::cell::RefCell::new(Vec::<Variable>::new());
    transform(pattern.clone(), &|node| {
        if let GraphPattern::Values {
            variables,
            bindings,
        } = &node
            && let [row] = bindings.as_slice()
        {
            for (variable, value) in variables.iter().zip(row) {
                let term: Option<Term> = match value {
                    Some(GroundTerm::NamedNode(n)) => Some(n.clone().into()),
                    Some(GroundTerm::Literal(l)) => Some(l.clone().into()),
                    _ => None,
                };
                let Some(term) = term else { continue };
                let mut found = found.borrow_mut();
                match found.iter().find(|(v, _)| v == variable) {
                    Some((_, t)) if *t != term => conflicts.borrow_mut().push(variable.clone()),
                    Some(_) => {}
                    None => found.push((variable.clone(), term)),
                }
            }
        }
        node
    });
    let conflicts = conflicts.into_inner();
    found
        .into_inner()
        .into_iter()
        .filter(|(v, _)| !conflicts.contains(v))
        .collect()
}

/// A pattern with `f` applied to each of its nodes, children first (its depth is bounded
/// by `bounds`).
fn transform(pattern: GraphPattern, f: &dyn Fn(GraphPattern) -> GraphPattern) -> GraphPattern {
    let boxed = |p: Box<GraphPattern>| Box::new(transform(*p, f));
    let node = match pattern {
        GraphPattern::OrderBy { inner, expression } => GraphPattern::OrderBy {
            inner: boxed(inner),
            expression,
        },
        GraphPattern::Join { left, right } => GraphPattern::Join {
            left: boxed(left),
            right: boxed(right),
        },
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => GraphPattern::LeftJoin {
            left: boxed(left),
            right: boxed(right),
            expression,
        },
        GraphPattern::Lateral { left, right } => GraphPattern::Lateral {
            left: boxed(left),
            right: boxed(right),
        },
        GraphPattern::Union { left, right } => GraphPattern::Union {
            left: boxed(left),
            right: boxed(right),
        },
        GraphPattern::Minus { left, right } => GraphPattern::Minus {
            left: boxed(left),
            right: boxed(right),
        },
        GraphPattern::Filter { expr, inner } => GraphPattern::Filter {
            expr,
            inner: boxed(inner),
        },
        GraphPattern::Graph { name, inner } => GraphPattern::Graph {
            name,
            inner: boxed(inner),
        },
        GraphPattern::Extend {
            inner,
            variable,
            expression,
        } => GraphPattern::Extend {
            inner: boxed(inner),
            variable,
            expression,
        },
        GraphPattern::Project { inner, variables } => GraphPattern::Project {
            inner: boxed(inner),
            variables,
        },
        GraphPattern::Distinct { inner } => GraphPattern::Distinct {
            inner: boxed(inner),
        },
        GraphPattern::Reduced { inner } => GraphPattern::Reduced {
            inner: boxed(inner),
        },
        GraphPattern::Slice {
            inner,
            start,
            length,
        } => GraphPattern::Slice {
            inner: boxed(inner),
            start,
            length,
        },
        GraphPattern::Group {
            inner,
            variables,
            aggregates,
        } => GraphPattern::Group {
            inner: boxed(inner),
            variables,
            aggregates,
        },
        GraphPattern::Service {
            name,
            inner,
            silent,
        } => GraphPattern::Service {
            name,
            inner: boxed(inner),
            silent,
        },
        leaf @ (GraphPattern::Bgp { .. }
        | GraphPattern::Path { .. }
        | GraphPattern::Values { .. }) => leaf,
    };
    f(node)
}

/// Joins a `VALUES` table with a query pattern, below the solution modifiers, the
/// projection, the grouping and the top-level BIND, FILTER and OPTIONAL, so that it binds
/// the variables of the `WHERE` clause where its expressions can see them.
fn join_values(pattern: GraphPattern, values: GraphPattern) -> GraphPattern {
    let inner = |inner: Box<GraphPattern>| Box::new(join_values(*inner, values.clone()));
    match pattern {
        GraphPattern::Project {
            inner: i,
            variables,
        } => GraphPattern::Project {
            inner: inner(i),
            variables,
        },
        GraphPattern::Distinct { inner: i } => GraphPattern::Distinct { inner: inner(i) },
        GraphPattern::Reduced { inner: i } => GraphPattern::Reduced { inner: inner(i) },
        GraphPattern::Slice {
            inner: i,
            start,
            length,
        } => GraphPattern::Slice {
            inner: inner(i),
            start,
            length,
        },
        GraphPattern::OrderBy {
            inner: i,
            expression,
        } => GraphPattern::OrderBy {
            inner: inner(i),
            expression,
        },
        GraphPattern::Group {
            inner: i,
            variables,
            aggregates,
        } => GraphPattern::Group {
            inner: inner(i),
            variables,
            aggregates,
        },
        // Into BIND, FILTER, the first operand of a join and the required side of
        // OPTIONAL too, so that expressions (a BIND opening the WHERE clause) see the
        // parameters as they would a substituted binding.
        GraphPattern::Extend {
            inner: i,
            variable,
            expression,
        } => GraphPattern::Extend {
            inner: inner(i),
            variable,
            expression,
        },
        GraphPattern::Filter { expr, inner: i } => GraphPattern::Filter {
            expr,
            inner: inner(i),
        },
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => GraphPattern::LeftJoin {
            left: inner(left),
            right,
            expression,
        },
        pattern => GraphPattern::Join {
            left: Box::new(values),
            right: Box::new(pattern),
        },
    }
}
