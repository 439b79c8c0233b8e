//! `labgraph query`: a query text, a `.rq` file or a named query, with typed parameters;
//! results as a table or in a standard format.

use std::io::{BufWriter, Write};
use std::path::Path;

use comfy_table::{ContentArrangement, Table, presets};
use oxigraph::sparql::QueryResults;

use crate::cli::QueryArgs;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::format::{Output, Written};
use crate::queries;
use crate::render;
use crate::results;
use crate::store::GraphStore;

pub fn run(
    settings: &Settings,
    open: impl FnOnce() -> Result<GraphStore>,
    args: &QueryArgs,
) -> Result<()> {
    if args.list {
        return list();
    }
    let query = args.query.as_deref().unwrap_or_default();
    let values = args
        .params
        .iter()
        .map(|p| queries::split_assignment(p))
        .collect::<Result<Vec<_>>>()?;
    // A .rq file, else a named query, else the text itself.
    let (text, bindings) = if query.ends_with(".rq") && Path::new(query).is_file() {
        let text = std::fs::read_to_string(query).map_err(|e| Error::Io {
            path: query.into(),
            source: e,
        })?;
        (text, queries::untyped_bindings(&values, &settings.base)?)
    } else if is_name(query) {
        let named = queries::find(query)?;
        (
            named.text.to_owned(),
            named.bindings(&values, &settings.base)?,
        )
    } else {
        (
            query.to_owned(),
            queries::untyped_bindings(&values, &settings.base)?,
        )
    };
    let store = open()?;
    let prepared = store.prepare(&text)?;
    let results = store.evaluate(prepared, bindings)?;
    write(results, args.format.unwrap_or(Output::Table), &store)
}

/// A named query's name: lower-case words joined by dashes, no spaces or braces.
fn is_name(query: &str) -> bool {
    !query.is_empty()
        && query
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn write(results: QueryResults<'static>, output: Output, store: &GraphStore) -> Result<()> {
    const TARGET: &str = "standard output";
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match results {
        QueryResults::Solutions(solutions) => match output.for_solutions()? {
            Written::Results(format) => {
                results::write_solutions(solutions, format, &mut out, None, TARGET)?
            }
            _ => render::solutions_table(solutions, store.base(), &mut out)?,
        },
        QueryResults::Boolean(value) => match output.for_solutions()? {
            Written::Results(format) => results::write_boolean(value, format, &mut out, TARGET)?,
            _ => writeln!(out, "{value}").map_err(|e| Error::Io {
                path: TARGET.into(),
                source: e,
            })?,
        },
        QueryResults::Graph(triples) => {
            let Written::Graph(format) = output.for_graph()? else {
                unreachable!("for_graph only returns graph formats")
            };
            results::write_graph(triples, format, &mut out, None, TARGET)?;
        }
    }
    out.flush().map_err(|e| Error::Io {
        path: TARGET.into(),
        source: e,
    })
}

fn list() -> Result<()> {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["name", "answers", "parameters"]);
    for q in queries::all()? {
        let params = q
            .params
            .iter()
            .map(|p| {
                format!(
                    "{} ({}): {}",
                    p.name,
                    format!("{:?}", p.kind).to_lowercase(),
                    p.description
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let title = match &q.title_en {
            Some(en) => format!("{}\n{en}", q.title),
            None => q.title.clone(),
        };
        table.add_row([q.name.clone(), title, params]);
    }
    super::print(&format!("{table}\n"))
}
