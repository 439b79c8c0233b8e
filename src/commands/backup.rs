//! `labgraph backup DIR`: a consistent copy of the store (a RocksDB checkpoint).

use crate::cli::BackupArgs;
use crate::error::Result;
use crate::store::GraphStore;

pub fn run(store: &GraphStore, args: &BackupArgs) -> Result<()> {
    store.backup(&args.target)?;
    super::print(&format!(
        "backup written to {}; open it with --store {}\n",
        args.target.display(),
        args.target.display()
    ))
}
