//! `labgraph export`: the whole store (TriG by default) or one graph (Turtle by default).

use std::fs::File;
use std::io::{BufWriter, Write};

use crate::cli::ExportArgs;
use crate::error::{Error, Result};
use crate::format::{self, Rdf};
use crate::store::GraphStore;

pub fn run(store: &GraphStore, args: &ExportArgs) -> Result<()> {
    let graph = args
        .graph
        .as_deref()
        .map(|g| store.base().resolve(g))
        .transpose()?;
    let default = if graph.is_some() {
        Rdf::Turtle
    } else {
        Rdf::Trig
    };
    match &args.output {
        Some(path) => {
            let format = match args.format {
                Some(f) => f,
                None => format::Rdf::from_path(path).unwrap_or(default),
            };
            // Write next to the target and rename, so a failed export never leaves half a file.
            let partial = path.with_extension("partial");
            let io = |e| Error::Io {
                path: path.clone(),
                source: e,
            };
            let mut writer = BufWriter::new(File::create(&partial).map_err(io)?);
            let result = store
                .export(graph.as_ref(), format, &mut writer)
                .map_err(hint);
            let result = result.and_then(|()| writer.flush().map_err(io));
            if let Err(e) = result {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
            std::fs::rename(&partial, path).map_err(io)
        }
        None => {
            let stdout = std::io::stdout();
            let mut writer = BufWriter::new(stdout.lock());
            store
                .export(graph.as_ref(), args.format.unwrap_or(default), &mut writer)
                .map_err(hint)?;
            writer.flush().map_err(|e| Error::Io {
                path: "standard output".into(),
                source: e,
            })
        }
    }
}

/// What to do about a refused export, in the command line's terms.
fn hint(error: Error) -> Error {
    match error {
        Error::Usage(message) if message.starts_with("the store has no graph") => {
            Error::Usage(format!("{message}; 'labgraph graphs' lists them"))
        }
        Error::Usage(message) if message.starts_with("the whole store is written") => {
            Error::Usage(format!("{message}; or name one graph with --graph"))
        }
        other => other,
    }
}
