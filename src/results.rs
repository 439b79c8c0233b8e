//! Writing query results in a standard format, shared by `labgraph query` and the SPARQL
//! endpoint. A row cap ends the write with an explicit error, never a silent truncation.

use std::io::Write;

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{QuerySolutionIter, QueryTripleIter};

use crate::error::{Error, Result};
use crate::store::{evaluation_error, prefixed};

/// Where results are written, for messages.
pub type Target<'a> = &'a str;

/// Writes solutions; more than `cap` rows is an error.
pub fn write_solutions(
    solutions: QuerySolutionIter<'static>,
    format: QueryResultsFormat,
    out: impl Write,
    cap: Option<usize>,
    target: Target<'_>,
) -> Result<()> {
    let mut writer = QueryResultsSerializer::from_format(format)
        .serialize_solutions_to_writer(out, solutions.variables().to_vec())
        .map_err(|e| io(target, e))?;
    for (n, solution) in solutions.enumerate() {
        let solution = solution.map_err(evaluation_error)?;
        check_cap(n, cap)?;
        writer.serialize(&solution).map_err(|e| io(target, e))?;
    }
    writer.finish().map(drop).map_err(|e| io(target, e))
}

/// Writes the answer of an ASK query.
pub fn write_boolean(
    value: bool,
    format: QueryResultsFormat,
    out: impl Write,
    target: Target<'_>,
) -> Result<()> {
    QueryResultsSerializer::from_format(format)
        .serialize_boolean_to_writer(out, value)
        .map(drop)
        .map_err(|e| io(target, e))
}

/// Writes the triples of a CONSTRUCT or DESCRIBE query with the project's prefixes; more
/// than `cap` triples is an error.
pub fn write_graph(
    triples: QueryTripleIter<'static>,
    format: RdfFormat,
    out: impl Write,
    cap: Option<usize>,
    target: Target<'_>,
) -> Result<()> {
    let mut writer = prefixed(RdfSerializer::from_format(format)).for_writer(out);
    for (n, triple) in triples.enumerate() {
        let triple = triple.map_err(evaluation_error)?;
        check_cap(n, cap)?;
        writer
            .serialize_triple(&triple)
            .map_err(|e| io(target, e))?;
    }
    writer.finish().map(drop).map_err(|e| io(target, e))
}

fn check_cap(index: usize, cap: Option<usize>) -> Result<()> {
    match cap {
        Some(limit) if index >= limit => Err(Error::TooLarge { limit }),
        _ => Ok(()),
    }
}

fn io(target: Target<'_>, source: std::io::Error) -> Error {
    Error::Io {
        path: target.into(),
        source,
    }
}
