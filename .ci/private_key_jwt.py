"""Authlib as a partner's backend that authenticates with private_key_jwt (RFC 7523): it makes an
RSA key, the operator registers its public half (`ticketbooth apps create --jwks`), and Authlib's
own PrivateKeyJWT signs the assertion for a client-credentials token, which then calls the API.
A replayed assertion must be refused.

Usage: private_key_jwt.py BASE_URL TICKETBOOTH_BINARY DATABASE_URL
"""

import json
import subprocess
import sys
import tempfile

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey

base, binary, database_url = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
token_endpoint = f"{base}/oauth/token"

key = RSAKey.generate_key(2048, parameters={"kid": "partner-1", "alg": "RS256", "use": "sig"})
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as jwks:
    json.dump({"keys": [key.as_dict(private=False)]}, jwks)
created = subprocess.run(
    [binary, "--database-url", database_url, "apps", "create", "--name", "Partner backend",
     "--redirect-uri", "https://partner.example/cb", "--jwks", jwks.name, "--json"],
    check=True, capture_output=True, text=True,
)
client_id = json.loads(created.stdout)["client_id"]

client = OAuth2Client(client_id, key, token_endpoint_auth_method=PrivateKeyJWT.name)
client.register_client_auth_method(PrivateKeyJWT(token_endpoint, alg="RS256"))
token = client.fetch_token(token_endpoint, grant_type="client_credentials")
assert token["token_type"] == "Bearer", token
info = httpx.get(f"{base}/oauth/token/info", headers={"Authorization": f"Bearer {token['access_token']}"})
assert info.status_code == 200, info.text

# The same assertion twice: the second is a replay.
assertion = PrivateKeyJWT(token_endpoint, alg="RS256").sign(client, token_endpoint)
form = {
    "grant_type": "client_credentials",
    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    "client_assertion": assertion,
}
assert httpx.post(token_endpoint, data=form).status_code == 200
replayed = httpx.post(token_endpoint, data=form)
assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_client", replayed.text
print("private_key_jwt: Authlib's assertion gets a token; its replay is refused")
