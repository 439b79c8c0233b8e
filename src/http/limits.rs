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
//!
//! The bound on inline data is in `limits/inline.rs`, the one on products in
//! `limits/products.rs`.

mod inline;
mod products;

use spargebra::algebra::GraphPattern;
use spargebra::{GraphUpdateOperation, Query, Update};

use inline::{Worst, walk};
use products::products;

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
