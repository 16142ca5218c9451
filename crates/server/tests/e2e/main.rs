//! End-to-end tests over real HTTP: one binary, one module per area.

mod harness;

mod account_area;
mod accounts;
mod api_lists;
mod api_tickets;
mod api_world;
mod authorize_errors;
mod bearer;
mod browser;
mod browser_portal;
mod check_in;
mod client_credentials;
mod client_assertions;
mod code_flow;
mod connections;
mod independent_clients;
mod logout;
mod device;
mod dpop;
mod oidc;
mod par_and_profile;
mod refresh_grace;
mod openapi;
mod ops;
mod portal;
mod security;
mod token_errors;
mod webhooks;
