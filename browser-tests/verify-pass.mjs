// Verifies a ticket's offline pass (a compact JWS, EdDSA) against an event's JWK Set with
// Node.js's own crypto (OpenSSL), independent of the server's Rust code, as a scanner would.
// Usage: node verify-pass.mjs JWKS_FILE PASS
// Prints the verified claims as JSON and exits 0; exits 1 when the pass does not verify.
import crypto from "node:crypto";
import fs from "node:fs";

const [jwksFile, pass] = process.argv.slice(2);
const jwks = JSON.parse(fs.readFileSync(jwksFile, "utf8"));
const [encodedHeader, encodedPayload, encodedSignature] = pass.split(".");
const header = JSON.parse(Buffer.from(encodedHeader, "base64url").toString("utf8"));
const jwk = jwks.keys.find((key) => key.kid === header.kid);
if (header.alg !== "EdDSA" || !jwk) {
  console.error("no key for this pass");
  process.exit(1);
}
const key = crypto.createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: "jwk" });
const signed = Buffer.from(`${encodedHeader}.${encodedPayload}`, "ascii");
const ok = crypto.verify(null, signed, key, Buffer.from(encodedSignature, "base64url"));
if (!ok) {
  console.error("signature does not verify");
  process.exit(1);
}
process.stdout.write(Buffer.from(encodedPayload, "base64url").toString("utf8") + "\n");
