// An independent OAuth client for the end-to-end tests: oauth4webapi (pinned in package.json)
// drives Ticketbooth as a partner's app or device would, validating every response by the RFCs.
//
// Usage: node oauth-client.mjs '{"mode": "device" | "code", "issuer", "client_id", "client_secret"?,
//                                "scope", "redirect_uri"?, "dpop"?: true, "resource"?}'
// It talks in JSON lines: it writes {"step": ...} objects to stdout and, where a person must act,
// waits for one line on stdin (for "code": the callback URL; for "device": "approved").
// Exits 1, with the error on stderr, on anything the library refuses.
import * as oauth from "oauth4webapi";
import readline from "node:readline";

const options = JSON.parse(process.argv[2]);
const insecure = { [oauth.allowInsecureRequests]: true };
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const emit = (step, fields = {}) => process.stdout.write(JSON.stringify({ step, ...fields }) + "\n");
const nextLine = async () => (await lines.next()).value;

const issuer = new URL(options.issuer);
const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
const client = { client_id: options.client_id };
const clientAuth = options.client_secret ? oauth.ClientSecretBasic(options.client_secret) : oauth.None();
const dpop = options.dpop ? oauth.DPoP(client, await oauth.generateKeyPair("ES256")) : undefined;
const requestOptions = { ...insecure, DPoP: dpop };

// Retries once when the server asks for a DPoP nonce (RFC 9449 §8); the handle keeps the nonce.
async function withNonce(request) {
  try {
    return await request();
  } catch (err) {
    if (dpop && oauth.isDPoPNonceError(err)) return await request();
    throw err;
  }
}

async function codeFlow() {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const parameters = {
    response_type: "code",
    redirect_uri: options.redirect_uri,
    scope: options.scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  };
  const pushed = await oauth.processPushedAuthorizationResponse(
    as,
    client,
    await oauth.pushedAuthorizationRequest(as, client, clientAuth, parameters, insecure),
  );
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("client_id", client.client_id);
  url.searchParams.set("request_uri", pushed.request_uri);
  emit("authorize", { url: url.href });
  const callback = oauth.validateAuthResponse(as, client, new URL(await nextLine()), state);
  return withNonce(async () =>
    oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as, client, clientAuth, callback, options.redirect_uri, verifier, requestOptions,
      ),
    ),
  );
}

async function deviceFlow() {
  const started = await oauth.processDeviceAuthorizationResponse(
    as,
    client,
    await oauth.deviceAuthorizationRequest(as, client, clientAuth, { scope: options.scope }, insecure),
  );
  emit("user_code", {
    user_code: started.user_code,
    verification_uri_complete: started.verification_uri_complete,
    interval: started.interval,
  });
  const poll = async () =>
    oauth.processDeviceCodeResponse(
      as,
      client,
      await oauth.deviceCodeGrantRequest(as, client, clientAuth, started.device_code, requestOptions),
    );
  try {
    await withNonce(poll);
    throw new Error("tokens before approval");
  } catch (err) {
    if (!(err instanceof oauth.ResponseBodyError) || err.error !== "authorization_pending") throw err;
    emit("pending");
  }
  await nextLine();
  return withNonce(poll);
}

const tokens = options.mode === "device" ? await deviceFlow() : await codeFlow();
emit("tokens", { token_type: tokens.token_type, access_token: tokens.access_token, scope: tokens.scope });

// The token at the resource API, as the library sends it (with a fresh proof when DPoP-bound).
const me = await oauth.protectedResourceRequest(
  tokens.access_token, "GET", new URL(`${options.issuer}/api/public/me`), undefined, undefined, requestOptions,
);
emit("me", { status: me.status, body: await me.json() });
if (dpop) {
  const bearer = await fetch(`${options.issuer}/api/public/me`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  emit("as_bearer", { status: bearer.status, www_authenticate: bearer.headers.get("www-authenticate") });
}
process.exit(0);
