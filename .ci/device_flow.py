"""Authlib as a door scanner's software: the device authorization grant (RFC 8628). The operator
registers a public device app (`ticketbooth apps create --grant device_code`); the scanner starts a
device authorization; Authlib's token client polls with the device_code grant and is told
authorization_pending; the demo user approves on /device (a plain HTTP client with a cookie jar,
as a phone's browser would); the next poll returns tokens that work at the API.

Usage: device_flow.py BASE_URL TICKETBOOTH_BINARY DATABASE_URL
"""

import html
import json
import re
import subprocess
import sys

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.integrations.base_client.errors import OAuthError

base, binary, database_url = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
GRANT = "urn:ietf:params:oauth:grant-type:device_code"

created = subprocess.run(
    [binary, "--database-url", database_url, "apps", "create", "--name", "Gate scanner", "--public",
     "--grant", "device_code", "--json"],
    check=True, capture_output=True, text=True,
)
client_id = json.loads(created.stdout)["client_id"]

started = httpx.post(f"{base}/oauth/device_authorization", data={"client_id": client_id, "scope": "public"})
started.raise_for_status()
device = started.json()
assert re.fullmatch(r"[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}", device["user_code"]), device

scanner = OAuth2Client(client_id, token_endpoint_auth_method="none")
try:
    scanner.fetch_token(f"{base}/oauth/token", grant_type=GRANT, device_code=device["device_code"])
    raise AssertionError("tokens before approval")
except OAuthError as err:
    assert err.error == "authorization_pending", err


def hidden_fields(page: str) -> dict:
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in fields}


with httpx.Client(base_url=base) as phone:
    sign_in = hidden_fields(phone.get("/session/new").text)
    sign_in.update(email="demo@ticketbooth.test", password="ticketbooth-demo")
    assert phone.post("/session/new", data=sign_in).status_code == 303
    entry = hidden_fields(phone.get("/device", params={"user_code": device["user_code"]}).text)
    entry["user_code"] = device["user_code"]
    confirmation = phone.post("/device", data=entry)
    assert confirmation.status_code == 200 and device["user_code"] in confirmation.text, confirmation.text
    decision = hidden_fields(confirmation.text)
    decision["decision"] = "approve"
    assert phone.post("/device", data=decision).status_code == 200

token = scanner.fetch_token(f"{base}/oauth/token", grant_type=GRANT, device_code=device["device_code"])
me = httpx.get(f"{base}/api/public/me", headers={"Authorization": f"Bearer {token['access_token']}"})
assert me.status_code == 200 and me.json()["user"]["email"] == "demo@ticketbooth.test", me.text
print("device flow: Authlib polls, is told authorization_pending, and gets tokens once approved")
