//! The bounds on what a SPARQL text parses into: the depth of its algebra, and the
//! patterns one group joins. Each walk stops at its bound, so it stays shallow itself.

use spargebra::algebra::{Expression, GraphPattern, OrderExpression, PropertyPathExpression};
use spargebra::{GraphUpdateOperation, Query, Update};

use super::{MAX_ALGEBRA_DEPTH, MAX_GROUP_PATTERNS};
use crate::error::{Error, Result};

/// Refuses a query whose algebra is deeper than [`MAX_ALGEBRA_DEPTH`].
pub fn check_query(query: &Query) -> Result<()> {
    let pattern = match query {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => pattern,
    };
    depth_error(pattern_depth(pattern, 0), "the query")?;
    width_error(pattern, "the query")
}

/// Refuses an update whose algebra is deeper than [`MAX_ALGEBRA_DEPTH`].
pub fn check_update(update: &Update) -> Result<()> {
    for operation in &update.operations {
        if let GraphUpdateOperation::DeleteInsert { pattern, .. } = operation {
            depth_error(pattern_depth(pattern, 0), "the update")?;
            width_error(pattern, "the update")?;
        }
    }
    Ok(())
}

/// The most patterns one group of a pattern joins, counting the groups below it too.
fn widest_group(pattern: &GraphPattern) -> usize {
    /// The patterns a join tree joins at one level.
    fn width(pattern: &GraphPattern, widest: &mut usize) -> usize {
        match pattern {
            GraphPattern::Bgp { patterns } => patterns.len(),
            GraphPattern::Join { left, right } => width(left, widest) + width(right, widest),
            GraphPattern::LeftJoin { left, right, .. } | GraphPattern::Minus { left, right } => {
                let own = width(left, widest) + 1;
                *widest = (*widest).max(width(right, widest));
                own
            }
            // A filter or an extension of a group stays in it.
            GraphPattern::Filter { inner, .. } | GraphPattern::Extend { inner, .. } => {
                width(inner, widest)
            }
            other => {
                walk_children(other, widest);
                1
            }
        }
    }
    fn walk_children(pattern: &GraphPattern, widest: &mut usize) {
        let mut each = |p: &GraphPattern| {
            let w = width(p, widest);
            *widest = (*widest).max(w);
        };
        match pattern {
            GraphPattern::Union { left, right } | GraphPattern::Lateral { left, right } => {
                each(left);
                each(right);
            }
            GraphPattern::Graph { inner, .. }
            | GraphPattern::Service { inner, .. }
            | GraphPattern::OrderBy { inner, .. }
            | GraphPattern::Project { inner, .. }
            | GraphPattern::Distinct { inner }
            | GraphPattern::Reduced { inner }
            | GraphPattern::Slice { inner, .. }
            | GraphPattern::Group { inner, .. } => each(inner),
            _ => {}
        }
    }
    let mut widest = 0;
    let top = width(pattern, &mut widest);
    widest.max(top)
}

fn width_error(pattern: &GraphPattern, what: &str) -> Result<()> {
    let widest = widest_group(pattern);
    if widest > MAX_GROUP_PATTERNS {
        return Err(Error::Query {
            context: format!("{what} is refused"),
            message: format!(
                "one of its groups joins {widest} patterns (triple patterns, OPTIONAL, MINUS, nested groups); the limit of labgraph is {MAX_GROUP_PATTERNS}, since ordering the joins takes time that grows much faster than their number: split the request, or send the values with VALUES"
            ),
        });
    }
    Ok(())
}

fn depth_error(within: Option<usize>, what: &str) -> Result<()> {
    match within {
        Some(_) => Ok(()),
        None => Err(Error::Query {
            context: format!("{what} is refused"),
            message: format!(
                "its algebra nests more than {MAX_ALGEBRA_DEPTH} levels (groups, UNION branches, operators, triple patterns of one group…) (limit of labgraph); send the values with VALUES, or split the request"
            ),
        }),
    }
}

/// The depth of a pattern below `depth`, or `None` past the bound. Recursion stops at the
/// bound, so this walk itself stays shallow.
fn pattern_depth(pattern: &GraphPattern, depth: usize) -> Option<usize> {
    let depth = depth + 1;
    if depth > MAX_ALGEBRA_DEPTH {
        return None;
    }
    let max = |a: Option<usize>, b: Option<usize>| Some(a?.max(b?));
    match pattern {
        GraphPattern::Bgp { patterns } => {
            let depth = depth + patterns.len();
            (depth <= MAX_ALGEBRA_DEPTH).then_some(depth)
        }
        GraphPattern::Path { path, .. } => path_depth(path, depth),
        GraphPattern::Values { .. } => Some(depth),
        GraphPattern::Join { left, right }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => {
            max(pattern_depth(left, depth), pattern_depth(right, depth))
        }
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => max(
            max(pattern_depth(left, depth), pattern_depth(right, depth)),
            expression
                .as_ref()
                .map_or(Some(depth), |e| expression_depth(e, depth)),
        ),
        GraphPattern::Filter { expr, inner } => {
            max(expression_depth(expr, depth), pattern_depth(inner, depth))
        }
        GraphPattern::Extend {
            inner, expression, ..
        } => max(
            expression_depth(expression, depth),
            pattern_depth(inner, depth),
        ),
        GraphPattern::OrderBy { inner, expression } => {
            let mut deepest = pattern_depth(inner, depth);
            for order in expression {
                let (OrderExpression::Asc(e) | OrderExpression::Desc(e)) = order;
                deepest = max(deepest, expression_depth(e, depth));
            }
            deepest
        }
        GraphPattern::Group {
            inner, aggregates, ..
        } => {
            let mut deepest = pattern_depth(inner, depth);
            for (_, aggregate) in aggregates {
                if let spargebra::algebra::AggregateExpression::FunctionCall { expr, .. } =
                    aggregate
                {
                    deepest = max(deepest, expression_depth(expr, depth));
                }
            }
            deepest
        }
        GraphPattern::Graph { inner, .. }
        | GraphPattern::Service { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => pattern_depth(inner, depth),
    }
}

fn path_depth(path: &PropertyPathExpression, depth: usize) -> Option<usize> {
    let depth = depth + 1;
    if depth > MAX_ALGEBRA_DEPTH {
        return None;
    }
    match path {
        PropertyPathExpression::NamedNode(_) | PropertyPathExpression::NegatedPropertySet(_) => {
            Some(depth)
        }
        PropertyPathExpression::Reverse(inner)
        | PropertyPathExpression::ZeroOrMore(inner)
        | PropertyPathExpression::OneOrMore(inner)
        | PropertyPathExpression::ZeroOrOne(inner) => path_depth(inner, depth),
        PropertyPathExpression::Sequence(a, b) | PropertyPathExpression::Alternative(a, b) => {
            Some(path_depth(a, depth)?.max(path_depth(b, depth)?))
        }
    }
}

fn expression_depth(expression: &Expression, depth: usize) -> Option<usize> {
    let depth = depth + 1;
    if depth > MAX_ALGEBRA_DEPTH {
        return None;
    }
    let all = |items: &[Expression]| {
        items.iter().try_fold(depth, |deepest, e| {
            Some(deepest.max(expression_depth(e, depth)?))
        })
    };
    match expression {
        Expression::NamedNode(_)
        | Expression::Literal(_)
        | Expression::Variable(_)
        | Expression::Bound(_) => Some(depth),
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
            Some(expression_depth(a, depth)?.max(expression_depth(b, depth)?))
        }
        Expression::In(a, items) => Some(expression_depth(a, depth)?.max(all(items)?)),
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => {
            expression_depth(a, depth)
        }
        Expression::Exists(pattern) => pattern_depth(pattern, depth),
        Expression::If(a, b, c) => Some(
            expression_depth(a, depth)?
                .max(expression_depth(b, depth)?)
                .max(expression_depth(c, depth)?),
        ),
        Expression::Coalesce(items) | Expression::FunctionCall(_, items) => all(items),
    }
}
