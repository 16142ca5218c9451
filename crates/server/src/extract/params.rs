//! Decoded request parameters as name/value pairs, so handlers can detect repeated parameters
//! (RFC 6749 §3.1) that a struct deserialiser would silently merge or reject without saying which.

use axum::http::{header, HeaderMap};

/// Parameters from a query string or a request body, in the order sent.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(Vec<(String, String)>);

/// Why a body could not be read as parameters.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParamsError {
    #[error("The request body is not valid application/x-www-form-urlencoded.")]
    MalformedForm,
    #[error("The request body is not a JSON object of strings.")]
    MalformedJson,
    #[error("The request body must be application/x-www-form-urlencoded or application/json.")]
    UnsupportedMediaType,
    #[error("Parameters must not contain NUL characters.")]
    NulCharacter,
}

/// The request's media type, lower case, without parameters (`application/json`).
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// A parameter that breaks the rules every request type shares: sent twice (RFC 6749 §3.1), or
/// missing though required. Each layer's error type turns it into its own answer, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParamError {
    #[error("The {0} parameter is repeated.")]
    Repeated(&'static str),
    #[error("{0} is required.")]
    Missing(&'static str),
}

/// A request type read from parameters: the same type the OpenAPI document shows.
pub(crate) trait FromParams: Sized {
    fn from_params(params: &Params) -> Result<Self, ParamError>;
}

impl Params {
    /// A parameter sent at most once; an empty value counts as absent.
    pub(crate) fn optional(&self, name: &'static str) -> Result<Option<String>, ParamError> {
        Ok(self.single(name).map_err(ParamError::Repeated)?.map(str::to_owned))
    }

    /// A parameter sent exactly once, not empty.
    pub(crate) fn required(&self, name: &'static str) -> Result<String, ParamError> {
        self.optional(name)?.ok_or(ParamError::Missing(name))
    }

    /// Parses `application/x-www-form-urlencoded` text (a query string or a form body).
    pub(crate) fn from_urlencoded(input: &str) -> Result<Params, ParamsError> {
        let pairs = serde_urlencoded::from_str(input).map_err(|_| ParamsError::MalformedForm)?;
        Params::from_pairs(pairs)
    }

    /// Parses a body by its content type: a form, or a JSON object of string (or number) values.
    pub(crate) fn from_body(headers: &HeaderMap, body: &[u8]) -> Result<Params, ParamsError> {
        Params::from_typed_body(media_type(headers).as_deref(), body)
    }

    /// [`from_body`](Self::from_body), for a caller that already read the media type.
    pub(crate) fn from_typed_body(media_type: Option<&str>, body: &[u8]) -> Result<Params, ParamsError> {
        // A body-less request (a GET, a POST carrying only a header) has no parameters, whatever its type.
        if body.is_empty() {
            return Ok(Params::default());
        }
        match media_type {
            Some("application/x-www-form-urlencoded") => {
                let text = std::str::from_utf8(body).map_err(|_| ParamsError::MalformedForm)?;
                Params::from_urlencoded(text)
            }
            Some("application/json") => Params::from_json(body),
            _ => Err(ParamsError::UnsupportedMediaType),
        }
    }

    fn from_json(body: &[u8]) -> Result<Params, ParamsError> {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(body).map_err(|_| ParamsError::MalformedJson)?;
        object
            .into_iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(text) => Ok((name, text)),
                serde_json::Value::Number(number) => Ok((name, number.to_string())),
                serde_json::Value::Bool(flag) => Ok((name, flag.to_string())),
                // An explicit null is an absent parameter, as in any JSON API.
                serde_json::Value::Null => Ok((name, String::new())),
                _ => Err(ParamsError::MalformedJson),
            })
            .collect::<Result<_, _>>()
            .and_then(Params::from_pairs)
    }

    /// Parameters from decoded pairs, however they arrived (every constructor ends here). A NUL
    /// is refused: no parameter has a use for one, and PostgreSQL text cannot hold it.
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Result<Params, ParamsError> {
        match pairs.iter().any(|(name, value)| name.contains('\0') || value.contains('\0')) {
            true => Err(ParamsError::NulCharacter),
            false => Ok(Params(pairs)),
        }
    }

    /// Every value sent for `name`, in order.
    pub(crate) fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The pairs, borrowed.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The value of a parameter sent at most once, an empty value included (`Some("")`).
    /// `Err(name)` when it was sent more than once.
    pub(crate) fn single_as_sent(&self, name: &'static str) -> Result<Option<&str>, &'static str> {
        let mut values = self.values(name);
        match (values.next(), values.next()) {
            (Some(_), Some(_)) => Err(name),
            (value, _) => Ok(value),
        }
    }

    /// The value of a parameter sent exactly once (an empty value counts as absent).
    /// `Err(name)` when it was sent more than once.
    pub(crate) fn single(&self, name: &'static str) -> Result<Option<&str>, &'static str> {
        let mut values = self.0.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (Some(_), Some(_)) => Err(name),
            (Some(""), None) | (None, _) => Ok(None),
            (Some(value), None) => Ok(Some(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        headers
    }

    #[test]
    fn form_and_json_bodies_yield_the_same_parameters() {
        let form =
            Params::from_body(&headers("application/x-www-form-urlencoded; charset=utf-8"), b"a=1&b=x+y").unwrap();
        let json = Params::from_body(&headers("application/json"), br#"{"a": 1, "b": "x y"}"#).unwrap();
        for params in [form, json] {
            assert_eq!(params.single("a"), Ok(Some("1")));
            assert_eq!(params.single("b"), Ok(Some("x y")));
            assert_eq!(params.single("c"), Ok(None));
        }
    }

    #[test]
    fn nul_characters_are_refused_however_they_are_sent() {
        assert!(matches!(Params::from_urlencoded("a=x%00y"), Err(ParamsError::NulCharacter)));
        assert!(matches!(Params::from_urlencoded("a%00=1"), Err(ParamsError::NulCharacter)));
        let json = Params::from_body(&headers("application/json"), br#"{"a": "\u0000"}"#);
        assert!(matches!(json, Err(ParamsError::NulCharacter)));
        assert!(matches!(Params::from_pairs(vec![("a".into(), "\0".into())]), Err(ParamsError::NulCharacter)));
        assert!(Params::from_urlencoded("a=%01%7F").is_ok(), "other characters are the fields' own business");
    }

    #[test]
    fn repeated_parameters_are_reported() {
        let params = Params::from_urlencoded("a=1&a=2").unwrap();
        assert_eq!(params.single("a"), Err("a"));
    }

    #[test]
    fn other_media_types_and_nested_json_are_refused() {
        assert!(matches!(Params::from_body(&headers("text/plain"), b"a=1"), Err(ParamsError::UnsupportedMediaType)));
        assert!(matches!(
            Params::from_body(&headers("application/json"), br#"{"a": {}}"#),
            Err(ParamsError::MalformedJson)
        ));
        assert!(matches!(Params::from_body(&headers("application/json"), b"[1]"), Err(ParamsError::MalformedJson)));
    }
}
