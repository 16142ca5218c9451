// Serves client metadata documents over https on 127.0.0.1 for the end-to-end tests, with the
// test certificate in tls/ (trusted by the server under test through --client-metadata-ca-file).
//
// Usage: node metadata-host.mjs '{"/path": {"status"?, "headers"?, "body"?, "bytes"?, "delay_ms"?}}'
// `body` is sent as JSON, with "{origin}" replaced by this server's https://127.0.0.1:port; `bytes`
// sends that many bytes of padding instead; `delay_ms` waits before answering. Prints {"port": N}
// once listening, then one {"fetched": path} line per request.
import https from "node:https";
import { readFileSync } from "node:fs";

const here = new URL("./tls/", import.meta.url);
const routes = JSON.parse(process.argv[2]);
const server = https.createServer(
  { key: readFileSync(new URL("localhost.key", here)), cert: readFileSync(new URL("localhost.pem", here)) },
  (request, response) => {
    const path = new URL(request.url, "https://127.0.0.1").pathname;
    process.stdout.write(JSON.stringify({ fetched: path }) + "\n");
    const route = routes[path];
    const answer = () => {
      if (!route) {
        response.writeHead(404).end();
        return;
      }
      const origin = `https://127.0.0.1:${server.address().port}`;
      const body =
        route.bytes !== undefined ? "x".repeat(route.bytes) : JSON.stringify(route.body ?? {}).replaceAll("{origin}", origin);
      response.writeHead(route.status ?? 200, { "content-type": "application/json", ...(route.headers ?? {}) });
      response.end(body);
    };
    setTimeout(answer, route?.delay_ms ?? 0);
  },
);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
