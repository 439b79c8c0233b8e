//! Spreadsheets of Politique de la ville actions: a CSV file, one row per action, becomes
//! a record (a list of `Action` nodes) and goes through the same path as any record —
//! reconciliation of the lead institution, the SHACL gate (territories, themes and SDG
//! codes must exist), dry run and versions.
//!
//! Columns, French or English headers, in any order (case and accents ignored):
//!
//! | column | French header | value |
//! | --- | --- | --- |
//! | `title` (required) | `titre`, `nom` | the action's name (French) |
//! | `description` | `description` | what it does (French) |
//! | `lead` (required) | `porteur`, `structure porteuse`, `pilote` | the lead institution: IRI (`org/irev`), acronym or name, matched with the store's |
//! | `territories` | `territoires`, `codes territoires` | QPV (`QN06201M`), EPCI (SIREN, 9 digits), commune (INSEE, 5 characters) codes |
//! | `themes` | `thèmes`, `thématiques` | theme keys (`sante`, `theme/mobilite`) |
//! | `sdg` | `odd`, `cibles odd`, `sdg targets` | SDG goals or targets (`11`, `11.1`, `2.a`) |
//! | `source` (required) | `source` | the page or document the action comes from |
//! | `id` | `identifiant` | the action's IRI; by default `action/<title in lowercase, with dashes>` |
//!
//! Several values in a cell are separated by `;`, `,` or `|`. The delimiter of the file is
//! `,` or `;` (read from the header line). Every error names the line and the column.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::text::{normalise, slug};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Id,
    Title,
    Description,
    Lead,
    Territories,
    Themes,
    Sdg,
    Source,
}

impl Column {
    fn from_header(header: &str) -> Option<Self> {
        Some(match normalise(header).as_str() {
            "id" | "identifiant" | "iri" => Column::Id,
            "title" | "titre" | "nom" | "name" | "intitule" => Column::Title,
            "description" => Column::Description,
            "lead" | "lead institution" | "porteur" | "structure porteuse" | "pilote" => {
                Column::Lead
            }
            "territories" | "territory codes" | "territoires" | "codes territoires"
            | "territoire" => Column::Territories,
            "themes" | "thematiques" | "theme" => Column::Themes,
            "sdg" | "sdgs" | "sdg targets" | "odd" | "cibles odd" | "cibles" => Column::Sdg,
            "source" | "sources" => Column::Source,
            _ => return None,
        })
    }
}

/// The record (JSON-LD without context) of the actions of a CSV file.
pub fn to_record(bytes: &[u8], source_name: &str) -> Result<Vec<u8>> {
    let syntax = |line: u64, column: Option<u64>, message: String| Error::Syntax {
        source_name: source_name.to_owned(),
        position: Some((line, column.unwrap_or(1))),
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        syntax(
            line,
            None,
            "the file is not UTF-8 text (save the spreadsheet as « CSV UTF-8 ») / le fichier n'est pas en UTF-8".into(),
        )
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.contains(';') && !header_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| syntax(1, None, format!("malformed CSV header: {e}")))?
        .clone();
    let mut columns = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let column = Column::from_header(header).ok_or_else(|| {
            syntax(
                1,
                Some(i as u64 + 1),
                format!(
                    "unknown column '{header}'; the columns are title/titre, description, lead/porteur, territories/territoires, themes/thèmes, sdg/odd, source, id / colonne inconnue"
                ),
            )
        })?;
        if columns.contains(&column) {
            return Err(syntax(
                1,
                Some(i as u64 + 1),
                format!("column '{header}' appears twice"),
            ));
        }
        columns.push(column);
    }
    for required in [Column::Title, Column::Lead, Column::Source] {
        if !columns.contains(&required) {
            return Err(syntax(
                1,
                None,
                format!(
                    "the header has no {} column / il manque la colonne {}",
                    match required {
                        Column::Title => "title (titre)",
                        Column::Lead => "lead (porteur)",
                        _ => "source",
                    },
                    match required {
                        Column::Title => "titre",
                        Column::Lead => "porteur",
                        _ => "source",
                    }
                ),
            ));
        }
    }
    let mut actions = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            syntax(line, None, format!("malformed CSV: {e}"))
        })?;
        let line = row.position().map_or(0, |p| p.line());
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let mut node = serde_json::Map::new();
        node.insert("type".into(), json!("Action"));
        for (i, (column, cell)) in columns.iter().zip(row.iter()).enumerate() {
            let cell = cell.trim();
            let at = Some(i as u64 + 1);
            if cell.is_empty() {
                if matches!(column, Column::Title | Column::Lead | Column::Source) {
                    return Err(syntax(
                        line,
                        at,
                        format!(
                            "the {} cell is empty / cellule vide",
                            headers.get(i).unwrap_or("")
                        ),
                    ));
                }
                continue;
            }
            let values = || {
                cell.split([';', ',', '|'])
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            };
            match column {
                Column::Id => {
                    node.insert("id".into(), json!(cell));
                }
                Column::Title => {
                    node.insert("name".into(), json!(cell));
                }
                Column::Description => {
                    node.insert("description".into(), json!(cell));
                }
                Column::Source => {
                    node.insert("source".into(), json!(cell));
                }
                Column::Lead => {
                    let lead = if cell.contains('/') || cell.contains(':') {
                        json!({ "id": cell })
                    } else {
                        // Matched with the store's institutions by reconciliation.
                        json!({ "type": "Organization", "name": cell })
                    };
                    node.insert("ledBy".into(), lead);
                }
                Column::Territories => {
                    let iris = values()
                        .map(|code| territory(code).ok_or_else(|| syntax(line, at, format!("'{code}' is not a territory code: a QPV code (QN06201M), an EPCI SIREN (9 digits) or a commune INSEE code (5 characters) / code de territoire inconnu"))))
                        .collect::<Result<Vec<_>>>()?;
                    node.insert("spatial".into(), json!(iris));
                }
                Column::Themes => {
                    let iris: Vec<String> = values()
                        .map(|t| {
                            if t.contains('/') {
                                t.to_owned()
                            } else {
                                format!("theme/{}", slug(t))
                            }
                        })
                        .collect();
                    node.insert("themes".into(), json!(iris));
                }
                Column::Sdg => {
                    let iris = values()
                        .map(|code| sdg(code).ok_or_else(|| syntax(line, at, format!("'{code}' is not an SDG goal or target code (11, 11.1, 2.a) / n'est pas un code ODD"))))
                        .collect::<Result<Vec<_>>>()?;
                    node.insert("contributesTo".into(), json!(iris));
                }
            }
        }
        if !node.contains_key("id") {
            let title = node["name"].as_str().unwrap_or_default();
            node.insert("id".into(), json!(format!("action/{}", slug(title))));
        }
        actions.push(Value::Object(node));
    }
    if actions.is_empty() {
        return Err(Error::Syntax {
            source_name: source_name.to_owned(),
            position: None,
            message: "the file has no action: there is nothing to import".into(),
        });
    }
    Ok(serde_json::to_vec(&Value::Array(actions)).expect("JSON values serialise"))
}

/// The IRI of a territory code (relative to the base).
fn territory(code: &str) -> Option<String> {
    let upper = code.to_uppercase();
    if (upper.starts_with("QN") || upper.starts_with("QP")) && upper.len() == 8 {
        Some(format!("territory/qpv/{upper}"))
    } else if upper.len() == 9 && upper.chars().all(|c| c.is_ascii_digit()) {
        Some(format!("territory/epci/{upper}"))
    } else if upper.len() == 5
        && (upper.chars().all(|c| c.is_ascii_digit())
            || (upper.starts_with("2A") || upper.starts_with("2B"))
                && upper[2..].chars().all(|c| c.is_ascii_digit()))
    {
        Some(format!("territory/commune/{upper}"))
    } else {
        None
    }
}

/// The IRI of an SDG goal or target code, in the UN's namespace.
fn sdg(code: &str) -> Option<String> {
    let code = code.trim_start_matches(['O', 'o', 'D', 'd', ' ']).trim();
    let (goal, target) = match code.split_once('.') {
        Some((g, t)) => (g, Some(t)),
        None => (code, None),
    };
    let goal_ok = !goal.is_empty() && goal.len() <= 2 && goal.chars().all(|c| c.is_ascii_digit());
    let target_ok = target.is_none_or(|t| {
        !t.is_empty() && t.len() <= 2 && t.chars().all(|c| c.is_ascii_alphanumeric())
    });
    (goal_ok && target_ok).then(|| format!("sdg:{}", code.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_iris() {
        assert_eq!(
            territory("QN06201M").as_deref(),
            Some("territory/qpv/QN06201M")
        );
        assert_eq!(
            territory("200072460").as_deref(),
            Some("territory/epci/200072460")
        );
        assert_eq!(
            territory("62498").as_deref(),
            Some("territory/commune/62498")
        );
        assert_eq!(territory("Lens"), None);
        assert_eq!(sdg("11.1").as_deref(), Some("sdg:11.1"));
        assert_eq!(sdg("2.a").as_deref(), Some("sdg:2.a"));
        assert_eq!(sdg("ODD 11").as_deref(), Some("sdg:11"));
        assert_eq!(sdg("onze"), None);
    }

    #[test]
    fn french_headers_and_semicolons() {
        let csv = "Titre;Porteur;Territoires;Thèmes;Cibles ODD;Source\n\"Jardins partagés\";PMA;200072460;alimentation;2.1, 11.7;https://example.org/a\n";
        let record: Value =
            serde_json::from_slice(&to_record(csv.as_bytes(), "a.csv").unwrap()).unwrap();
        let action = &record[0];
        assert_eq!(action["id"], "action/jardins-partages");
        assert_eq!(action["ledBy"]["name"], "PMA");
        assert_eq!(action["spatial"][0], "territory/epci/200072460");
        assert_eq!(action["themes"][0], "theme/alimentation");
        assert_eq!(action["contributesTo"][1], "sdg:11.7");
        let error = to_record(b"titre,porteur,source,couleur\nA,PMA,x,bleu\n", "b.csv")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("b.csv:1:4") && error.contains("couleur"),
            "{error}"
        );
        let error = to_record(b"titre,porteur,source,odd\nA,PMA,x,onze\n", "c.csv")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("c.csv:2:4") && error.contains("onze"),
            "{error}"
        );
    }
}
