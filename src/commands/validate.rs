//! `labgraph validate FILE…`: the SHACL gate of the write path run on files, together
//! with what they reference in the store, without writing anything (a dry run of the
//! import). `import` goes through the same gate.

use crate::cli::ValidateArgs;
use crate::error::{Error, Result};
use crate::import;
use crate::store::{Findings, GraphStore};

pub fn run(store: &GraphStore, args: &ValidateArgs) -> Result<()> {
    let sources = super::sources(&args.sources, store.base())?;
    let mut parsed = import::parse_all(sources, store.base())?;
    let reconciled = import::reconcile::reconcile(store, &mut parsed)?;
    let new: usize = parsed.iter().map(|p| p.quads.len()).sum();
    let findings = check(store, &parsed, false)?;
    let mut text = reconciled.text();
    text.push_str(&findings.text);
    text.push_str(&format!(
        "{} file(s), {new} triples checked with what they reference in the store: {}\n",
        args.sources.files.len(),
        counts(&findings)
    ));
    super::print(&text)?;
    refusal(&findings)
}

/// Runs the gate on parsed sources as if they replaced their graphs, and writes nothing.
pub(super) use crate::import::preview::{check, counts};

/// The error that refuses data with violations.
pub(super) fn refusal(findings: &Findings) -> Result<()> {
    if findings.violations == 0 {
        Ok(())
    } else {
        Err(Error::Invalid {
            violations: findings.violations,
        })
    }
}
