//! The OAuth 2 endpoints (contract §2).

pub(crate) mod authorize;
pub(crate) mod management;
pub(crate) mod oidc;
pub(crate) mod token;
