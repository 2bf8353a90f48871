// Given a certificate, the service speaks HTTPS only: a client that trusts the certificate gets
// decisions, a plain-HTTP client gets nothing, and one that does not trust it is refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { KEYS, startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

const fixtures = join(import.meta.dirname, "fixtures");
const cert = readFileSync(join(fixtures, "localhost-cert.pem"));
let h: Harness;
before(async () => {
  h = await startHarness({ tls: { cert, key: readFileSync(join(fixtures, "localhost-key.pem")) } });
});
after(() => h?.close());

function post(url: string, body: unknown, trust: Buffer | undefined): Promise<{ status: number; body: any }> {
  const u = new URL(url);
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.agent}` }, ...(trust ? { ca: trust } : {}) }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

it("answers over HTTPS to a client that trusts its certificate", async () => {
  assert.match(h.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const r = await post(`${h.url}/v1/decide`, toolCall("shell"), cert);
  assert.equal(r.status, 200);
  assert.equal(r.body.decision, "deny");
});

it("refuses clients that do not trust it, and plain HTTP", async () => {
  await assert.rejects(post(`${h.url}/v1/decide`, toolCall("shell"), undefined), /self-signed certificate/);
  await assert.rejects(post(`${h.url.replace("https:", "http:")}/v1/decide`, toolCall("shell"), undefined));
});
