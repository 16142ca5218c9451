//! End-to-end tests over real HTTP: one binary, one module per area.

mod harness;

mod authorize_errors;
mod bearer;
mod client_credentials;
mod code_flow;
mod ops;
mod token_errors;
