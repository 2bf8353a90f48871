// Every read route takes the query parameters its OpenAPI doc lists, and refuses anything else
// with a 400 naming the parameter: a filter the service does not understand (an unknown outcome,
// a misspelt name, a parameter given twice) used to be dropped, and the route answered with
// nothing, or with everything, as if it had filtered.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RouteDoc } from "../openapi.ts";
import { SCHEMAS } from "../schemas.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
  await h.call("POST", "/v1/decide", "agent", toolCall("lookup", {}, "s1"));
  await h.call("POST", "/v1/decide", "agent", toolCall("shell", {}, "s1"));
});
after(() => h.close());

/** The read routes with their docs, path parameters filled in. */
function readRoutes(): { path: string; doc: RouteDoc }[] {
  return h.service.routes
    .filter((r) => r.method === "GET" && r.doc !== undefined && r.doc.tag !== "pages")
    .map((r) => ({ path: r.url.replace(/:[a-z]+/g, "x").replace(/\*$/, "0/000"), doc: r.doc as RouteDoc }));
}

const enumOf = (schema: Record<string, unknown>): unknown[] | undefined => {
  const named = typeof schema.$ref === "string" ? SCHEMAS[schema.$ref.replace("#/components/schemas/", "")] : schema;
  return Array.isArray(named?.enum) ? named.enum : undefined;
};

describe("query parameters", () => {
  it("an unknown decision or phase on /v1/decisions is a 400, and the document names the values", async () => {
    const denied = await h.call("GET", "/v1/decisions?decision=deny", "admin");
    assert.equal(denied.status, 200);
    assert.deepEqual(denied.body.decisions.map((d: { tool: string }) => d.tool), ["shell"]);
    for (const [q, path] of [["decision=denied", "/decision"], ["phase=tool", "/phase"], ["decision=DENY", "/decision"]] as const) {
      const r = await h.call("GET", `/v1/decisions?${q}`, "admin");
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, "request/invalid");
      assert.equal(r.body.error.path, path);
    }
    const doc = (await h.call("GET", "/openapi.json", undefined)).body;
    const params = doc.paths["/v1/decisions"].get.parameters as { name: string; schema: Record<string, unknown> }[];
    assert.deepEqual(params.find((p) => p.name === "decision")?.schema.enum, ["deny", "require_approval", "allow"]);
    assert.ok(params.find((p) => p.name === "phase")?.schema.$ref);
    // HEAD runs the same route: the same answer, without the body.
    const head = await fetch(`${h.url}/v1/decisions?decision=denied`, { method: "HEAD", headers: { authorization: "Bearer k-admin" } });
    assert.equal(head.status, 400);
  });

  it("on every read route: a bad enum value, an unknown name, a name given twice, a bad integer or bad percent-encoding is a 400 at the parameter", async () => {
    const routes = readRoutes();
    assert.ok(routes.length >= 15, `${routes.length} read routes`);
    let enums = 0;
    for (const { path, doc } of routes) {
      for (const [q, at] of [["filtr=1", "/filtr"], ["__proto__=1", "/__proto__"], ["constructor=1", "/constructor"], ["a%2Fb=1", "/a~1b"]] as const) {
        const r = await h.call("GET", `${path}?${q}`, "admin");
        assert.equal(r.status, 400, `${path}?${q}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.path, at, path);
      }
      const bad = await h.call("GET", `${path}?x=%E0%A4%A`, "admin");
      assert.equal(bad.status, 400, `${path} bad percent-encoding`);
      for (const [name, p] of Object.entries(doc.query ?? {})) {
        const twice = await h.call("GET", `${path}?${name}=1&${name}=2`, "admin");
        assert.equal(twice.status, 400, `${path} ${name} twice`);
        assert.equal(twice.body.error.path, `/${name}`);
        const values = enumOf(p.schema);
        if (values !== undefined) {
          enums++;
          const r = await h.call("GET", `${path}?${name}=not-one-of-them`, "admin");
          assert.equal(r.status, 400, `${path}?${name}=not-one-of-them`);
          assert.match(r.body.error.message, new RegExp(String(values[0])));
          const ok = await h.call("GET", `${path}?${name}=${encodeURIComponent(String(values[0]))}`, "admin");
          assert.notEqual(ok.status, 400, `${path}?${name}=${String(values[0])}: ${JSON.stringify(ok.body)}`);
        }
        if (p.schema.type === "integer") {
          for (const v of ["-1", "1e3", "0x10", "1.5", String(Number(p.schema.maximum ?? 1e16) + 1)]) {
            const r = await h.call("GET", `${path}?${name}=${v}`, "admin");
            assert.equal(r.status, 400, `${path}?${name}=${v}`);
            assert.equal(r.body.error.path, `/${name}`);
          }
        }
      }
    }
    assert.ok(enums >= 5, `${enums} enum parameters checked`);
  });

  it("an empty value is the same as none, and pages keep what a link appends", async () => {
    assert.equal((await h.call("GET", "/v1/decisions?decision=&agent=&limit=", "admin")).status, 200);
    assert.notEqual((await h.call("GET", "/console?utm_source=mail", undefined)).status, 400);
  });
});
