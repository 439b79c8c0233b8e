//! Bounds on the work a query can do between two reads of the store.
//!
//! Oxigraph checks its cancellation token when it reads the store. Work done between two
//! reads cannot be cancelled, so the queries that do a lot of it are refused before they
//! start, from their algebra:
//! - inline data (`VALUES` × `VALUES` × …, empty groups) that combine into more rows than
//!   a bound, since producing them reads nothing;
//! - cartesian products of three or more groups that share no variable, two of them
//!   unselective (no constant subject or object): Oxigraph materialises all but the last
//!   factor and loops over that product for each row of the last, with no read between.
//!   A product of two groups is checked on every row of one of them, so it stays allowed.

use std::collections::HashMap;

use spargebra::algebra::{Expression, GraphPattern};
use spargebra::term::{TermPattern, TriplePattern, Variable};
use spargebra::{GraphUpdateOperation, Query, Update};

/// Refuses a query whose store-free parts can produce more than `max_rows` rows (or
/// compute expressions over more than twice that many), or that builds a cartesian
/// product which cannot be cancelled.
pub fn check(query: &Query, max_rows: u128) -> Result<(), String> {
    let pattern = match query {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => pattern,
    };
    check_pattern(pattern, max_rows, false)
}

/// [`check`] for the `WHERE` clauses of an update, whose solutions are all gathered
/// before anything is written (as under `ORDER BY`).
pub fn check_update(update: &Update, max_rows: u128) -> Result<(), String> {
    for operation in &update.operations {
        if let GraphUpdateOperation::DeleteInsert { pattern, .. } = operation {
            check_pattern(pattern, max_rows, true)?;
        }
    }
    Ok(())
}

fn check_pattern(pattern: &GraphPattern, max_rows: u128, gathered: bool) -> Result<(), String> {
    let mut worst = Worst::default();
    walk(pattern, &mut worst);
    if worst.rows > max_rows {
        return Err(format!(
            "its inline data (VALUES, empty groups) combine into about {} rows before any data is read; the limit is {max_rows}",
            worst.rows
        ));
    }
    let max_work = max_rows.saturating_mul(2);
    if worst.work > max_work {
        return Err(format!(
            "it computes expressions about {} times over its inline data (VALUES, empty groups) before any data is read; the limit is {max_work}",
            worst.work
        ));
    }
    products(pattern, gathered)
}

/// Finds, at every level, the groups joined with no variable in common. `gathered` says
/// that an operator above gathers every solution before it gives the first one (`ORDER
/// BY`, `GROUP BY`, `DISTINCT`, an update's `WHERE`): Oxigraph's sort cannot be
/// cancelled, so even a product of two unselective groups is too much there.
fn products(pattern: &GraphPattern, gathered: bool) -> Result<(), String> {
    match pattern {
        GraphPattern::Join { .. } | GraphPattern::Bgp { .. } | GraphPattern::LeftJoin { .. } => {
            let mut factors = Vec::new();
            flatten(pattern, &mut factors, gathered)?;
            let components = connect(&factors);
            let unselective = components.iter().filter(|c| !c.selective).count();
            if components.len() >= 3 && unselective >= 2 {
                return Err(format!(
                    "it joins {} groups of patterns that share no variable, {unselective} of them without a constant subject or object: a cartesian product too large to evaluate; link the groups by a variable or make them more selective",
                    components.len()
                ));
            }
            if gathered && components.len() >= 2 && unselective >= 2 {
                return Err(format!(
                    "it sorts, groups or deduplicates the cartesian product of {unselective} groups of patterns that share no variable and have no constant subject or object; link the groups by a variable or make them more selective"
                ));
            }
            Ok(())
        }
        GraphPattern::Lateral { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => {
            products(left, gathered)?;
            products(right, gathered)
        }
        GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Group { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner } => products(inner, true),
        other => inner(other).map_or(Ok(()), |inner| products(inner, gathered)),
    }
}

/// The one pattern inside a pattern that wraps a single one (a modifier, a filter, a
/// `GRAPH`…), or `None` for a leaf or a pattern with two sides.
fn inner(pattern: &GraphPattern) -> Option<&GraphPattern> {
    match pattern {
        GraphPattern::Graph { inner, .. }
        | GraphPattern::Service { inner, .. }
        | GraphPattern::Filter { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. } => Some(inner),
        GraphPattern::Bgp { .. }
        | GraphPattern::Path { .. }
        | GraphPattern::Values { .. }
        | GraphPattern::Join { .. }
        | GraphPattern::LeftJoin { .. }
        | GraphPattern::Lateral { .. }
        | GraphPattern::Union { .. }
        | GraphPattern::Minus { .. } => None,
    }
}

/// A factor of a product: its variables, and whether it is selective.
struct Factor {
    variables: Vec<Variable>,
    selective: bool,
}

/// The factors of a join tree: each triple pattern of a BGP, the right side of each
/// OPTIONAL (a left join that shares no variable is a product too), and each other
/// pattern as a whole (checked on its own; a subquery, a UNION… is as selective as what
/// it contains).
fn flatten(
    pattern: &GraphPattern,
    factors: &mut Vec<Factor>,
    gathered: bool,
) -> Result<(), String> {
    match pattern {
        GraphPattern::Join { left, right } => {
            flatten(left, factors, gathered)?;
            flatten(right, factors, gathered)
        }
        GraphPattern::Bgp { patterns } => {
            factors.extend(patterns.iter().map(triple_factor));
            Ok(())
        }
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => {
            let first = factors.len();
            flatten(left, factors, gathered)?;
            products(right, gathered)?;
            let mut variables = Vec::new();
            right.on_in_scope_variable(|v| variables.push(v.clone()));
            // The OPTIONAL's own FILTER may link it to the left side: assume it does.
            if expression.is_some() {
                let left: Vec<Variable> = factors[first..]
                    .iter()
                    .flat_map(|f| f.variables.iter().cloned())
                    .collect();
                variables.extend(left);
            }
            factors.push(Factor {
                variables,
                selective: selective(right),
            });
            Ok(())
        }
        other => {
            products(other, gathered)?;
            let mut variables = Vec::new();
            other.on_in_scope_variable(|v| variables.push(v.clone()));
            factors.push(Factor {
                variables,
                selective: selective(other),
            });
            Ok(())
        }
    }
}

/// Rows a `LIMIT` may leave for a pattern to count as small.
const SMALL: usize = 10_000;

/// Whether a pattern yields few rows: it reads with a constant subject or object, holds
/// only inline data, or is cut short by a small `LIMIT` or an aggregate without `GROUP
/// BY`.
fn selective(pattern: &GraphPattern) -> bool {
    match pattern {
        GraphPattern::Bgp { patterns } => {
            patterns.is_empty() || patterns.iter().any(|p| triple_factor(p).selective)
        }
        GraphPattern::Path {
            subject, object, ..
        } => {
            !matches!(subject, TermPattern::Variable(_))
                || !matches!(object, TermPattern::Variable(_))
        }
        GraphPattern::Values { .. } => true,
        GraphPattern::Join { left, right } | GraphPattern::Lateral { left, right } => {
            selective(left) || selective(right)
        }
        GraphPattern::LeftJoin { left, .. } | GraphPattern::Minus { left, .. } => selective(left),
        GraphPattern::Union { left, right } => selective(left) && selective(right),
        GraphPattern::Slice { inner, length, .. } => {
            length.is_some_and(|n| n <= SMALL) || selective(inner)
        }
        GraphPattern::Group {
            inner, variables, ..
        } => variables.is_empty() || selective(inner),
        other => inner(other).is_some_and(selective),
    }
}

fn triple_factor(pattern: &TriplePattern) -> Factor {
    let mut variables = Vec::new();
    for term in [&pattern.subject, &pattern.object] {
        if let TermPattern::Variable(v) = term {
            variables.push(v.clone());
        }
    }
    if let spargebra::term::NamedNodePattern::Variable(v) = &pattern.predicate {
        variables.push(v.clone());
    }
    Factor {
        selective: !matches!(pattern.subject, TermPattern::Variable(_))
            || !matches!(pattern.object, TermPattern::Variable(_)),
        variables,
    }
}

/// Groups factors linked by shared variables (union-find); a group is selective if one
/// of its factors is.
fn connect(factors: &[Factor]) -> Vec<Factor> {
    let mut parent: Vec<usize> = (0..factors.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: HashMap<&Variable, usize> = HashMap::new();
    for (i, factor) in factors.iter().enumerate() {
        for variable in &factor.variables {
            match owner.get(variable) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    owner.insert(variable, i);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Factor> = HashMap::new();
    for (i, factor) in factors.iter().enumerate() {
        let group = groups.entry(root(&mut parent, i)).or_insert(Factor {
            variables: Vec::new(),
            selective: false,
        });
        group.selective |= factor.selective;
    }
    groups.into_values().collect()
}

/// The largest bounds seen on store-free parts of a pattern.
#[derive(Default)]
struct Worst {
    /// Rows one store-free pattern can produce.
    rows: u128,
    /// Operators and function calls evaluated over those rows.
    work: u128,
}

/// Operators and function calls in an expression (a `1 + 1` counts one).
fn cost(expression: &Expression) -> u128 {
    let mut calls = 0u128;
    let mut stack = vec![expression];
    while let Some(e) = stack.pop() {
        match e {
            Expression::NamedNode(_)
            | Expression::Literal(_)
            | Expression::Variable(_)
            | Expression::Bound(_) => {}
            Expression::Exists(_) => calls += 1,
            Expression::Or(a, b)
            | Expression::And(a, b)
            | Expression::Equal(a, b)
            | Expression::SameTerm(a, b)
            | Expression::Greater(a, b)
            | Expression::GreaterOrEqual(a, b)
            | Expression::Less(a, b)
            | Expression::LessOrEqual(a, b)
            | Expression::Add(a, b)
            | Expression::Subtract(a, b)
            | Expression::Multiply(a, b)
            | Expression::Divide(a, b) => {
                calls += 1;
                stack.extend([&**a, &**b]);
            }
            Expression::In(a, items) => {
                calls += 1;
                stack.push(a);
                stack.extend(items);
            }
            Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => {
                calls += 1;
                stack.push(a);
            }
            Expression::If(a, b, c) => {
                calls += 1;
                stack.extend([&**a, &**b, &**c]);
            }
            Expression::Coalesce(items) | Expression::FunctionCall(_, items) => {
                calls += 1;
                stack.extend(items);
            }
        }
    }
    calls
}

/// The rows a pattern can produce if it never reads the store (`None` if it does); the
/// largest such bound seen anywhere below it, and the work of the expressions computed
/// over them, go to `worst`.
fn walk(pattern: &GraphPattern, worst: &mut Worst) -> Option<u128> {
    let rows = walk_rows(pattern, worst);
    let expressions: u128 = match pattern {
        GraphPattern::Filter { expr, .. }
        | GraphPattern::Extend {
            expression: expr, ..
        } => cost(expr),
        GraphPattern::OrderBy { expression, .. } => expression
            .iter()
            .map(|o| match o {
                spargebra::algebra::OrderExpression::Asc(e)
                | spargebra::algebra::OrderExpression::Desc(e) => cost(e),
            })
            .sum(),
        GraphPattern::Group { aggregates, .. } => aggregates
            .iter()
            .map(|(_, a)| match a {
                spargebra::algebra::AggregateExpression::FunctionCall { expr, .. } => {
                    1 + cost(expr)
                }
                spargebra::algebra::AggregateExpression::CountSolutions { .. } => 1,
            })
            .sum(),
        _ => 0,
    };
    if let Some(rows) = rows {
        worst.work = worst
            .work
            .max(rows.saturating_mul(expressions.saturating_add(1)));
    }
    rows
}

fn walk_rows(pattern: &GraphPattern, worst: &mut Worst) -> Option<u128> {
    let rows = match pattern {
        GraphPattern::Bgp { patterns } => patterns.is_empty().then_some(1),
        GraphPattern::Path { .. } | GraphPattern::Service { .. } => None,
        GraphPattern::Values { bindings, .. } => Some(bindings.len() as u128),
        GraphPattern::Join { left, right }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::LeftJoin { left, right, .. } => {
            match (walk(left, worst), walk(right, worst)) {
                (Some(a), Some(b)) => Some(a.saturating_mul(b.max(1))),
                _ => None,
            }
        }
        GraphPattern::Union { left, right } => match (walk(left, worst), walk(right, worst)) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            _ => None,
        },
        GraphPattern::Minus { left, right } => {
            walk(right, worst);
            walk(left, worst)
        }
        // GRAPH reads the list of named graphs from the store.
        GraphPattern::Graph { inner, .. } => {
            walk(inner, worst);
            None
        }
        other => inner(other).and_then(|inner| walk(inner, worst)),
    };
    if let Some(rows) = rows {
        worst.rows = worst.rows.max(rows);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use spargebra::SparqlParser;

    fn bound(query: &str) -> Result<(), String> {
        check(&SparqlParser::new().parse_query(query).unwrap(), 1_000_000)
    }

    #[test]
    fn inline_cross_products_are_bounded() {
        let values = |v: &str| {
            format!(
                "VALUES ?{v} {{ {} }}",
                (0..200)
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        // 200 × 200 = 40,000 rows: fine. 200³ = 8,000,000: refused.
        assert!(bound(&format!("SELECT * {{ {} {} }}", values("a"), values("b"))).is_ok());
        let cube = format!(
            "SELECT (COUNT(*) AS ?n) {{ {} {} {} }}",
            values("a"),
            values("b"),
            values("c")
        );
        assert!(bound(&cube).unwrap_err().contains("8000000"));
        // Inside a join with data the product is still built: refused too.
        let mixed = format!(
            "SELECT * {{ ?s ?p ?o {{ {} {} {} }} }}",
            values("a"),
            values("b"),
            values("c")
        );
        assert!(bound(&mixed).is_err());
        // Reading the store is bounded by the time budget instead.
        assert!(bound("SELECT * { ?a ?b ?c . ?c ?e ?f . ?f ?h ?i }").is_ok());
    }

    #[test]
    fn expressions_over_inline_data_are_bounded() {
        let values = |v: &str| {
            format!(
                "VALUES ?{v} {{ {} }}",
                (0..999)
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        let (a, b) = (values("a"), values("b"));
        // 998,001 rows: under the bound on rows, but hashed thrice each: refused.
        let hashed = format!(
            "SELECT ?h WHERE {{ {a} {b} BIND(SHA512(SHA512(SHA512(STR(?a)))) AS ?h) }} ORDER BY ?h"
        );
        assert!(bound(&hashed).unwrap_err().contains("expressions"));
        assert!(bound(&format!("SELECT * {{ {a} {b} }}")).is_ok());
    }

    #[test]
    fn uncancellable_products_are_refused() {
        // Three unrelated unselective groups: refused, in a BGP or across groups.
        assert!(bound("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }").is_err());
        assert!(bound("SELECT * { { ?a ?b ?c } { ?d ?e ?f } ?g ?h ?i }").is_err());
        assert!(
            bound("SELECT * { OPTIONAL { ?x ?y ?z } { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }").is_err()
        );
        // Two groups, or selective ones, or linked ones: allowed.
        assert!(bound("SELECT * { ?a ?b ?c . ?d ?e ?f }").is_ok());
        // …but not two unselective ones sorted, grouped or deduplicated: the sort gathers
        // the whole product and cannot be cancelled.
        assert!(
            bound("SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1").is_err()
        );
        assert!(bound("SELECT DISTINCT ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f }").is_err());
        assert!(bound("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }").is_err());
        assert!(bound("SELECT * WHERE { ?a ?b ?c . ?d a <urn:x> } ORDER BY ?c").is_ok());
        assert!(bound("SELECT * { ?a a <urn:x> . ?d a <urn:y> . ?g ?h ?i }").is_ok());
        assert!(bound("SELECT * { ?a ?b ?c . ?c ?e ?f . ?f ?h ?a }").is_ok());
        assert!(
            bound("SELECT * { ?s <urn:p> ?o FILTER(?o > 1) ?t <urn:q> ?u . ?u <urn:r> <urn:v> }")
                .is_ok()
        );
    }

    #[test]
    fn subqueries_and_optionals_are_as_large_as_what_they_read() {
        // Unselective subqueries, or OPTIONAL groups sharing nothing: products too.
        assert!(
            bound("SELECT * { { SELECT ?a { ?a ?b ?c } } { SELECT ?d { ?d ?e ?f } } { SELECT ?g { ?g ?h ?i } } }")
                .is_err()
        );
        assert!(
            bound("SELECT * { ?a ?b ?c OPTIONAL { ?d ?e ?f } OPTIONAL { ?g ?h ?i } }").is_err()
        );
        // Linked, filtered, limited, aggregated or selective ones: allowed.
        assert!(bound("SELECT * { ?a ?b ?c OPTIONAL { ?a ?e ?f } OPTIONAL { ?g ?h ?a } }").is_ok());
        assert!(
            bound("SELECT * { ?a ?b ?c OPTIONAL { ?d ?e ?f FILTER(?d = ?a) } OPTIONAL { ?g ?h ?i FILTER(?g = ?a) } }")
                .is_ok()
        );
        assert!(
            bound("SELECT * { { SELECT ?a { ?a ?b ?c } LIMIT 10 } { SELECT (COUNT(*) AS ?n) { ?d ?e ?f } } ?g ?h ?i }")
                .is_ok()
        );
        assert!(
            bound(
                "SELECT * { { SELECT ?a { ?a a <urn:x> } } { SELECT ?d { ?d ?e ?f } } ?g ?h ?i }"
            )
            .is_err()
        );
        assert!(
            bound("SELECT * { { SELECT ?a { ?a a <urn:x> } } { SELECT ?d { ?d a <urn:y> } } ?g ?h ?i }")
                .is_ok()
        );
    }

    #[test]
    fn the_named_queries_pass() {
        let mut parser = SparqlParser::new()
            .with_base_iri(crate::vocab::DEFAULT_BASE_IRI)
            .unwrap();
        for (prefix, iri) in crate::vocab::PREFIXES {
            parser = parser.with_prefix(*prefix, *iri).unwrap();
        }
        for named in crate::queries::all().unwrap() {
            let query = parser.clone().parse_query(named.text).unwrap();
            assert_eq!(check(&query, 1_000_000), Ok(()), "{}", named.name);
        }
    }
}
