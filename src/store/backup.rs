//! Backups: a consistent copy of the store, with the kept contents of its versions.

use std::path::Path;

use super::GraphStore;
use crate::error::{Error, Result};

impl GraphStore {
    /// Writes a consistent copy of the store into `target`, which must not exist yet.
    pub fn backup(&self, target: &Path) -> Result<()> {
        if target.exists() {
            return Err(Error::Usage(format!(
                "'{}' already exists; a backup goes into a new folder",
                target.display()
            )));
        }
        self.store.backup(target).map_err(|e| Error::Store {
            path: target.to_owned(),
            message: e.to_string(),
        })?;
        // The kept contents of versions go with the store, so that rollback works there.
        let Some(kept) = self.kept().map(|k| k.folder().to_owned()) else {
            return Ok(());
        };
        if !kept.is_dir() {
            return Ok(());
        }
        let copy = target.join(crate::versions::FOLDER);
        let io = |path: &Path, e| Error::Io {
            path: path.to_owned(),
            source: e,
        };
        std::fs::create_dir_all(&copy).map_err(|e| io(&copy, e))?;
        for entry in std::fs::read_dir(&kept).map_err(|e| io(&kept, e))? {
            let entry = entry.map_err(|e| io(&kept, e))?;
            std::fs::copy(entry.path(), copy.join(entry.file_name()))
                .map_err(|e| io(&entry.path(), e))?;
        }
        Ok(())
    }
}
