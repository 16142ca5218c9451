//! End-to-end tests over real HTTP: one binary, one module per area.

mod harness;

mod account_area;
mod accounts;
mod agents;
mod api_lists;
mod api_tickets;
mod api_world;
mod authorize_errors;
mod bearer;
mod browser;
mod browser_agents;
mod browser_portal;
mod check_in;
mod client_assertions;
mod client_credentials;
mod code_flow;
mod connections;
mod device;
mod dpop;
mod independent_clients;
mod logout;
mod node;
mod oidc;
mod openapi;
mod ops;
mod par_and_profile;
mod portal;
mod refresh_grace;
mod security;
mod token_errors;
mod webhooks;
