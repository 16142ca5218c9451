"""Runs every resource-API operation of the demo data set through a Python client generated
from the served OpenAPI document (openapi-python-client), as a partner would.

Usage: generated_client.py BASE_URL (with the generated package `tb_client` importable).
Exits non-zero on the first operation that fails. Tokens are obtained over plain HTTP: the
user's by signing in and approving on the pages, as a person would.
"""

import html
import re
import sys
import urllib.parse

import httpx

from tb_client import AuthenticatedClient, Client
from tb_client.api.info import get_api_info
from tb_client.api.o_auth_2 import request_token
from tb_client.api.organizer_resources import list_event_tickets, list_organizer_events
from tb_client.api.ticket_management import create_ticket, invalidate_ticket, search_ticket_by_reference_code
from tb_client.api.user_profile import get_me, post_me
from tb_client.api.user_resources import list_my_orders, list_my_tickets
from tb_client.api.webhooks import (
    create_webhook, delete_webhook, list_webhook_deliveries, list_webhooks, redeliver_webhook, rotate_webhook_secret,
    send_webhook_test, show_webhook, update_webhook,
)
from tb_client.api.check_in import (
    check_in, list_check_in_keys, list_check_ins, list_revoked_tickets, show_ticket_secret,
)
from tb_client.models import (
    CheckInRequest, CreateTicketRequest, CreateWebhookRequest, CreateWebhookRequestEventsItem,
    InvalidateTicketRequest, TokenRequest, UpdateWebhookRequest,
)

CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret-do-not-use-in-production"
EMAIL, PASSWORD = "demo@ticketbooth.test", "ticketbooth-demo"


def check(name, response, status=200):
    if response.status_code != status or response.parsed is None:
        sys.exit(f"{name}: HTTP {response.status_code}: {response.content[:300]!r}")
    print(f"ok {name}")
    return response.parsed


def hidden_inputs(page):
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)
    }


def user_token(base):
    """The code flow as a browser and a client app run it."""
    redirect_uri = f"{base}/demo/callback"
    with httpx.Client(base_url=base, follow_redirects=False) as browser:
        form = hidden_inputs(browser.get("/session/new").text)
        form.update(email=EMAIL, password=PASSWORD)
        assert browser.post("/session/new", data=form).status_code == 303, "sign-in"
        query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri,
                 "scope": "public organizer", "state": "ci"}
        answer = browser.get("/oauth/authorize", params=query)
        if answer.status_code == 200:
            form = hidden_inputs(answer.text)
            form["decision"] = "approve"
            answer = browser.post("/oauth/authorize", data=form)
        location = urllib.parse.urlparse(answer.headers["location"])
        code = urllib.parse.parse_qs(location.query)["code"][0]
    tokens = httpx.post(f"{base}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
    }).json()
    return tokens["access_token"]


def main(base):
    check("get_api_info", get_api_info.sync_detailed(client=Client(base_url=base)))

    basic = httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET)
    token_client = AuthenticatedClient(base_url=base, token="", prefix="", httpx_args={"auth": basic})
    issued = check("request_token", request_token.sync_detailed(
        client=token_client, body=TokenRequest(grant_type="client_credentials")))
    app = AuthenticatedClient(base_url=base, token=issued.access_token)
    user = AuthenticatedClient(base_url=base, token=user_token(base))

    me = check("get_me", get_me.sync_detailed(client=user))
    assert me.user.email == EMAIL, me
    check("post_me", post_me.sync_detailed(client=user))
    organizer_id = 1
    mine = check("list_my_tickets", list_my_tickets.sync_detailed(organizer_id, client=user, per_page=5))
    check("list_my_orders", list_my_orders.sync_detailed(organizer_id, client=user))
    events = check("list_organizer_events", list_organizer_events.sync_detailed(organizer_id, client=app))
    assert events.events, "the demo organizer has events"
    listed = None
    for event in events.events:
        listed = check("list_event_tickets", list_event_tickets.sync_detailed(organizer_id, event.id, client=app))
        if listed.tickets:
            break
    assert listed is not None and listed.tickets, "a demo event has tickets"
    assert listed.total >= len(listed.tickets)

    ticket_type_id = listed.tickets[0].ticket_type.id
    body = CreateTicketRequest(ticket_type_id=ticket_type_id, firstname="Nok", lastname="Chai",
                               email="nok@example.com", phone="0812345678", external_id="ci-generated-client")
    created = create_ticket.sync_detailed(organizer_id, event.id, client=app, body=body)
    # 201 the first time, 200 (idempotent replay) when the demo database already has it.
    made = check("create_ticket", created, status=created.status_code if created.status_code in (200, 201) else 201)
    found = check("search_ticket_by_reference_code", search_ticket_by_reference_code.sync_detailed(
        client=app, event_id=event.id, reference_code=made.ticket.reference_code))
    assert found.id == made.ticket.id
    if made.ticket.status == "active":
        revoked = check("invalidate_ticket", invalidate_ticket.sync_detailed(
            organizer_id, event.id, client=app, body=InvalidateTicketRequest(ticket_id=made.ticket.id)))
        assert revoked.ticket.status == "revoked"
    else:
        again = invalidate_ticket.sync_detailed(
            organizer_id, event.id, client=app, body=InvalidateTicketRequest(ticket_id=made.ticket.id))
        check("invalidate_ticket (already revoked)", again, status=422)
    webhooks_and_check_in(app, organizer_id, event.id, listed.tickets)
    print(f"generated client: every operation passed ({len(mine.tickets)} of the user's tickets seen)")


def webhooks_and_check_in(app, organizer_id, event_id, tickets):
    """The extensions beyond Eventpop. The endpoint's host never resolves (.invalid) and it
    subscribes to event.updated, which nothing here causes: no request leaves the machine."""
    body = CreateWebhookRequest(url="https://hooks.partner.invalid/ticketbooth",
                                events=[CreateWebhookRequestEventsItem.EVENT_UPDATED])
    made = check("create_webhook", create_webhook.sync_detailed(organizer_id, client=app, body=body), status=201)
    assert made.secret.startswith("whsec_")
    webhook_id = made.webhook.id
    listed = check("list_webhooks", list_webhooks.sync_detailed(organizer_id, client=app))
    assert any(hook.id == webhook_id for hook in listed.webhooks)
    check("show_webhook", show_webhook.sync_detailed(organizer_id, webhook_id, client=app))
    changed = check("update_webhook", update_webhook.sync_detailed(
        organizer_id, webhook_id, client=app, body=UpdateWebhookRequest(description="generated client")))
    assert changed.webhook.description == "generated client"
    rotated = check("rotate_webhook_secret", rotate_webhook_secret.sync_detailed(organizer_id, webhook_id, client=app))
    assert rotated.secret != made.secret
    check("send_webhook_test", send_webhook_test.sync_detailed(organizer_id, webhook_id, client=app), status=202)
    log = check("list_webhook_deliveries", list_webhook_deliveries.sync_detailed(organizer_id, webhook_id, client=app))
    assert log.deliveries[0].event_type == "webhook.test"
    check("redeliver_webhook", redeliver_webhook.sync_detailed(
        organizer_id, webhook_id, log.deliveries[0].id, client=app), status=202)
    check("delete_webhook", delete_webhook.sync_detailed(organizer_id, webhook_id, client=app))

    keys = check("list_check_in_keys", list_check_in_keys.sync_detailed(organizer_id, event_id, client=app))
    assert keys.keys, "the event publishes a key"
    ticket = next(t for t in tickets if t.status in ("active", "used"))
    secret = check("show_ticket_secret", show_ticket_secret.sync_detailed(organizer_id, event_id, ticket.id, client=app))
    scan = CheckInRequest(nonce=f"ci-generated-{ticket.id}", secret=secret.secret)
    answer = check("check_in", check_in.sync_detailed(organizer_id, event_id, client=app, body=scan))
    assert answer.result in ("ok", "already_checked_in"), answer.result
    listed = check("list_check_ins", list_check_ins.sync_detailed(organizer_id, event_id, client=app))
    assert listed.counts.checked_in >= 1
    check("list_revoked_tickets", list_revoked_tickets.sync_detailed(organizer_id, event_id, client=app))


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
