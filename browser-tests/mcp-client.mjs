// An AI agent's OAuth client for the end-to-end tests: the official Model Context Protocol SDK's
// client auth (@modelcontextprotocol/sdk, pinned in package.json), as Claude, VS Code and other MCP
// clients run it against a protected resource.
//
// Usage: node mcp-client.mjs '{"api": "<issuer>/api/public", "redirect_uri", "scope",
//                              "client_metadata_url"?: "https://…/client.json"}'
// With client_metadata_url the client identifies itself by that metadata document; without it,
// it registers itself (RFC 7591). It talks in JSON lines: writes {"step": ...} to stdout and, when
// a person must act, waits for one line on stdin (the callback URL). Exits 1, with the error on
// stderr, on anything the SDK refuses.
import { auth, extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import readline from "node:readline";

const options = JSON.parse(process.argv[2]);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const emit = (step, fields = {}) => process.stdout.write(JSON.stringify({ step, ...fields }) + "\n");
const nextLine = async () => (await lines.next()).value;

// What an MCP host keeps between runs, here in memory.
const saved = {};
const provider = {
  get redirectUrl() {
    return options.redirect_uri;
  },
  get clientMetadata() {
    return {
      client_name: "Ticket assistant",
      redirect_uris: [options.redirect_uri],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      scope: options.scope,
    };
  },
  clientMetadataUrl: options.client_metadata_url,
  state: () => "agent-state",
  clientInformation: () => saved.client,
  saveClientInformation: (client) => {
    saved.client = client;
  },
  tokens: () => saved.tokens,
  saveTokens: (tokens) => {
    saved.tokens = tokens;
  },
  redirectToAuthorization: (url) => emit("authorize", { url: url.href }),
  saveCodeVerifier: (verifier) => {
    saved.verifier = verifier;
  },
  codeVerifier: () => saved.verifier,
};

// 1. The API refuses an anonymous call and says where its metadata is (RFC 9728 §5.1).
const refused = await fetch(`${options.api}/me`);
const challenge = extractWWWAuthenticateParams(refused);
emit("challenge", { status: refused.status, resource_metadata: challenge.resourceMetadataUrl?.href });
if (!challenge.resourceMetadataUrl) throw new Error("no resource_metadata in the challenge");

// 2. Discovery, client identity and the authorization request, all by the SDK.
const serverUrl = new URL(options.api);
const first = await auth(provider, { serverUrl, resourceMetadataUrl: challenge.resourceMetadataUrl, scope: options.scope });
if (first !== "REDIRECT") throw new Error(`expected a redirect, got ${first}`);

// 3. The person approves; the callback comes back with the code and our server's iss.
const callback = new URL(await nextLine());
if (callback.searchParams.get("state") !== "agent-state") throw new Error("state mismatch");
emit("callback", { iss: callback.searchParams.get("iss") });
const second = await auth(provider, {
  serverUrl,
  resourceMetadataUrl: challenge.resourceMetadataUrl,
  authorizationCode: callback.searchParams.get("code"),
});
if (second !== "AUTHORIZED") throw new Error(`expected tokens, got ${second}`);
emit("tokens", { client_id: saved.client.client_id, tokens: saved.tokens });

// 4. The API call the agent came for.
const me = await fetch(`${options.api}/me`, { headers: { authorization: `Bearer ${saved.tokens.access_token}` } });
emit("api", { status: me.status, body: await me.json() });
