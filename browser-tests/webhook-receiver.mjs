// A webhook receiver for the end-to-end tests, verifying each delivery with the Standard
// Webhooks reference library (independent of the server's Rust code).
// Usage: node webhook-receiver.mjs SECRET_FILE LOG_FILE
// Prints the port it listens on (127.0.0.1), then appends one JSON line per delivery to LOG_FILE:
// {"id", "verified", "error", "type", "body"}. Answers 204 when the signature verifies, else 400.
// The secret is read from SECRET_FILE at each request, so the test can write it after creating
// the subscription (whose URL needs this port).
import http from "node:http";
import fs from "node:fs";
import { Webhook } from "standardwebhooks";

const [secretFile, logFile] = process.argv.slice(2);
const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let verified = false;
    let error = null;
    let type = null;
    try {
      const secret = fs.readFileSync(secretFile, "utf8").trim();
      const payload = new Webhook(secret).verify(body, request.headers);
      verified = true;
      type = payload.type;
    } catch (err) {
      error = String(err && err.message ? err.message : err);
    }
    const line = { id: request.headers["webhook-id"] ?? null, verified, error, type, body };
    fs.appendFileSync(logFile, JSON.stringify(line) + "\n");
    response.writeHead(verified ? 204 : 400);
    response.end();
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
