//! Text helpers shared by records, spreadsheets, reconciliation and search: names
//! compared once case, accents, punctuation and spacing are removed.

/// Case, accents, punctuation and spacing removed: "Pôle Métropolitain de l'Artois" →
/// "pole metropolitain de l artois".
pub fn normalise(text: &str) -> String {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ÿ' => 'y',
            'œ' => 'o',
            'æ' => 'a',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A name as an IRI segment: normalised, its words joined by hyphens.
pub fn slug(text: &str) -> String {
    normalise(text).replace(' ', "-")
}

/// The closest of some words to a misspelt one, when it is close enough to be a typo
/// (case aside, at most a quarter of its letters, or two, changed).
pub fn closest<'a>(word: &str, words: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    words
        .map(|t| (distance(&lower, &t.to_lowercase()), t))
        .filter(|(d, t)| *d <= 2.max(t.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, t)| t)
}

/// Levenshtein distance between two short strings.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_name_normalise_alike() {
        assert_eq!(
            normalise("Pôle Métropolitain de l'Artois"),
            normalise("Pôle métropolitain de l’Artois")
        );
        assert_eq!(normalise("Alain BAVAY"), normalise("Alain Bavay"));
        assert_eq!(normalise("Cerdd"), normalise("CERDD"));
        assert_eq!(
            slug("Agence d'Urbanisme de l'Artois"),
            "agence-d-urbanisme-de-l-artois"
        );
    }
}
