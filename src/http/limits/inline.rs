//! The bound on inline data: the rows that `VALUES` and empty groups combine into, and
//! the expressions computed over them, before any read of the store.

use spargebra::algebra::{Expression, GraphPattern};

use super::inner;

/// The largest bounds seen on store-free parts of a pattern.
#[derive(Default)]
pub(super) struct Worst {
    /// Rows one store-free pattern can produce.
    pub(super) rows: u128,
    /// Operators and function calls evaluated over those rows.
    pub(super) work: u128,
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
pub(super) fn walk(pattern: &GraphPattern, worst: &mut Worst) -> Option<u128> {
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
