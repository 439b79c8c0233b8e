//! `labgraph validate FILE…`: SHACL validation of files, together with what they
//! reference in the store, without writing anything. `import` runs the same check as its
//! gate.

use std::collections::{BTreeSet, HashMap, HashSet};

use oxigraph::model::Triple;

use crate::cli::ValidateArgs;
use crate::error::{Error, Result};
use crate::import::{self, Parsed};
use crate::shacl::{Level, Report, Shapes, mention};
use crate::store::GraphStore;

pub fn run(store: &GraphStore, args: &ValidateArgs) -> Result<()> {
    let sources = import::plan_args(&args.sources, store.base())?;
    let mut parsed = import::parse_all(sources, store.base())?;
    let reconciled = import::reconcile::reconcile(store, &mut parsed)?;
    let report = check(store, &parsed)?;
    let new: usize = parsed.iter().map(|p| p.quads.len()).sum();
    let mut text = reconciled.text();
    text.push_str(&findings(&report));
    text.push_str(&format!(
        "{} file(s), {new} triples checked with what they reference in the store: {}\n",
        args.sources.files.len(),
        counts(&report)
    ));
    super::print(&text)?;
    refusal(&report)
}

/// Checks parsed sources against the bundled shapes, together with the store's other
/// graphs (the graphs the sources replace are left out: the sources stand for them).
///
/// The report keeps the findings about what the import touches: a focus node or a value
/// that the sources mention, or that the replaced graphs mentioned (so that removing a
/// resource still referenced elsewhere is caught). What was already wrong elsewhere in
/// the store neither shows nor blocks the import.
pub(super) fn check(store: &GraphStore, parsed: &[Parsed]) -> Result<Report> {
    let replaced: BTreeSet<_> = parsed
        .iter()
        .flat_map(|p| p.graphs.iter().cloned())
        .collect();
    let mut mentioned = HashSet::new();
    for graph in &replaced {
        for triple in store.graph_triples(graph)? {
            mention(triple.subject.as_ref().into(), &mut mentioned);
            mention(triple.object.as_ref(), &mut mentioned);
        }
    }
    for quad in parsed.iter().flat_map(|p| &p.quads) {
        mention(quad.subject.as_ref().into(), &mut mentioned);
        mention(quad.object.as_ref(), &mut mentioned);
    }
    let mut triples = store.triples_for_validation(&replaced)?;
    triples.extend(
        parsed
            .iter()
            .flat_map(|p| p.quads.iter().cloned().map(Triple::from)),
    );
    let mut report = Shapes::bundled()?.validate(triples)?;
    report.only_about(&mentioned);
    // Which file describes each resource at fault: the record an administrator opens to
    // fix it.
    let mut described: HashMap<String, Vec<&str>> = HashMap::new();
    for source in parsed {
        let mut subjects = HashSet::new();
        for quad in &source.quads {
            mention(quad.subject.as_ref().into(), &mut subjects);
        }
        for subject in subjects {
            described
                .entry(subject)
                .or_default()
                .push(&source.source.name);
        }
    }
    for finding in &mut report.findings {
        if let Some(sources) = described.get(&finding.focus) {
            finding.sources = sources.iter().map(|s| (*s).to_owned()).collect();
        }
    }
    Ok(report)
}

/// Every finding, in French and English.
pub(super) fn findings(report: &Report) -> String {
    report.text()
}

/// "N violation(s), M warning(s)", in French and English.
pub(super) fn counts(report: &Report) -> String {
    let (violations, warnings) = (report.count(Level::Violation), report.count(Level::Warning));
    format!(
        "{violations} violation(s), {warnings} avertissement(s) / {violations} violation(s), {warnings} warning(s)"
    )
}

/// The error that refuses data with violations.
pub(super) fn refusal(report: &Report) -> Result<()> {
    if report.conforms {
        Ok(())
    } else {
        Err(Error::Invalid {
            violations: report.count(Level::Violation),
        })
    }
}
