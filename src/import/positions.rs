//! Where a record, or a Turtle (or TriG) file, states things, for the gate's messages: the line and
//! column of each statement's subject, and of each predicate under it, read from the
//! text as people write Turtle — a subject at the start of a line, its predicates after
//! it, one per line (as the bundled data and Turtle serialisers write it). Oxigraph's
//! parser gives no positions for what parses; where the text is written otherwise, a
//! finding names the file only.

use super::record::Node;
use crate::iri::BaseIri;
use crate::source::Positions;

/// The positions of a Turtle text's statements (see [`Positions`]).
pub fn turtle(bytes: &[u8], base: &BaseIri) -> Positions {
    let mut positions = Positions::new();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return positions;
    };
    let mut prefixes: Vec<(String, String)> = Vec::new();
    let mut subject: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let number = n as u64 + 1;
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("@prefix") || lower.starts_with("prefix") {
            let mut words = trimmed.split_whitespace().skip(1);
            if let (Some(name), Some(iri)) = (words.next(), words.next()) {
                let iri = iri
                    .trim_start_matches('<')
                    .trim_end_matches(['.', ' '])
                    .trim_end_matches('>');
                prefixes.push((name.trim_end_matches(':').to_owned(), iri.to_owned()));
            }
            continue;
        }
        let column = (line.len() - trimmed.len()) as u64 + 1;
        let Some(first) = first_term(trimmed) else {
            continue;
        };
        if column == 1 && !trimmed.starts_with(['[', '(', ']', ')', '"']) {
            // A statement starts: its subject, then maybe its first predicate.
            subject = expand(first, &prefixes, base);
            if let Some(s) = &subject {
                positions
                    .entry((s.clone(), String::new()))
                    .or_insert((number, column));
                let rest = trimmed[first.len()..].trim_start();
                if let Some(predicate) =
                    first_term(rest).and_then(|p| predicate(p, &prefixes, base))
                {
                    let at = (line.len() - rest.len()) as u64 + 1;
                    positions
                        .entry((s.clone(), predicate))
                        .or_insert((number, at));
                }
            }
        } else if let Some(s) = &subject
            && let Some(predicate) = predicate(first, &prefixes, base)
        {
            positions
                .entry((s.clone(), predicate))
                .or_insert((number, column));
        }
        if trimmed.trim_end().ends_with(" .") || trimmed.trim_end() == "." {
            subject = None;
        }
    }
    positions
}

/// The first term of a line: an IRI in angle brackets, or a word.
fn first_term(text: &str) -> Option<&str> {
    if text.starts_with('<') {
        return text.find('>').map(|end| &text[..=end]);
    }
    let end = text
        .find(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .unwrap_or(text.len());
    (end > 0).then(|| &text[..end])
}

fn predicate(term: &str, prefixes: &[(String, String)], base: &BaseIri) -> Option<String> {
    if term == "a" {
        return Some("http://www.w3.org/1999/02/22-rdf-syntax-ns#type".into());
    }
    expand(term, prefixes, base)
}

/// The IRI a term names: `<…>` resolved against the base, or a prefixed name.
fn expand(term: &str, prefixes: &[(String, String)], base: &BaseIri) -> Option<String> {
    if let Some(iri) = term.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
        return base.resolve(iri).ok().map(|n| n.into_string());
    }
    let (prefix, local) = term.split_once(':')?;
    prefixes
        .iter()
        .rev()
        .find(|(name, _)| name == prefix)
        .map(|(_, namespace)| format!("{namespace}{local}"))
}

/// Where a record states things (see [`crate::source::Positions`]): the key of each field
/// of a resource with an `id`, and the `id` itself. A record that does not parse has none
/// (its import stops at the syntax error anyway).
pub fn record(bytes: &[u8], base: &crate::iri::BaseIri) -> crate::source::Positions {
    let mut positions = crate::source::Positions::new();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return positions;
    };
    let Ok(root) = serde_saphyr::from_str::<serde_saphyr::Spanned<Node>>(text) else {
        return positions;
    };
    index_positions(&root, base, &mut positions);
    positions
}

fn index_positions(
    node: &serde_saphyr::Spanned<Node>,
    base: &crate::iri::BaseIri,
    positions: &mut crate::source::Positions,
) {
    let at = |s: &serde_saphyr::Spanned<String>| (s.referenced.line(), s.referenced.column());
    match &node.value {
        Node::List(items) => items
            .iter()
            .for_each(|i| index_positions(i, base, positions)),
        Node::Map(entries) => {
            let id = entries
                .iter()
                .find_map(|(k, v)| match (&k.value[..], &v.value) {
                    ("id" | "@id", Node::String(id)) => Some((k, expand_id(id, base))),
                    _ => None,
                });
            if let Some((key, Some(subject))) = &id {
                positions.insert((subject.clone(), String::new()), at(key));
            }
            for (key, value) in entries {
                if let Some((_, Some(subject))) = &id
                    && let Some(property) = property_iri(&key.value)
                {
                    positions
                        .entry((subject.clone(), property))
                        .or_insert_with(|| at(key));
                }
                index_positions(value, base, positions);
            }
        }
        _ => {}
    }
}

/// The IRI a record's `id` names: a prefixed name of the context, or an IRI relative to
/// the base.
fn expand_id(value: &str, base: &crate::iri::BaseIri) -> Option<String> {
    if let Some((prefix, local)) = value.split_once(':')
        && super::record::context().prefixes.contains(prefix)
        && let Some(namespace) = super::record::context()
            .object
            .get(prefix)
            .and_then(|v| v.as_str())
    {
        return Some(format!("{namespace}{local}"));
    }
    base.resolve(value).ok().map(|n| n.into_string())
}

/// The property IRI a key of a record stands for (`type` is `rdf:type`).
fn property_iri(key: &str) -> Option<String> {
    if matches!(key, "type" | "@type") {
        return Some("http://www.w3.org/1999/02/22-rdf-syntax-ns#type".into());
    }
    let definition = super::record::context().object.get(key);
    let compact = match definition {
        Some(serde_json::Value::String(iri)) => iri.as_str(),
        Some(serde_json::Value::Object(d)) => d.get("@id")?.as_str()?,
        _ if key.contains(':') => key,
        _ => return None,
    };
    match compact.split_once(':') {
        Some((prefix, local)) if super::record::context().prefixes.contains(prefix) => {
            super::record::context()
                .object
                .get(prefix)
                .and_then(|v| v.as_str())
                .map(|namespace| format!("{namespace}{local}"))
        }
        _ => Some(compact.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_predicates_have_their_lines() {
        let base = BaseIri::parse("https://w3id.org/labgraph/id/").unwrap();
        let text = "@prefix schema: <http://schema.org/> .\n\n<person/a> a schema:Person ;\n    schema:name \"A\" ;\n    schema:affiliation <org/x> .\n";
        let positions = turtle(text.as_bytes(), &base);
        let a = "https://w3id.org/labgraph/id/person/a".to_owned();
        assert_eq!(positions[&(a.clone(), String::new())], (3, 1));
        assert_eq!(
            positions[&(
                a.clone(),
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#type".into()
            )],
            (3, 12)
        );
        assert_eq!(
            positions[&(a.clone(), "http://schema.org/name".into())],
            (4, 5)
        );
        assert_eq!(
            positions[&(a, "http://schema.org/affiliation".into())],
            (5, 5)
        );
    }
}
