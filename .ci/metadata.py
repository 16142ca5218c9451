"""Validates the server's discovery documents with Authlib, as a client library would read them:
RFC 8414 authorization server metadata and OpenID Connect Discovery 1.0 provider metadata
(which requires RS256 among the id_token signing algorithms).

Usage: metadata.py BASE_URL
"""

import sys

import httpx
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata

base = sys.argv[1].rstrip("/")
oauth = AuthorizationServerMetadata(httpx.get(f"{base}/.well-known/oauth-authorization-server").json())
oauth.validate()
oidc = OpenIDProviderMetadata(httpx.get(f"{base}/.well-known/openid-configuration").json())
oidc.validate()
algorithms = oidc["id_token_signing_alg_values_supported"]
assert "RS256" in algorithms and "ES256" in algorithms, algorithms
keys = httpx.get(oidc["jwks_uri"]).json()["keys"]
assert {key["alg"] for key in keys} >= {"RS256", "ES256"}, keys
print(f"metadata: Authlib accepts both documents; id_token algorithms {algorithms}")
