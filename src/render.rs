//! Terminal rendering: SPARQL solutions as a readable table, IRIs shortened with the
//! project's prefixes and the base IRI.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};
use oxigraph::model::Term;
use oxigraph::sparql::QuerySolutionIter;

use crate::error::{Error, Result};
use crate::iri::BaseIri;
use crate::vocab;

/// Writes solutions as a table, with a row count under it.
pub fn solutions_table(
    solutions: QuerySolutionIter<'_>,
    base: &BaseIri,
    mut out: impl Write,
) -> Result<()> {
    let variables: Vec<String> = solutions
        .variables()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(variables.iter().map(|v| format!("?{v}")));
    let mut rows = 0usize;
    for solution in solutions {
        let solution = solution.map_err(|e| Error::Query {
            context: "the query failed".into(),
            message: e.to_string(),
        })?;
        table.add_row(variables.iter().map(|v| {
            solution
                .get(v.as_str())
                .map(|t| short(t, base))
                .unwrap_or_default()
        }));
        rows += 1;
    }
    let text = format!("{table}\n{rows} row{}\n", if rows == 1 { "" } else { "s" });
    out.write_all(text.as_bytes()).map_err(|e| Error::Io {
        path: "standard output".into(),
        source: e,
    })
}

/// A term as a person reads it: `prefix:local` or `<relative/iri>` for IRIs, the bare
/// lexical form for literals.
pub fn short(term: &Term, base: &BaseIri) -> String {
    match term {
        Term::NamedNode(n) => {
            let iri = n.as_str();
            if let Some(relative) = iri.strip_prefix(base.as_str()) {
                return format!("<{relative}>");
            }
            for (prefix, namespace) in vocab::PREFIXES {
                if let Some(local) = iri.strip_prefix(namespace)
                    && !local.is_empty()
                    && local
                        .chars()
                        .all(|c| c.is_alphanumeric() || "-_.".contains(c))
                {
                    return format!("{prefix}:{local}");
                }
            }
            format!("<{iri}>")
        }
        Term::BlankNode(b) => b.to_string(),
        Term::Literal(l) => l.value().to_owned(),
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode};

    #[test]
    fn iris_are_shortened() {
        let base = BaseIri::parse("https://w3id.org/labgraph/id/").unwrap();
        let t = |iri: &str| Term::from(NamedNode::new(iri).unwrap());
        assert_eq!(
            short(&t("https://w3id.org/labgraph/id/seminar/a"), &base),
            "<seminar/a>"
        );
        assert_eq!(short(&t("http://schema.org/name"), &base), "schema:name");
        assert_eq!(
            short(&t("http://metadata.un.org/sdg/11.6"), &base),
            "sdg:11.6"
        );
        assert_eq!(
            short(&t("http://example.org/x"), &base),
            "<http://example.org/x>"
        );
        assert_eq!(
            short(
                &Literal::new_language_tagged_literal_unchecked("Santé", "fr").into(),
                &base
            ),
            "Santé"
        );
    }
}
