//! The bound on cartesian products: groups of patterns joined with no variable in
//! common, which Oxigraph loops over with no read of the store between two rows.

use std::collections::HashMap;

use spargebra::algebra::GraphPattern;
use spargebra::term::{TermPattern, TriplePattern, Variable};

use super::inner;

/// Finds, at every level, the groups joined with no variable in common. `gathered` says
/// that an operator above gathers every solution before it gives the first one (`ORDER
/// BY`, `GROUP BY`, `DISTINCT`, an update's `WHERE`): Oxigraph's sort cannot be
/// cancelled, so even a product of two unselective groups is too much there.
pub(super) fn products(pattern: &GraphPattern, gathered: bool) -> Result<(), String> {
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
