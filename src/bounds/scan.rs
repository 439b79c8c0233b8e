//! The scanner of [`super::scan`]: one pass over the bytes of a text, without recursion,
//! that follows its nesting outside strings and comments, with lines and columns.

use super::{Breach, MAX_NESTING, MAX_OPERATORS, MAX_OPTIONAL_ARGUMENT_CALLS, MAX_XML_DEPTH};

const ENTITY_REFUSED: &str = "XML entity declarations are refused (they can expand without bound, the \"billion laughs\"); write the IRIs in full";

/// A byte-level scanner that tracks lines and columns.
pub(super) struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
    line_start: usize,
    depth: usize,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            at: 0,
            line: 1,
            line_start: 0,
            depth: 0,
        }
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.text.get(self.at + offset).copied()
    }

    fn starts_with(&self, prefix: &[u8]) -> bool {
        self.text[self.at..].starts_with(prefix)
    }

    fn starts_with_ignore_case(&self, word: &[u8]) -> bool {
        self.text.len() >= self.at + word.len()
            && self.text[self.at..self.at + word.len()].eq_ignore_ascii_case(word)
    }

    /// Moves one byte on, counting lines.
    fn bump(&mut self) {
        if self.text[self.at] == b'\n' {
            self.line += 1;
            self.line_start = self.at + 1;
        }
        self.at += 1;
    }

    fn advance(&mut self, n: usize) {
        for _ in 0..n {
            if self.at < self.text.len() {
                self.bump();
            }
        }
    }

    fn breach(&self, message: String) -> Breach {
        let column = String::from_utf8_lossy(&self.text[self.line_start..self.at])
            .chars()
            .count() as u64
            + 1;
        Breach {
            line: self.line,
            column,
            message,
        }
    }

    fn open(&mut self, max: usize, what: &str) -> Result<(), Breach> {
        self.depth += 1;
        if self.depth > max {
            return Err(self.breach(format!(
                "{what} nest more than {max} levels deep (limit of labgraph); flatten the text"
            )));
        }
        Ok(())
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Skips a quoted string starting at the current quote (`'`, `"`, or their tripled
    /// long forms), with backslash escapes.
    fn skip_string(&mut self) {
        let quote = self.text[self.at];
        let long = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.advance(if long { 3 } else { 1 });
        while self.at < self.text.len() {
            let byte = self.text[self.at];
            if byte == b'\\' {
                self.advance(2);
            } else if byte == quote {
                if !long {
                    self.bump();
                    return;
                }
                if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) {
                    self.advance(3);
                    return;
                }
                self.bump();
            } else if byte == b'\n' && !long {
                // An unterminated short string: the parser will say so.
                return;
            } else {
                self.bump();
            }
        }
    }

    /// Skips a comment up to the end of its line.
    fn skip_comment(&mut self) {
        while self.at < self.text.len() && self.text[self.at] != b'\n' {
            self.bump();
        }
    }

    /// The length of the IRI reference (`<…>`: no spaces, quotes or braces) that may
    /// start here, up to its `>`; `None` if none can. SPARQL's grammar reads `<` as an
    /// IRI or as "less than" by context, which a scanner cannot see: the brackets inside
    /// are counted either way.
    fn iri_length(&self) -> Option<usize> {
        let rest = &self.text[self.at + 1..];
        for (i, &byte) in rest.iter().enumerate() {
            match byte {
                b'>' => return Some(i + 2),
                b'<' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b'\\' | 0..=b' ' => return None,
                _ => {}
            }
        }
        None
    }

    /// SPARQL and the Turtle family: brackets outside strings and comments; for SPARQL,
    /// also the operators that deepen the parsed tree, and the calls whose parse time
    /// doubles with each level.
    pub(super) fn brackets(&mut self, sparql: bool) -> Result<(), Breach> {
        const KEYWORDS: [&[u8]; 9] = [
            b"UNION",
            b"OPTIONAL",
            b"MINUS",
            b"FILTER",
            b"BIND",
            b"GRAPH",
            b"SERVICE",
            b"VALUES",
            b"IN",
        ];
        const OPTIONAL_ARGUMENT_CALLS: [&[u8]; 3] = [b"REPLACE", b"REGEX", b"SUBSTR"];
        let mut operators = 0usize;
        // The open brackets, each marked when it opens the arguments of a call whose
        // last argument is optional; how many such are open; and whether the last token
        // (comments and spaces aside) names such a call.
        let mut open: Vec<bool> = Vec::new();
        let mut optional_calls = 0usize;
        let mut pending_call = false;
        while self.at < self.text.len() {
            let byte = self.text[self.at];
            if byte.is_ascii_whitespace() {
                self.bump();
                continue;
            }
            if byte == b'#' {
                self.skip_comment();
                continue;
            }
            let call = std::mem::take(&mut pending_call);
            let mut deepens = false;
            match byte {
                b'"' | b'\'' => {
                    self.skip_string();
                    continue;
                }
                b'<' if self.peek(1) == Some(b'<') => {
                    self.open(MAX_NESTING, "brackets")?;
                    open.push(false);
                    self.advance(2);
                    continue;
                }
                b'>' if self.peek(1) == Some(b'>') => {
                    self.close();
                    open.pop();
                    self.advance(2);
                    continue;
                }
                b'<' => match self.iri_length() {
                    Some(length) => {
                        let end = self.at + length;
                        while self.at < end {
                            match self.text[self.at] {
                                b'(' | b'[' => {
                                    self.open(MAX_NESTING, "brackets")?;
                                    open.push(false);
                                }
                                b')' | b']' => {
                                    self.close();
                                    if open.pop() == Some(true) {
                                        optional_calls -= 1;
                                    }
                                }
                                _ => {}
                            }
                            self.bump();
                        }
                        continue;
                    }
                    None => deepens = true,
                },
                b'(' | b'{' | b'[' => {
                    self.open(MAX_NESTING, "brackets")?;
                    let call = sparql && byte == b'(' && call;
                    if call {
                        optional_calls += 1;
                        if optional_calls > MAX_OPTIONAL_ARGUMENT_CALLS {
                            return Err(self.breach(format!(
                                "calls of REPLACE, REGEX and SUBSTR nest more than {MAX_OPTIONAL_ARGUMENT_CALLS} levels deep (limit of labgraph: each level doubles the time to parse); compute the value in steps with BIND"
                            )));
                        }
                    }
                    open.push(call);
                    deepens = byte == b'{';
                }
                b'}' | b')' | b']' => {
                    self.close();
                    if open.pop() == Some(true) {
                        optional_calls -= 1;
                    }
                }
                b'+' | b'*' | b'/' | b'|' | b'&' | b'=' | b'!' | b'>' | b'^' | b'-' => {
                    deepens = true
                }
                b'a'..=b'z'
                | b'A'..=b'Z'
                | b'_'
                | b'?'
                | b'$'
                | b'0'..=b'9'
                | b':'
                | b'\\'
                | 0x80.. => {
                    // A word (a name, a keyword, a number), with its escapes (`ex:a\'`
                    // is a name, not the start of a string).
                    let start = self.at;
                    while self.at < self.text.len() {
                        match self.text[self.at] {
                            b'\\' => {
                                self.at += 1;
                                if self.at < self.text.len() && self.text[self.at] != b'\n' {
                                    self.at += 1;
                                }
                            }
                            b'a'..=b'z'
                            | b'A'..=b'Z'
                            | b'0'..=b'9'
                            | b'_'
                            | b'?'
                            | b'$'
                            | b':'
                            | b'.'
                            | b'%'
                            | 0x80.. => self.at += 1,
                            _ => break,
                        }
                    }
                    // A word never spans lines: the column stays right.
                    let word = &self.text[start..self.at];
                    if sparql {
                        if KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k)) {
                            operators += 1;
                        }
                        pending_call = OPTIONAL_ARGUMENT_CALLS
                            .iter()
                            .any(|k| word.eq_ignore_ascii_case(k));
                    }
                    continue;
                }
                _ => {}
            }
            if sparql && deepens {
                operators += 1;
            }
            if sparql && operators > MAX_OPERATORS {
                return Err(self.breach(format!(
                    "the text holds more than {MAX_OPERATORS} operators and keywords that nest (+, ||, UNION, OPTIONAL, groups…) (limit of labgraph); send the values with VALUES, or split the request"
                )));
            }
            self.bump();
        }
        Ok(())
    }

    /// JSON: brackets outside strings.
    pub(super) fn json(&mut self) -> Result<(), Breach> {
        while self.at < self.text.len() {
            match self.text[self.at] {
                b'"' => {
                    self.bump();
                    while self.at < self.text.len() && self.text[self.at] != b'"' {
                        if self.text[self.at] == b'\\' {
                            self.advance(1);
                        }
                        self.advance(1);
                    }
                }
                b'{' | b'[' => self.open(MAX_NESTING, "JSON objects and arrays")?,
                b'}' | b']' => self.close(),
                _ => {}
            }
            self.advance(1);
        }
        Ok(())
    }

    /// Skips to just after `end`, or to the end of the text.
    fn skip_past(&mut self, end: &[u8]) {
        while self.at < self.text.len() && !self.starts_with(end) {
            self.bump();
        }
        self.advance(end.len());
    }

    /// XML: element depth, and no entity declarations.
    pub(super) fn xml(&mut self) -> Result<(), Breach> {
        // Entity declarations are refused wherever they stand: telling a declaration
        // from text inside a comment or a quoted value of the document type would take
        // a DTD parser, and a document that needs `<!ENTITY` in a comment can do without.
        if let Some(at) = self.text.windows(8).position(|w| w == b"<!ENTITY") {
            self.advance(at);
            return Err(self.breach(ENTITY_REFUSED.into()));
        }
        while self.at < self.text.len() {
            if self.text[self.at] != b'<' {
                self.bump();
                continue;
            }
            if self.starts_with(b"<!--") {
                self.skip_past(b"-->");
            } else if self.starts_with(b"<![CDATA[") {
                self.skip_past(b"]]>");
            } else if self.starts_with(b"<?") {
                self.skip_past(b"?>");
            } else if self.starts_with_ignore_case(b"<!DOCTYPE") {
                // The document type: its internal subset may declare entities, which
                // expand without bound (a 600-byte file can ask for gigabytes).
                while self.at < self.text.len() && self.text[self.at] != b'>' {
                    if self.starts_with(b"<!ENTITY") {
                        return Err(self.breach(ENTITY_REFUSED.into()));
                    }
                    if self.text[self.at] == b'[' {
                        // The internal subset runs to the matching `]`.
                        while self.at < self.text.len() && self.text[self.at] != b']' {
                            if self.starts_with(b"<!ENTITY") {
                                return Err(self.breach(ENTITY_REFUSED.into()));
                            }
                            self.bump();
                        }
                    }
                    self.bump();
                }
                self.advance(1);
            } else if self.starts_with(b"</") {
                self.close();
                self.skip_past(b">");
            } else {
                // A start tag: skip its attributes (quoted values may hold `>`).
                let start = (self.line, self.at);
                self.bump();
                let mut empty = false;
                while self.at < self.text.len() {
                    match self.text[self.at] {
                        b'"' | b'\'' => {
                            let quote = self.text[self.at];
                            self.bump();
                            while self.at < self.text.len() && self.text[self.at] != quote {
                                self.bump();
                            }
                            self.advance(1);
                        }
                        b'>' => {
                            empty = self.at > 0 && self.text[self.at - 1] == b'/';
                            self.bump();
                            break;
                        }
                        _ => self.bump(),
                    }
                }
                if !empty {
                    let (line, at) = (self.line, self.at);
                    if self.depth + 1 > MAX_XML_DEPTH {
                        // Report the tag where the bound is broken.
                        self.line = start.0;
                        self.at = start.1;
                        let breach = self.open(MAX_XML_DEPTH, "XML elements");
                        self.line = line;
                        self.at = at;
                        breach?;
                    }
                    self.depth += 1;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Syntax, scan};
    use super::*;

    fn sparql(text: &str) -> Result<(), Breach> {
        scan(text.as_bytes(), Syntax::Sparql)
    }

    #[test]
    fn brackets_are_counted_outside_strings_iris_and_comments() {
        assert!(sparql("SELECT * { ?s ?p ?o }").is_ok());
        let deep = format!("SELECT * {}{}", "{".repeat(65), "}".repeat(65));
        let breach = sparql(&deep).unwrap_err();
        assert_eq!((breach.line, breach.column), (1, 9 + 64 + 1));
        assert!(breach.message.contains("64"), "{}", breach.message);
        // Brackets inside strings and comments do not count.
        let quoted = format!(
            "SELECT * {{ ?s ?p \"{}\" . ?s ?p '''{}''' . ?s ?p <urn:x(a)> }} # {}",
            "{".repeat(100),
            "(".repeat(100),
            "[".repeat(100)
        );
        assert!(sparql(&quoted).is_ok());
        // Inside what may be an IRI or a "less than", they count: the parser decides by
        // context (`?o<((((1))))&&?o>0` is a comparison).
        let comparison = format!(
            "SELECT * WHERE {{ ?s ?p ?o FILTER(?o<{}1{}&&?o>0) }}",
            "(".repeat(1_000),
            ")".repeat(1_000)
        );
        assert!(sparql(&comparison).is_err());
        // An escaped quote in a name starts no string.
        let escaped = format!(
            "PREFIX ex: <urn:x:> SELECT * WHERE {{ ?s ?p ?o FILTER(ex:a\\' || {}1{} = 'x') }}",
            "(".repeat(1_000),
            ")".repeat(1_000)
        );
        assert!(sparql(&escaped).is_err());
        // Nested parentheses in a filter, on the third line.
        let filter = format!(
            "SELECT *\nWHERE {{ ?s ?p ?o\n FILTER({}1{}) }}",
            "(".repeat(100),
            ")".repeat(100)
        );
        assert_eq!(sparql(&filter).unwrap_err().line, 3);
    }

    #[test]
    fn operator_chains_are_bounded() {
        let chain = format!("SELECT ({} AS ?x) {{}}", vec!["1"; 10_000].join("+"));
        assert!(sparql(&chain).unwrap_err().message.contains("8192"));
        let unions = format!(
            "SELECT * {{ {} }}",
            vec!["{ ?s ?p ?o }"; 5_000].join(" UNION ")
        );
        assert!(sparql(&unions).is_err());
        // Words that merely contain a keyword, and prefixed names, are not keywords.
        assert!(
            sparql(&format!(
                "SELECT * {{ {} }}",
                "?union ?filter ex:IN ".repeat(9_000)
            ))
            .is_ok()
        );
    }

    #[test]
    fn calls_with_an_optional_argument_nest_at_most_twelve_deep() {
        let replace = |n: usize| {
            format!(
                "SELECT ?x WHERE {{ BIND({}\"a\"{} AS ?x) }}",
                "REPLACE(".repeat(n),
                ", \"a\", \"b\")".repeat(n)
            )
        };
        assert!(sparql(&replace(12)).is_ok());
        assert!(
            sparql(&replace(13))
                .unwrap_err()
                .message
                .contains("REPLACE")
        );
        // A comment between the name and its arguments changes nothing.
        let commented = format!(
            "SELECT ?x WHERE {{ BIND({}\"a\"{} AS ?x) }}",
            "REPLACE#\n(".repeat(13),
            ", \"a\", \"b\")".repeat(13)
        );
        assert!(sparql(&commented).is_err());
        // Other calls, and these calls side by side, are not counted.
        let side_by_side = format!(
            "SELECT * WHERE {{ FILTER({}) }}",
            vec!["REGEX(?a, \"x\")"; 40].join(" && ")
        );
        assert!(sparql(&side_by_side).is_ok());
        let str = format!(
            "SELECT ?x WHERE {{ BIND({}1{} AS ?x) }}",
            "STR(".repeat(40),
            ")".repeat(40)
        );
        assert!(sparql(&str).is_ok());
    }

    #[test]
    fn json_and_xml_nesting_and_entities() {
        let json = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(scan(json.as_bytes(), Syntax::Json).is_err());
        assert!(scan(br#"{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#, Syntax::Json).is_ok());
        let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"#;
        let breach = scan(laughs, Syntax::Xml).unwrap_err();
        assert_eq!(breach.line, 3);
        assert!(breach.message.contains("entity"));
        // Hidden behind a `]` in a comment of the document type: still refused.
        let hidden = br#"<?xml version="1.0"?>
<!DOCTYPE r [ <!-- ] --> <!ENTITY a "aaaa"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"#;
        assert!(
            scan(hidden, Syntax::Xml)
                .unwrap_err()
                .message
                .contains("entity")
        );
        let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
        assert!(scan(deep.as_bytes(), Syntax::Xml).is_err());
        let fine = r#"<rdf:RDF xmlns:rdf="x"><rdf:Description rdf:about="u>v"><p/></rdf:Description></rdf:RDF>"#;
        assert!(scan(fine.as_bytes(), Syntax::Xml).is_ok());
    }
}
