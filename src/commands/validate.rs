//! `labgraph validate FILE…`: SHACL validation of files, together with what they
//! reference in the store, without writing anything.

use std::collections::BTreeSet;

use oxigraph::model::Triple;

use crate::cli::ValidateArgs;
use crate::error::{Error, Result};
use crate::import;
use crate::shacl::{Level, Shapes};
use crate::store::GraphStore;

pub fn run(store: &GraphStore, args: &ValidateArgs) -> Result<()> {
    let sources = import::plan_args(&args.sources, store.base())?;
    let parsed = import::parse_all(sources, store.base())?;
    let replaced: BTreeSet<_> = parsed
        .iter()
        .flat_map(|p| p.graphs.iter().cloned())
        .collect();
    let mut triples = store.triples_for_validation(&replaced)?;
    let new: usize = parsed.iter().map(|p| p.quads.len()).sum();
    triples.extend(
        parsed
            .into_iter()
            .flat_map(|p| p.quads.into_iter().map(Triple::from)),
    );
    let report = Shapes::bundled()?.validate(triples)?;
    let mut text = String::new();
    for finding in &report.findings {
        text.push_str(&finding.to_string());
    }
    let (violations, warnings) = (report.count(Level::Violation), report.count(Level::Warning));
    text.push_str(&format!(
        "{} file(s), {new} triples checked with what they reference in the store: {violations} violation(s), {warnings} warning(s)\n",
        args.sources.files.len()
    ));
    super::print(&text)?;
    if report.conforms {
        Ok(())
    } else {
        Err(Error::Shacl(format!(
            "{violations} violation(s) of the shapes; nothing was written"
        )))
    }
}
