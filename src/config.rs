//! Turns flags and environment into checked, typed settings before any work starts.

use std::path::PathBuf;

use crate::cli::Global;
use crate::error::{Error, Result};
pub use crate::iri::BaseIri;
use crate::vocab;

/// Settings every command shares.
#[derive(Debug, Clone)]
pub struct Settings {
    pub store_path: PathBuf,
    pub base: BaseIri,
}

impl Settings {
    /// Checks the global flags.
    pub fn from_flags(global: &Global) -> Result<Self> {
        let base = BaseIri::parse(
            global
                .base_iri
                .as_deref()
                .unwrap_or(vocab::DEFAULT_BASE_IRI),
        )?;
        if global.store.as_os_str().is_empty() {
            return Err(Error::Usage("--store needs a folder".into()));
        }
        Ok(Self {
            store_path: global.store.clone(),
            base,
        })
    }
}
