//! `labgraph history [GRAPH]`: the recorded versions of the graphs, oldest first.

use comfy_table::Table;

use crate::cli::HistoryArgs;
use crate::error::Result;
use crate::store::GraphStore;

pub fn run(store: &GraphStore, args: &HistoryArgs) -> Result<()> {
    let graph = args
        .graph
        .as_deref()
        .map(|g| store.base().resolve(g))
        .transpose()?;
    let versions = store.versions(graph.as_ref())?;
    let mut table = Table::new();
    table.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    table.set_header([
        "date",
        "graphe / graph",
        "source",
        "triplets / triples",
        "validé / validated",
        "empreinte / hash (RDFC-1.0 ; nc- : non canonique / not canonical)",
        "fichier / file (SHA-256)",
        "version",
    ]);
    let short = |hash: &Option<String>| {
        hash.as_deref()
            .map_or_else(|| "—".to_owned(), |h| h.chars().take(12).collect())
    };
    for v in &versions {
        table.add_row([
            v.time.map_or_else(|| "—".to_owned(), |t| t.to_string()),
            crate::render::short(&v.graph.clone().into(), store.base()),
            v.source.clone().unwrap_or_default(),
            v.triples.map_or_else(String::new, |n| n.to_string()),
            match v.validated {
                Some(true) => "oui / yes",
                Some(false) => "non / no",
                None => "—",
            }
            .to_owned(),
            short(&v.hash),
            short(&v.source_sha256),
            crate::render::short(&v.version.clone().into(), store.base()),
        ]);
    }
    super::print(&format!("{table}\n{} version(s)\n", versions.len()))
}
