// The OpenAPI document is the server's own routes: every route the server registered is in it,
// each keyed route with its security (routes.test.ts tries every route's keys and errors); an
// independent validator (openapi-spec-validator, PyPI) accepts it; and an independent fuzzer
// (schemathesis, PyPI) finds no 500 and no answer outside the document.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensurePlayground } from "../../../playground/build.ts";
import { pythonWith } from "../../../test/python.ts";
import { hashKey } from "../keys.ts";
import { openApiPath } from "../openapi.ts";
import { POLICY, startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

const TOOLS = ["schemathesis==4.32.5", "openapi-spec-validator==0.9.0"];

let h: Harness;
let doc: { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>> };
before(async () => {
  // The fuzzing key is an admin scoped to one agent and environment, so decisions need neither
  // named; approvals expire in 2 s, so a long-poll the fuzzer makes ends by then.
  h = await startHarness({ pagesDir: await ensurePlayground(), approvalTimeoutMs: 2000, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 }, authFailureLimit: { perSecond: 1_000_000, burst: 1_000_000 } }, [
    { id: "fuzz", sha256: hashKey("k-fuzz"), agents: ["shop-bot"], environments: ["production"], roles: ["admin"] },
  ]);
  await h.call("POST", "/v1/decide", "k-fuzz", toolCall("export", {}, "s-1"));
  await h.service.checkpoint();
  doc = (await h.call("GET", "/openapi.json", undefined)).body;
});
after(async () => h?.close());

function run(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const kill = setTimeout(() => p.kill("SIGKILL"), 300_000);
    p.on("close", (status) => {
      clearTimeout(kill);
      resolve({ status, stdout, stderr });
    });
  });
}

describe("the OpenAPI document", () => {
  it("documents every route the server registered", () => {
    assert.ok(POLICY.length > 0);
    const missing = h.service.routes.filter((r) => r.method !== "HEAD" && (r.doc === undefined || doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()] === undefined));
    assert.deepEqual(missing.map((r) => `${r.method} ${r.url}`), [], "routes registered without a doc (pass documented({...}) as the route's options)");
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.equal(documented.length, h.service.routes.filter((r) => r.method !== "HEAD").length);
  });

  // Whether each route really refuses a bad key, and its error shapes: routes.test.ts, over the same list.
  it("documents each route's security: keyed routes name their 401, public ones need no key", () => {
    let keyed = 0;
    for (const r of h.service.routes) {
      if (r.method === "HEAD" || r.doc === undefined) continue;
      const op = doc.paths[openApiPath(r.url)][r.method.toLowerCase()];
      assert.equal(op.security !== undefined && op.security.length === 0, r.doc.auth === "public", `${r.method} ${r.url}: security`);
      if (r.doc.auth === "key") {
        assert.ok(op.responses["401"], `${r.method} ${r.url} documents its 401`);
        keyed++;
      }
    }
    assert.ok(keyed >= 15, `only ${keyed} keyed routes`);
  });

  it("passes an independent OpenAPI 3.1 validator", () => {
    const python = pythonWith(TOOLS);
    const file = join(h.dir, "openapi.json");
    writeFileSync(file, JSON.stringify(doc));
    const r = spawnSync(python, ["-m", "openapi_spec_validator", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /OK/);
  });

  it("survives schemathesis: no 500, every answer as documented, schema-violating bodies refused", async () => {
    const python = pythonWith(TOOLS);
    const st = join(python, "..", "schemathesis");
    // Asynchronously: the service answering the fuzzer runs in this process.
    const r = await run(
      st,
      [
        "run",
        `${h.url}/openapi.json`,
        "-H",
        "Authorization: Bearer k-fuzz",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "8",
        "--seed",
        "19",
        "--workers",
        "2",
        "--request-timeout",
        "10",
        "--no-color",
      ],
      h.dir,
    );
    assert.equal(r.status, 0, `schemathesis found problems:\n${(r.stdout + r.stderr).slice(-6000)}`);
  });
});
