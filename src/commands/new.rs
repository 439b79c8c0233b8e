//! `labgraph new KIND`: a commented record to fill in — a seminar with a part of its
//! programme and a speaker, a person, an institution, an action. Each is valid as written (its
//! example values name resources the bundled data has), so the gate's report after an
//! edit is about the edit; the comments say what to replace and how to find IRIs.

use crate::cli::{NewArgs, NewKind};
use crate::error::{Error, Result};

pub fn run(args: &NewArgs) -> Result<()> {
    let text = match args.kind {
        NewKind::Seminar => include_str!("../../records/new/seminar.yaml"),
        NewKind::Person => include_str!("../../records/new/person.yaml"),
        NewKind::Institution => include_str!("../../records/new/institution.yaml"),
        NewKind::Action => include_str!("../../records/new/action.yaml"),
    };
    match &args.output {
        None => super::print(text),
        Some(path) if path.exists() => Err(Error::Usage(format!(
            "{} exists already: labgraph new does not overwrite a file / le fichier existe déjà",
            path.display()
        ))),
        Some(path) => std::fs::write(path, text).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        }),
    }
}
