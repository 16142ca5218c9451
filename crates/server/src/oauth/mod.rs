//! The OAuth 2 endpoints (contract §2).

pub(crate) mod authorize;
pub(crate) mod device;
pub(crate) mod logout;
pub(crate) mod management;
pub(crate) mod oidc;
pub(crate) mod par;
pub(crate) mod protected_resource;
pub(crate) mod registration;
pub(crate) mod token;
