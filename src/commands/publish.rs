//! `labgraph publish`: writes the dumps, the catalogue, VoID and the sitemap now, and
//! says what they are.

use crate::error::Result;
use crate::publish::Publication;
use crate::store::GraphStore;

pub fn run(store: &GraphStore) -> Result<()> {
    let generation = Publication::of(store)?.write()?;
    let manifest = &generation.manifest;
    let mut out = format!(
        "écrits en {:.1} s dans {} / written in {:.1} s:\n",
        manifest.seconds,
        generation.dir.display(),
        manifest.seconds
    );
    for (name, info) in &manifest.files {
        out.push_str(&format!(
            "  {name:<48} {:>12} octets  sha256 {}\n",
            info.size, info.sha256
        ));
    }
    super::print(&out)
}
