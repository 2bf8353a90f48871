// The shared SDK conformance cases (spec/sdk-conformance/*.json) against the TypeScript Guard:
// the same files python/tests/test_conformance.py runs against the Python guard and the service.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createGuard, PolicyDeniedError } from "../../engine/sdk/index.ts";
import type { GuardScope, Principal } from "../../engine/sdk/index.ts";

const dir = join(import.meta.dirname, "..", "sdk-conformance");

interface Expect {
  readonly ran_with?: unknown;
  readonly result?: unknown;
  readonly denial?: string;
  readonly message?: string;
  readonly asked?: boolean;
  readonly text?: string;
}

interface Step {
  readonly call?: string;
  readonly args?: Record<string, unknown>;
  readonly returns?: unknown;
  readonly approve?: boolean;
  readonly principal?: Principal;
  readonly session?: string;
  readonly text?: "input" | "output";
  readonly value?: string;
  readonly history?: readonly { tool: string; args: unknown; decision: string }[];
  readonly expect?: Expect;
}

interface Case {
  readonly name: string;
  readonly policy: string;
  readonly mode?: "enforce" | "shadow";
  readonly principal: Principal;
  readonly steps: readonly Step[];
}

const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

test("there are conformance cases", () => assert.ok(files.length >= 4));

for (const file of files) {
  const c = JSON.parse(readFileSync(join(dir, file), "utf8")) as Case;
  test(`sdk conformance (TypeScript): ${c.name}`, async () => {
    let answer: boolean | undefined;
    let asked = false;
    const guard = createGuard({
      policies: [{ path: `${c.name}.policy`, text: c.policy }],
      env: "test",
      agent: "conformance",
      mode: c.mode ?? "enforce",
      approvalTimeoutMs: 5_000,
      approver: () => {
        asked = true;
        return answer === true;
      },
    });
    const scope = (s: Step): GuardScope => guard.session(s.session ?? "main", s.principal ?? c.principal);
    for (const [i, s] of c.steps.entries()) {
      const at = `${c.name} step ${i}`;
      if (s.history !== undefined) {
        const d = scope(s).check("input", { input: { text: "" } });
        const calls = ((d.payload as { session: { calls: { tool: { name: string; args: unknown }; decision: string }[] } }).session.calls);
        assert.deepEqual(calls.map((x) => ({ tool: x.tool.name, args: x.tool.args, decision: x.decision })), s.history, at);
        continue;
      }
      const e = s.expect ?? {};
      if (s.text !== undefined) {
        const phase = s.text;
        try {
          const g = await scope(s).enforce(phase, { [phase]: { text: s.value } });
          assert.equal(e.denial, undefined, `${at}: expected a denial`);
          assert.equal((g.payload[phase] as { text: string }).text, e.text, at);
        } catch (err) {
          if (!(err instanceof PolicyDeniedError)) throw err;
          assert.equal(err.denial, e.denial, `${at}: ${err.message}`);
          if (e.message !== undefined) assert.match(err.message, new RegExp(e.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), at);
        }
        continue;
      }
      answer = s.approve;
      asked = false;
      let ranWith: unknown = null;
      const tool = scope(s).wrapTool(s.call as string, async (args: unknown) => {
        ranWith = structuredClone(args);
        return structuredClone(s.returns);
      });
      try {
        const result = await tool(s.args ?? {});
        assert.equal(e.denial, undefined, `${at}: expected a denial`);
        if ("result" in e) assert.deepEqual(result, e.result, at);
      } catch (err) {
        if (!(err instanceof PolicyDeniedError)) throw err;
        assert.equal(err.denial, e.denial, `${at}: ${err.message}`);
        if (e.message !== undefined) assert.ok(err.message.includes(e.message), `${at}: ${err.message}`);
      }
      if ("ran_with" in e) assert.deepEqual(ranWith, e.ran_with, at);
      if (e.asked !== undefined) assert.equal(asked, e.asked, at);
    }
  });
}
