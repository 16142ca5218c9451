//! Pages and mail in English and Thai, with Fluent. The language comes from the `tb_lang` cookie
//! (set by the switch on every page), else from `Accept-Language`, else English.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{negotiate_languages, NegotiationStrategy};
use std::sync::OnceLock;
use ticketbooth_domain::model::Language;
use unic_langid::LanguageIdentifier;

/// The cookie that keeps a person's choice of language.
pub(crate) const LANGUAGE_COOKIE: &str = "tb_lang";

const SOURCES: [(Language, &str); 2] =
    [(Language::English, include_str!("../locales/en.ftl")), (Language::Thai, include_str!("../locales/th.ftl"))];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static [Bundle; 2] {
    static BUNDLES: OnceLock<[Bundle; 2]> = OnceLock::new();
    BUNDLES.get_or_init(|| SOURCES.map(|(language, source)| bundle(language, source)))
}

fn bundle(language: Language, source: &str) -> Bundle {
    let id: LanguageIdentifier = language.tag().parse().expect("a valid language tag");
    // The files are part of the binary and tested; a syntax error is a build defect.
    let resource = FluentResource::try_new(source.to_owned()).expect("locale files parse");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Pages set `lang` and `dir` themselves; Unicode isolation marks would only show up in mail
    // subjects and `<title>`s as stray characters.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).expect("no message is defined twice");
    bundle
}

/// The translations of one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tr {
    language: Language,
}

impl Tr {
    pub(crate) fn new(language: Language) -> Tr {
        Tr { language }
    }

    pub(crate) fn language(self) -> Language {
        self.language
    }

    /// The language's tag, for `lang` attributes.
    pub(crate) fn lang(&self) -> &'static str {
        self.language.tag()
    }

    fn bundle(self) -> &'static Bundle {
        &bundles()[Language::ALL.iter().position(|l| *l == self.language).unwrap_or_default()]
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = self.bundle();
        let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) else {
            tracing::warn!(id, language = self.lang(), "no such message");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id, ?errors, "message formatted with errors");
        }
        text.into_owned()
    }

    /// The message `id`.
    pub(crate) fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with one variable.
    pub(crate) fn t1(&self, id: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(value));
        self.format(id, Some(&args))
    }

    /// The message `id` with several variables.
    pub(crate) fn tn(&self, id: &str, values: &[(&str, &str)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in values {
            args.set(*name, FluentValue::from(*value));
        }
        self.format(id, Some(&args))
    }

    /// The message `id` with a number (plural forms).
    pub(crate) fn count(&self, id: &str, count: usize) -> String {
        let mut args = FluentArgs::new();
        args.set("count", FluentValue::from(count));
        self.format(id, Some(&args))
    }

    /// A date and time as people in Thailand read it (events happen there): `2 December 2026,
    /// 19:00` in English, `2 ธันวาคม 2569 เวลา 19:00 น.` in Thai, with the Buddhist Era year.
    pub(crate) fn date_time(&self, time: DateTime<Utc>) -> String {
        let local = time.with_timezone(&bangkok());
        let month = self.t(&format!("month-{}", local.month()));
        let clock = format!("{:02}:{:02}", local.hour(), local.minute());
        match self.language {
            Language::English => format!("{} {month} {}, {clock}", local.day(), local.year()),
            Language::Thai => format!("{} {month} {} เวลา {clock} น.", local.day(), local.year() + 543),
        }
    }

    /// A date alone, as [`date_time`](Self::date_time) writes it.
    pub(crate) fn date(&self, time: DateTime<Utc>) -> String {
        let local = time.with_timezone(&bangkok());
        let month = self.t(&format!("month-{}", local.month()));
        let year = match self.language {
            Language::English => local.year(),
            Language::Thai => local.year() + 543,
        };
        format!("{} {month} {year}", local.day())
    }

    /// A price in baht from satangs: `฿1,500.00` in English, `1,500.00 บาท` in Thai.
    pub(crate) fn price(&self, satangs: i64) -> String {
        self.t1("price", "amount", &baht(satangs))
    }
}

/// Thailand's time (UTC+7, no daylight saving).
fn bangkok() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("a valid offset")
}

/// Satangs as baht with thousands separators and two decimals (`150000` → `1,500.00`).
fn baht(satangs: i64) -> String {
    let sign = if satangs < 0 { "-" } else { "" };
    let satangs = satangs.unsigned_abs();
    let whole = (satangs / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02}", satangs % 100)
}

/// The language a request asks for: the cookie's choice, else the best match for
/// `Accept-Language`, else English.
pub(crate) fn negotiate(headers: &HeaderMap) -> Language {
    if let Some(chosen) =
        crate::extract::session::cookie_value(headers, LANGUAGE_COOKIE).as_deref().and_then(Language::from_tag)
    {
        return chosen;
    }
    let accepted = headers
        .get_all(header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(fluent_langneg::accepted_languages::parse)
        .collect::<Vec<_>>();
    let available: Vec<LanguageIdentifier> =
        Language::ALL.iter().filter_map(|language| language.tag().parse().ok()).collect();
    let default: LanguageIdentifier = Language::English.tag().parse().unwrap_or_default();
    let chosen = negotiate_languages(&accepted, &available, Some(&default), NegotiationStrategy::Lookup);
    chosen.first().and_then(|id| Language::from_tag(id.language.as_str())).unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Tr::new(negotiate(&parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::collections::BTreeSet;

    fn message_ids(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_owned()).expect("parses");
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let english = message_ids(SOURCES[0].1);
        let thai = message_ids(SOURCES[1].1);
        assert!(english.len() > 50, "{english:?}");
        assert_eq!(english.difference(&thai).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in Thai");
        assert_eq!(thai.difference(&english).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in English");
    }

    #[test]
    fn every_message_the_templates_and_code_use_exists() {
        let english = message_ids(SOURCES[0].1);
        let used = used_message_ids();
        assert!(used.len() > 50, "{used:?}");
        let missing: Vec<_> = used.difference(&english).collect();
        assert!(missing.is_empty(), "used but not defined: {missing:?}");
    }

    /// Message ids quoted in templates and sources as `.t("…")`, `.t1("…"`, `.tn("…"`, `.count("…"`, or
    /// `PageError::new(…, "…", "…")`-style `"error-…"` literals.
    fn used_message_ids() -> BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = BTreeSet::new();
        for dir in ["templates", "templates/mail", "src", "src/pages", "src/mail", "src/extract", "src/oauth"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
            for entry in entries.flatten() {
                let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
                for call in [".t(\"", ".t1(\"", ".tn(\"", ".count(\""] {
                    for piece in text.split(call).skip(1) {
                        if let Some(id) = piece.split('"').next().filter(|id| is_message_id(id)) {
                            used.insert(id.to_owned());
                        }
                    }
                }
                for piece in text.split("\"error-").skip(1) {
                    if let Some(rest) = piece.split('"').next().filter(|rest| is_message_id(rest)) {
                        used.insert(format!("error-{rest}"));
                    }
                }
            }
        }
        used
    }

    fn is_message_id(id: &str) -> bool {
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    #[test]
    fn accept_language_picks_thai_or_falls_back_to_english() {
        let ask = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(value).unwrap());
            negotiate(&headers)
        };
        assert_eq!(ask("th-TH,th;q=0.9,en;q=0.8"), Language::Thai);
        assert_eq!(ask("en-US,en;q=0.9"), Language::English);
        assert_eq!(ask("fr-FR"), Language::English);
        assert_eq!(ask("garbage;;;q=x"), Language::English);
        assert_eq!(negotiate(&HeaderMap::new()), Language::English);
    }

    #[test]
    fn the_cookie_overrides_accept_language() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        headers.insert(header::COOKIE, HeaderValue::from_static("tb_lang=th"));
        assert_eq!(negotiate(&headers), Language::Thai);
    }

    #[test]
    fn prices_and_dates_follow_the_language() {
        assert_eq!(baht(150_000), "1,500.00");
        assert_eq!(baht(5), "0.05");
        assert_eq!(baht(123_456_789), "1,234,567.89");
        assert_eq!(Tr::new(Language::English).price(150_000), "฿1,500.00");
        assert_eq!(Tr::new(Language::Thai).price(150_000), "1,500.00 บาท");
        let time = DateTime::parse_from_rfc3339("2026-12-02T12:00:00Z").unwrap().to_utc();
        assert_eq!(Tr::new(Language::English).date_time(time), "2 December 2026, 19:00");
        assert_eq!(Tr::new(Language::Thai).date_time(time), "2 ธันวาคม 2569 เวลา 19:00 น.");
        assert_eq!(Tr::new(Language::Thai).count("tickets-count", 3), "3 ใบ");
        assert_eq!(Tr::new(Language::English).count("tickets-count", 1), "1 ticket");
    }
}
