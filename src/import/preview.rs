//! What an import would do and did, as text: the dry run's report (graph by graph, the
//! resources created, the SHACL findings) and the summary of a written import. The
//! command line prints it; the server's import page shows it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Instant;

use oxigraph::model::{NamedNode, NamedOrBlankNode};

use crate::error::Result;
use crate::render;
use crate::source::{Parsed, Source};
use crate::store::{Findings, GraphStore, ImportOptions, ImportReport};

/// Validates sources with the store's other graphs, as an import would, writing nothing.
pub fn check(store: &GraphStore, parsed: &[Parsed], shared: bool) -> Result<Findings> {
    let options = ImportOptions {
        validated: true,
        dry_run: true,
        shared,
    };
    Ok(store.replace_graphs(parsed, options)?.findings)
}

/// "N violation(s), M warning(s)", in French and English.
pub fn counts(findings: &Findings) -> String {
    let (violations, warnings) = (findings.violations, findings.warnings);
    format!(
        "{violations} violation(s), {warnings} avertissement(s) / {violations} violation(s), {warnings} warning(s)"
    )
}

/// What an import would do: per graph, the triples added and removed (listed with
/// `verbose`) and the resources created; then the validation report.
pub fn dry_run(
    store: &GraphStore,
    parsed: &[Parsed],
    findings: Option<&crate::store::Findings>,
    verbose: bool,
) -> Result<(String, BTreeSet<NamedNode>)> {
    let mut text = String::new();
    let planned = store.plan_versions(parsed)?;
    for p in &planned {
        let graph = render::short(&p.graph.clone().into(), store.base());
        let (removed, added) = p.before.diff(&p.after);
        if removed.is_empty() && added.is_empty() {
            let _ = writeln!(
                text,
                "{graph} ({}) : inchangé / unchanged ({} triples)",
                p.source,
                p.after.lines.len()
            );
            continue;
        }
        let _ = writeln!(
            text,
            "{graph} ({}) : +{} −{} triples ({} → {})",
            p.source,
            added.len(),
            removed.len(),
            p.before.lines.len(),
            p.after.lines.len()
        );
        if verbose {
            for line in &removed {
                let _ = writeln!(text, "  - {line}");
            }
            for line in &added {
                let _ = writeln!(text, "  + {line}");
            }
        }
    }
    // Resources the store does not describe yet: each subject looked up once.
    let subjects: BTreeSet<_> = parsed
        .iter()
        .flat_map(|p| &p.quads)
        .filter_map(|q| match &q.subject {
            NamedOrBlankNode::NamedNode(subject) => Some(subject),
            NamedOrBlankNode::BlankNode(_) => None,
        })
        .collect();
    let mut created = BTreeSet::new();
    for subject in subjects {
        if !store.describes(subject)? {
            created.insert(subject.clone());
        }
    }
    let _ = writeln!(
        text,
        "ressources créées / resources created: {}",
        created.len()
    );
    for resource in &created {
        let _ = writeln!(
            text,
            "  {}",
            render::short(&resource.clone().into(), store.base())
        );
    }
    match findings {
        Some(findings) => {
            text.push_str(&findings.text);
            let _ = writeln!(text, "validation : {}", counts(findings));
        }
        None => text.push_str("validation : non faite (--no-validate) / skipped (--no-validate)\n"),
    }
    text.push_str("simulation : rien n'a été écrit / dry run: nothing was written\n");
    Ok((text, created))
}

/// What the server's import page shows of a file: the texts `labgraph import --dry-run`
/// prints, from the same pipeline.
pub struct Preview {
    /// People and institutions matched or created.
    pub reconciled: String,
    /// What would change, graph by graph, and the validation report.
    pub plan: String,
    pub created: BTreeSet<NamedNode>,
    pub violations: usize,
}

/// The dry run of the import page: parsed, reconciled, checked by the gate; nothing is
/// written.
pub fn preview(store: &GraphStore, sources: Vec<Source>, shared: bool) -> Result<Preview> {
    let mut parsed = super::parse_all(sources, store.base())?;
    store.refuse_protected(&parsed)?;
    let reconciled = super::reconcile::reconcile(store, &mut parsed)?;
    let findings = check(store, &parsed, shared)?;
    let (plan, created) = dry_run(store, &parsed, Some(&findings), false)?;
    Ok(Preview {
        reconciled: reconciled.text(),
        plan,
        created,
        violations: findings.violations,
    })
}

/// The import of the import page, once confirmed: through the gate, like
/// `labgraph import`. Returns its summary, with the gate's warnings.
pub fn import_now(store: &GraphStore, sources: Vec<Source>, shared: bool) -> Result<String> {
    let started = Instant::now();
    let mut parsed = super::parse_all(sources, store.base())?;
    store.refuse_protected(&parsed)?;
    super::reconcile::reconcile(store, &mut parsed)?;
    let options = ImportOptions {
        validated: true,
        dry_run: false,
        shared,
    };
    let written = store.replace_graphs(&parsed, options)?;
    Ok(format!(
        "{}{}",
        written.findings.text,
        summary(store, &written, started.elapsed().as_secs_f64())
    ))
}

pub fn summary(store: &GraphStore, report: &ImportReport, seconds: f64) -> String {
    let mut text = String::new();
    for graph in &report.unchanged {
        let _ = writeln!(
            text,
            "{}: inchangé, rien n'a été écrit / unchanged, nothing written",
            render::short(&graph.clone().into(), store.base())
        );
    }
    for (graph, triples) in &report.graphs {
        let _ = writeln!(
            text,
            "{}: {triples} triples",
            render::short(&graph.clone().into(), store.base())
        );
    }
    if let Some(activity) = &report.activity {
        let _ = writeln!(
            text,
            "{n} graphe{s} importé{s} en {seconds:.2} s, enregistré comme {activity} / imported {n} graph{s} in {seconds:.2} s, recorded as {activity}",
            n = report.graphs.len(),
            s = if report.graphs.len() == 1 { "" } else { "s" },
            activity = render::short(&activity.clone().into(), store.base())
        );
    }
    text
}
