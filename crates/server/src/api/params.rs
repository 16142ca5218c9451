//! The resource API's query parameters in the OpenAPI document, built from the tables the parsers
//! in `ticketbooth_domain::listing` use (sort fields, `q` keys, statuses, page limits), and the
//! text types of request bodies, whose schema and parser are one definition. So the document
//! cannot promise more, or less, than the server accepts.

use serde::{Deserialize, Deserializer};
use ticketbooth_domain::listing::{ListKind, Q_ID_TEXT_PATTERN, TICKET_STATUSES};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// Strings may hold anything but NUL (which the parameter parser refuses).
pub(crate) const NO_NUL: &str = "^[^\\x00]*$";

fn integer(minimum: i64, maximum: i64) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(minimum))
        .maximum(Some(maximum))
        .into()
}

fn string(pattern: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern))
}

fn query(name: &str, required: bool, description: &str, schema: impl Into<RefOr<Schema>>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(if required { utoipa::openapi::Required::True } else { utoipa::openapi::Required::False })
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// An integer id in a query parameter or `q` (any 64-bit integer parses).
fn id_schema() -> Schema {
    integer(i64::MIN, i64::MAX)
}

/// The `q` filter's object: `kind`'s keys, each a number (or a string of digits) or a string.
/// Marked `contentMediaType: application/json`, which [`crate::openapi`] turns into the
/// parameter's `content`, so clients send it as a JSON text.
fn q_schema(kind: ListKind) -> Schema {
    let digits = string(Q_ID_TEXT_PATTERN).build();
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
        .content_media_type("application/json");
    for key in kind.q_keys() {
        let schema: Schema = match *key {
            "status" => string(NO_NUL).build().into(),
            _ => OneOfBuilder::new().item(id_schema()).item(digits.clone()).into(),
        };
        object = object.property(*key, schema);
    }
    object.into()
}

/// The pagination, ordering and `q` parameters of a `kind` list.
fn list_parameters(kind: ListKind) -> Vec<Parameter> {
    let sort_fields =
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(kind.sort_fields().iter().copied()));
    let order = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["asc", "desc"]));
    vec![
        query("page", false, "Page number, from 1 (default 1).", integer(1, i64::from(u32::MAX))),
        query(
            "per_page",
            false,
            "Items per page (default 10; above 100 counts as 100).",
            integer(1, i64::from(u32::MAX)),
        ),
        query("order_by", false, "Sort field (default `id`).", sort_fields),
        query("order", false, "`asc` (default) or `desc`.", order),
        query("q", false, "A JSON object of equality filters, e.g. `{\"event_id\": 7}`.", q_schema(kind)),
    ]
}

macro_rules! list_query {
    ($name:ident, $kind:expr) => {
        #[doc = concat!("The query parameters of the ", stringify!($kind), " list.")]
        pub(crate) struct $name;

        impl IntoParams for $name {
            fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                list_parameters($kind)
            }
        }
    };
}

list_query!(UserTicketsQuery, ListKind::UserTickets);
list_query!(UserOrdersQuery, ListKind::UserOrders);
list_query!(EventsQuery, ListKind::Events);

/// The event ticket list's parameters: the list's own and its filters (§3.2 #6).
pub(crate) struct EventTicketsQuery;

impl IntoParams for EventTicketsQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let status = TICKET_STATUSES.join("|");
        let statuses = format!("^ *({status})? *(, *({status})? *)*$");
        let time = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        };
        let mut parameters = list_parameters(ListKind::EventTickets);
        parameters.extend([
            query("status", false, "Comma-separated statuses: `active`, `used`, `revoked`.", string(&statuses)),
            query("ticket_type_id", false, "Only tickets of this type.", id_schema()),
            query(
                "email",
                false,
                "Case-insensitive substring of the holder's email (personal data: mind your logs).",
                string(NO_NUL),
            ),
            query("phone", false, "Substring of the holder's phone.", string(NO_NUL)),
            query("updated_before", false, "Only tickets updated before this RFC 3339 time.", time()),
            query("updated_after", false, "Only tickets updated after this RFC 3339 time.", time()),
            query("min_id", false, "Only ids greater than this.", id_schema()),
            query("max_id", false, "Only ids smaller than this.", id_schema()),
        ]);
        parameters
    }
}

/// The ticket search's parameters (§3.2 #9).
pub(crate) struct TicketSearchQuery;

impl IntoParams for TicketSearchQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            query("event_id", true, "The event's id.", id_schema()),
            query("reference_code", true, "The ticket's reference code.", string(NO_NUL).min_length(Some(1))),
        ]
    }
}

/// A text field of a request body: `MIN` to `MAX` characters, no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<const MIN: usize, const MAX: usize>(pub(crate) String);

/// A text field that must not be empty.
pub(crate) type Required = Text<1, { usize::MAX }>;

impl<'de, const MIN: usize, const MAX: usize> Deserialize<'de> for Text<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.contains('\0') {
            return Err(serde::de::Error::custom("text must not contain NUL characters"));
        }
        let length = text.chars().count();
        if length < MIN || length > MAX {
            return Err(serde::de::Error::custom(format_args!("text must have {MIN} to {MAX} characters")));
        }
        Ok(Text(text))
    }
}

impl<const MIN: usize, const MAX: usize> PartialSchema for Text<MIN, MAX> {
    fn schema() -> RefOr<Schema> {
        string(NO_NUL).min_length(Some(MIN)).max_length((MAX < usize::MAX).then_some(MAX)).into()
    }
}

impl<const MIN: usize, const MAX: usize> ToSchema for Text<MIN, MAX> {}

/// A ticket's reference code: 1 to 64 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReferenceCode(pub(crate) String);

impl<'de> Deserialize<'de> for ReferenceCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        match ticketbooth_domain::ticketing::valid_reference_code(&code) {
            true => Ok(ReferenceCode(code)),
            false => Err(serde::de::Error::custom("reference_code must be 1 to 64 visible ASCII characters")),
        }
    }
}

impl PartialSchema for ReferenceCode {
    fn schema() -> RefOr<Schema> {
        string("^[!-~]{1,64}$").into()
    }
}

impl ToSchema for ReferenceCode {}

/// A whole number in a request body: a JSON integer (or a float with no fraction, which JSON
/// Schema's `integer` also admits, but not a string), or its digits in a form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Integer(pub(crate) i64);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Integer;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Integer, E> {
                Ok(Integer(value))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Integer, E> {
                i64::try_from(value).map(Integer).map_err(|_| E::custom("the number is too large"))
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Integer, E> {
                // Exactly representable and within range: -2^63 <= value < 2^63.
                if value.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&value) {
                    #[allow(clippy::cast_possible_truncation)]
                    return Ok(Integer(value as i64));
                }
                Err(E::custom("expected a whole number"))
            }
        }
        // As an i64: a JSON number (a string is refused, as its schema says), or in a form the
        // field's text parsed as one.
        deserializer.deserialize_i64(Visitor)
    }
}

impl PartialSchema for Integer {
    fn schema() -> RefOr<Schema> {
        id_schema().into()
    }
}

impl ToSchema for Integer {}

/// Reads an optional field that, when sent, must hold a value: `null` is refused like any other
/// value of the wrong type (the document does not declare these fields nullable).
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// `page` and `per_page` of the lists of webhook deliveries and check-ins.
pub(crate) struct PageQuery;

impl IntoParams for PageQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            query("page", false, "Page number, from 1 (default 1).", integer(1, i64::from(u32::MAX))),
            query("per_page", false, "Items per page, 1 to 100 (default 20).", integer(1, 100)),
        ]
    }
}

/// Reads `page` and `per_page` (see [`PageQuery`]); a message for anything else.
pub(crate) fn page(page: Option<&str>, per_page: Option<&str>) -> Result<(u32, u32), String> {
    let page = match page {
        None => 1,
        Some(text) => text.parse::<u32>().ok().filter(|page| *page >= 1).ok_or("page must be a whole number from 1")?,
    };
    let per_page = match per_page {
        None => 20,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or("per_page must be a whole number from 1 to 100")?,
    };
    Ok((page, per_page))
}

/// The revoked-ticket sync's parameter.
pub(crate) struct UpdatedSinceQuery;

impl IntoParams for UpdatedSinceQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let time = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)));
        vec![query("updated_since", false, "Only tickets revoked at or after this RFC 3339 time (default: all).", time)]
    }
}

/// An RFC 3339 date-time with its offset (JSON Schema's `date-time`), read as UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTimeText(pub(crate) chrono::DateTime<chrono::Utc>);

impl<'de> Deserialize<'de> for DateTimeText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        chrono::DateTime::parse_from_rfc3339(&text)
            .map(|time| DateTimeText(time.with_timezone(&chrono::Utc)))
            .map_err(|_| serde::de::Error::custom("expected an RFC 3339 date-time with offset"))
    }
}

impl PartialSchema for DateTimeText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .into()
    }
}

impl ToSchema for DateTimeText {}
