//! `labgraph graphs`: the named graphs, their triple counts and where they came from.

use comfy_table::{ContentArrangement, Table, presets};

use crate::error::Result;
use crate::render;
use crate::store::GraphStore;

pub fn run(store: &GraphStore) -> Result<()> {
    let graphs = store.graphs()?;
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["graph", "triples", "source", "loaded at"]);
    let mut total = 0;
    for g in &graphs {
        total += g.triples;
        table.add_row([
            render::short(&g.graph.clone().into(), store.base()),
            g.triples.to_string(),
            g.source.clone().unwrap_or_else(|| "—".into()),
            g.loaded_at.clone().unwrap_or_else(|| "—".into()),
        ]);
    }
    super::print(&format!(
        "{table}\n{} graphs, {total} triples\n",
        graphs.len()
    ))
}
