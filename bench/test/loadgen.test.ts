// The serve benchmark's figures are only as honest as its load generator's counts: every answer
// read whole and counted once, a non-2xx counted apart, each `[<id>]` a fresh id, the headers sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cannon } from "../serve.ts";

test("bench/loadgen.ts counts every answer, tells non-2xx apart and sends fresh ids", async () => {
  const seen = new Set<string>();
  let served = 0;
  let badHeaders = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      served++;
      if (req.headers.authorization !== "Bearer k" || req.headers["content-type"] !== "application/json") badHeaders++;
      const { id } = JSON.parse(body) as { id: string };
      seen.add(id);
      // Every third answer is refused; answers arrive in pieces, with bodies of several sizes.
      const status = Number(id) % 3 === 0 ? 503 : 200;
      const text = JSON.stringify({ id, pad: "x".repeat(Number(id) % 5000) });
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.write(text.slice(0, 10));
      setImmediate(() => res.end(text.slice(10)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const r = await cannon(url, JSON.stringify({ id: "[<id>]" }), "k", 1, 4, "loadgen");
    assert.equal(r.errors, 0, r.firstError);
    assert.equal(badHeaders, 0);
    assert.ok(r.requests.total > 50, `only ${r.requests.total} requests`);
    // Counted once each: no more answers than the server gave, and at most one in flight per connection not yet counted.
    assert.ok(r.requests.total <= served && served <= r.requests.total + 4, `${r.requests.total} counted, ${served} served`);
    assert.equal(seen.size, served, "each request carried a fresh id");
    assert.ok(Math.abs(r.non2xx - r.requests.total / 3) <= 4, `${r.non2xx} non-2xx of ${r.requests.total}`);
    assert.match(r.firstError ?? "", /^503: \{"id":"\d+"/);
    assert.ok(r.latency.p50 > 0 && r.latency.p99 >= r.latency.p50);
  } finally {
    server.close();
  }
});
