//! Request parsing shared by handlers: form pairs, the browser session, the bearer token and
//! client authentication.

pub(crate) mod address;
pub(crate) mod bearer;
pub(crate) mod client_assertion;
pub(crate) mod client_auth;
pub(crate) mod form;
pub(crate) mod params;
pub(crate) mod session;
