//! The parameters of a request's query string or form, in order, repeats kept.

use super::ApiError;

/// Query-string or form parameters, in order, repeats kept.
pub(super) struct Params(pub(super) Vec<(String, String)>);

impl Params {
    pub(super) fn parse(raw: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(raw)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub(super) fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    pub(super) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.all(name).next().is_some()
    }

    /// The `format` parameter. Clients repeat it with synonyms (SPARQLWrapper sends
    /// `format=csv&format=text/csv`): the first value decides.
    pub(super) fn format(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.all("format").next())
    }

    /// A parameter given at most once.
    pub(super) fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_request(format!(
                "the parameter '{name}' is given more than once"
            )));
        }
        Ok(first)
    }
}
