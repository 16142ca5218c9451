//! Outbound requests on behalf of others (webhook deliveries, client metadata documents): name
//! resolution that never reaches a loopback, private or link-local address (SSRF), checked on
//! every connection, so a name that changes its address after it was checked is still refused.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use ticketbooth_domain::webhooks::forbidden_address;

/// Resolves through the system, keeping public addresses only.
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                found.into_iter().filter(|address| !forbidden_address(address.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} has no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Whether `host` resolves to an address a delivery may not reach (at registration; deliveries
/// check again on each connection). A name that does not resolve is not refused here.
pub(crate) async fn resolves_to_forbidden(host: &str, port: u16) -> bool {
    let lookup = tokio::time::timeout(std::time::Duration::from_secs(3), tokio::net::lookup_host((host, port))).await;
    match lookup {
        Ok(Ok(addresses)) => addresses.into_iter().any(|address| forbidden_address(address.ip())),
        _ => false,
    }
}
