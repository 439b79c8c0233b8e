//! `labgraph rollback GRAPH`: gives a graph back the content of its previous version.

use crate::cli::RollbackArgs;
use crate::error::{Error, Result};
use crate::render;
use crate::store::{GraphStore, describe};

pub fn run(store: &GraphStore, args: &RollbackArgs) -> Result<()> {
    let graph = store.base().resolve(&args.graph)?;
    if store.versions(Some(&graph))?.is_empty() {
        return Err(Error::Refused(format!(
            "{graph} has no recorded version: 'labgraph history' lists the graphs that have"
        )));
    }
    let report = store.rollback(&graph, !args.force)?;
    let mut text = String::new();
    if report.had_unrecorded_changes {
        text.push_str(
            "attention : le graphe avait changé depuis sa dernière version enregistrée (écriture HTTP) ; cet état est conservé / \
             warning: the graph had changed since its last recorded version (an HTTP write); that state is kept\n",
        );
    }
    text.push_str(&format!(
        "{} : rétabli à la version / restored to the version of {} ({} triples), recorded as {}\n",
        render::short(&graph.clone().into(), store.base()),
        describe(&report.restored),
        report.triples,
        render::short(&report.activity.into(), store.base())
    ));
    super::print(&text)
}
