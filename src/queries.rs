//! The named queries of `queries/`: their header (title, question answered, parameters,
//! example) and the typing of parameter values given on the command line.
//!
//! A header is the block of `#` comment lines at the top of a `.rq` file:
//!
//! ```text
//! # title: Séminaires d'un territoire entre deux dates
//! # title@en: Seminars on a territory between two dates
//! # answers: CQ1 — Which seminars took place on a territory between two dates, organised by whom?
//! # param: territory iri — territory IRI; unbound: every territory
//! # example: territory=territory/pole-metropolitain/artois
//! ```
//!
//! Values bind variables as a one-row `VALUES` table joined into the parsed query
//! (`store::GraphStore::evaluate`), never by editing the query text.

use std::path::Path;

use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, Term};
use oxigraph::sparql::Variable;

use crate::error::{Error, Result};
use crate::iri::BaseIri;

/// The type of a parameter, as its header declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Iri,
    String,
    Date,
    Integer,
}

/// A parameter of a named query.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub kind: ParamType,
    pub description: String,
}

/// A named query of `queries/`.
#[derive(Debug, Clone)]
pub struct NamedQuery {
    pub name: String,
    pub title: String,
    pub title_en: Option<String>,
    pub answers: Option<String>,
    pub params: Vec<Param>,
    /// `NAME=VALUE` pairs of the header's example line.
    pub example: Vec<(String, String)>,
    pub text: &'static str,
}

/// Every bundled named query, sorted by name.
pub fn all() -> Result<Vec<NamedQuery>> {
    Ok(parsed()?.to_vec())
}

/// The named query called `name`.
pub fn find(name: &str) -> Result<NamedQuery> {
    let all = parsed()?;
    all.iter()
        .find(|q| q.name == name)
        .cloned()
        .ok_or_else(|| Error::UnknownQuery {
            name: name.to_owned(),
            available: all
                .iter()
                .map(|q| q.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The headers of the bundled queries, parsed once: the server looks a query up on every
/// request to `/queries/{name}`.
fn parsed() -> Result<&'static [NamedQuery]> {
    static PARSED: std::sync::OnceLock<Vec<NamedQuery>> = std::sync::OnceLock::new();
    if let Some(parsed) = PARSED.get() {
        return Ok(parsed);
    }
    let parsed = crate::bundled::QUERIES
        .iter()
        .map(|(path, text)| {
            let name = Path::new(path)
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            parse_header(&name, text)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PARSED.get_or_init(|| parsed))
}

fn parse_header(name: &str, text: &'static str) -> Result<NamedQuery> {
    let mut query = NamedQuery {
        name: name.to_owned(),
        title: name.to_owned(),
        title_en: None,
        answers: None,
        params: Vec::new(),
        example: Vec::new(),
        text,
    };
    let bad = |message: String| Error::Query {
        context: format!("header of queries/{name}.rq"),
        message,
    };
    for line in text.lines().map_while(|l| l.strip_prefix('#')) {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "title" => query.title = value.to_owned(),
            "title@en" => query.title_en = Some(value.to_owned()),
            "answers" => query.answers = Some(value.to_owned()),
            "param" => {
                let mut words = value.splitn(3, char::is_whitespace);
                let (Some(pname), Some(kind)) = (words.next(), words.next()) else {
                    return Err(bad(format!("'param: {value}' needs a name and a type")));
                };
                let kind = match kind {
                    "iri" => ParamType::Iri,
                    "string" => ParamType::String,
                    "date" => ParamType::Date,
                    "integer" => ParamType::Integer,
                    other => {
                        return Err(bad(format!(
                            "unknown parameter type '{other}' (iri, string, date, integer)"
                        )));
                    }
                };
                let description = words
                    .next()
                    .unwrap_or("")
                    .trim_start_matches(['—', '-', ' '])
                    .to_owned();
                query.params.push(Param {
                    name: pname.trim_start_matches('?').to_owned(),
                    kind,
                    description,
                });
            }
            "example" => {
                query.example = split_example(value).map_err(bad)?;
            }
            _ => {}
        }
    }
    Ok(query)
}

/// Splits `a=1 b="two words"` into pairs.
fn split_example(line: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("'{rest}' is not NAME=VALUE"))?;
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| format!("unclosed quote in '{rest}'"))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            after.split_once(char::is_whitespace).unwrap_or((after, ""))
        };
        pairs.push((name.trim().to_owned(), value.to_owned()));
        rest = next.trim_start();
    }
    Ok(pairs)
}

/// Splits a command-line `NAME=VALUE`.
pub fn split_assignment(assignment: &str) -> Result<(String, String)> {
    assignment
        .split_once('=')
        .map(|(n, v)| (n.trim().trim_start_matches('?').to_owned(), v.to_owned()))
        .filter(|(n, _)| !n.is_empty())
        .ok_or_else(|| Error::Usage(format!("--param takes NAME=VALUE, not '{assignment}'")))
}

impl NamedQuery {
    /// Types the given values by the header's declarations.
    pub fn bindings(
        &self,
        values: &[(String, String)],
        base: &BaseIri,
    ) -> Result<Vec<(Variable, Term)>> {
        values
            .iter()
            .map(|(name, value)| {
                let param = self
                    .params
                    .iter()
                    .find(|p| &p.name == name)
                    .ok_or_else(|| Error::Parameter {
                        query: self.name.clone(),
                        name: name.clone(),
                        message: format!(
                            "this query has no such parameter; its parameters are: {}",
                            if self.params.is_empty() {
                                "none".to_owned()
                            } else {
                                self.params
                                    .iter()
                                    .map(|p| p.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ),
                    })?;
                let term = typed(param.kind, value, base).map_err(|message| Error::Parameter {
                    query: self.name.clone(),
                    name: name.clone(),
                    message,
                })?;
                Ok((Variable::new_unchecked(name.clone()), term))
            })
            .collect()
    }
}

/// Values for a query text given directly (no header): `<iri>` is an IRI, anything else a
/// plain string.
pub fn untyped_bindings(
    values: &[(String, String)],
    base: &BaseIri,
) -> Result<Vec<(Variable, Term)>> {
    values
        .iter()
        .map(|(name, value)| {
            let variable = Variable::new(name.clone())
                .map_err(|e| Error::Usage(format!("--param {name}: {e}")))?;
            let kind = if value.starts_with('<') && value.ends_with('>') {
                ParamType::Iri
            } else {
                ParamType::String
            };
            let term = typed(kind, value, base)
                .map_err(|message| Error::Usage(format!("--param {name}: {message}")))?;
            Ok((variable, term))
        })
        .collect()
}

fn typed(kind: ParamType, value: &str, base: &BaseIri) -> std::result::Result<Term, String> {
    Ok(match kind {
        ParamType::Iri => {
            let iri = value.trim_start_matches('<').trim_end_matches('>');
            base.resolve(iri).map_err(|e| e.to_string())?.into()
        }
        ParamType::String => Literal::from(value).into(),
        ParamType::Date => {
            value
                .parse::<oxsdatatypes::Date>()
                .map_err(|e| format!("'{value}' is not a date in ISO form (2022-12-01): {e}"))?;
            Literal::new_typed_literal(value, xsd::DATE).into()
        }
        ParamType::Integer => {
            let n: i64 = value
                .parse()
                .map_err(|_| format!("'{value}' is not an integer"))?;
            Literal::from(n).into()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# title: Essai\n# param: from date — first day\n# param: where iri\n# example: from=2022-01-01 where=\"territory/x y\"\nSELECT * WHERE {}";

    #[test]
    fn headers_declare_typed_parameters() {
        let q = parse_header("essai", TEXT).unwrap();
        assert_eq!(q.title, "Essai");
        assert_eq!(q.params.len(), 2);
        assert_eq!(q.params[0].kind, ParamType::Date);
        assert_eq!(q.params[0].description, "first day");
        assert_eq!(q.example[1], ("where".into(), "territory/x y".into()));
    }

    #[test]
    fn values_are_typed_and_checked() {
        let q = parse_header("essai", TEXT).unwrap();
        let base = BaseIri::parse("https://example.org/").unwrap();
        let b = q
            .bindings(&[("from".into(), "2022-12-01".into())], &base)
            .unwrap();
        assert_eq!(
            b[0].1.to_string(),
            "\"2022-12-01\"^^<http://www.w3.org/2001/XMLSchema#date>"
        );
        let b = q
            .bindings(&[("where".into(), "seminar/a".into())], &base)
            .unwrap();
        assert_eq!(b[0].1.to_string(), "<https://example.org/seminar/a>");
        assert!(
            q.bindings(&[("from".into(), "1er décembre".into())], &base)
                .is_err()
        );
        assert!(q.bindings(&[("nope".into(), "1".into())], &base).is_err());
        assert!(split_assignment("novalue").is_err());
    }
}
