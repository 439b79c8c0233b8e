//! The sitemap (sitemaps.org protocol 0.9) of the HTML pages: the home page, the index
//! pages, and the page of every resource under the base IRI that the data describes, its
//! `lastmod` the time the latest graph describing it changed. Over [`SITEMAP_LIMIT`]
//! pages, `sitemap.xml` is an index of `sitemaps/N.xml` files of at most that many each.

use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::dumps::Stats;
use super::{FileInfo, ORIGIN, io};
use crate::error::Result;
use crate::source::hex;
use crate::store::GraphStore;

/// The protocol's limit of URLs per sitemap file.
pub const SITEMAP_LIMIT: usize = 50_000;
const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// Writes the sitemap files; returns how many URL sets there are beside `sitemap.xml`
/// (0 when `sitemap.xml` is the only one).
pub fn write(
    store: &GraphStore,
    dir: &Path,
    stats: &Stats,
    latest: &str,
    written: &mut Vec<(String, FileInfo)>,
) -> Result<usize> {
    let mut urls: Vec<(String, &str)> = vec![("/".to_owned(), latest)];
    for list in crate::pages::lists::LISTS {
        urls.push((format!("/lists/{}", list.name), latest));
    }
    for (iri, modified) in &stats.pages {
        if let Some(path) = crate::pages::local_path(store.base(), iri) {
            urls.push((path, modified.as_str()));
        }
    }
    files(dir, &urls, latest, SITEMAP_LIMIT, written)
}

/// The sitemap files of `urls`, at most `limit` in each.
fn files(
    dir: &Path,
    urls: &[(String, &str)],
    latest: &str,
    limit: usize,
    written: &mut Vec<(String, FileInfo)>,
) -> Result<usize> {
    let chunks: Vec<&[(String, &str)]> = urls.chunks(limit).collect();
    if chunks.len() <= 1 {
        let body = url_set(chunks.first().copied().unwrap_or_default());
        written.push(save(dir, "sitemap.xml", body, latest)?);
        return Ok(0);
    }
    let mut index = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"{NAMESPACE}\">\n"
    );
    std::fs::create_dir_all(dir.join("sitemaps")).map_err(|e| io(dir, e))?;
    for (n, chunk) in chunks.iter().enumerate() {
        let name = format!("sitemaps/{}.xml", n + 1);
        let newest = chunk.iter().map(|(_, m)| *m).max().unwrap_or(latest);
        written.push(save(dir, &name, url_set(chunk), newest)?);
        let _ = writeln!(
            index,
            "  <sitemap><loc>{}</loc><lastmod>{newest}</lastmod></sitemap>",
            escape(&format!("{ORIGIN}/{name}"))
        );
    }
    index.push_str("</sitemapindex>\n");
    written.push(save(dir, "sitemap.xml", index, latest)?);
    Ok(chunks.len())
}

fn url_set(urls: &[(String, &str)]) -> String {
    let mut body =
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{NAMESPACE}\">\n");
    for (path, modified) in urls {
        let _ = write!(
            body,
            "  <url><loc>{}</loc>",
            escape(&format!("{ORIGIN}{}", encode(path)))
        );
        if !modified.is_empty() {
            let _ = write!(body, "<lastmod>{modified}</lastmod>");
        }
        body.push_str("</url>\n");
    }
    body.push_str("</urlset>\n");
    body
}

fn save(dir: &Path, name: &str, body: String, modified: &str) -> Result<(String, FileInfo)> {
    let path = dir.join(name);
    std::fs::write(&path, body.as_bytes()).map_err(|e| io(&path, e))?;
    Ok((
        name.to_owned(),
        FileInfo {
            size: body.len() as u64,
            sha256: hex(&Sha256::digest(body.as_bytes())),
            media_type: "application/xml".into(),
            modified: modified.to_owned(),
            graph: None,
        },
    ))
}

/// A path with its non-ASCII characters and spaces percent-encoded (RFC 3986), as the
/// protocol asks of every `loc`.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_graphic() {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// XML's five escapes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_limit_the_sitemap_is_an_index_of_files_within_it() {
        let dir = tempfile::tempdir().unwrap();
        let dates: Vec<String> = (0..5).map(|i| format!("2026-11-29T00:00:0{i}Z")).collect();
        let urls: Vec<(String, &str)> = dates
            .iter()
            .enumerate()
            .map(|(i, date)| (format!("/id/x/{i}"), date.as_str()))
            .collect();
        let mut written = Vec::new();
        let parts = files(dir.path(), &urls, "2026-11-29T00:00:09Z", 2, &mut written).unwrap();
        assert_eq!(parts, 3);
        let index = std::fs::read_to_string(dir.path().join("sitemap.xml")).unwrap();
        assert!(index.contains("<sitemapindex"));
        assert_eq!(index.matches("<sitemap>").count(), 3);
        // Each part's lastmod is its newest page's.
        assert!(
            index.contains("sitemaps/3.xml</loc><lastmod>2026-11-29T00:00:04Z"),
            "{index}"
        );
        let last = std::fs::read_to_string(dir.path().join("sitemaps/3.xml")).unwrap();
        assert_eq!(last.matches("<url>").count(), 1);
        assert_eq!(written.len(), 4);
        // Within the limit, one file.
        let dir = tempfile::tempdir().unwrap();
        let mut written = Vec::new();
        assert_eq!(files(dir.path(), &urls, "", 5, &mut written).unwrap(), 0);
        let only = std::fs::read_to_string(dir.path().join("sitemap.xml")).unwrap();
        assert_eq!(only.matches("<url>").count(), 5);
    }
}
