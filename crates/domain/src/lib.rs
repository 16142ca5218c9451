//! Ticketbooth's domain: plain types and protocol rules with no I/O.
//!
//! Everything here is a pure function of its inputs (plus the OS random source for new secrets),
//! so the OAuth rules can be unit- and property-tested without a server or a database.

pub mod access;
pub mod account;
pub mod authorize;
pub mod check_in;
pub mod client_metadata;
pub mod device;
pub mod dpop;
pub mod grant;
pub mod listing;
pub mod model;
pub mod oauth_error;
pub mod oidc;
pub mod password;
pub mod pkce;
pub mod portal;
pub mod redirect;
pub mod resource;
pub mod scope;
pub mod secret;
pub mod ticketing;
pub mod token;
pub mod webhooks;

pub use oauth_error::OAuthErrorCode;
pub use scope::{Scope, ScopeSet};
