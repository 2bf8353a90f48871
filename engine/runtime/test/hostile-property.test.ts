// Property: whatever JavaScript value stands at any place of an input, `PolicySet.decide` returns
// a decision (no throw, no endless loop), the compiled evaluator and the reference agree on it,
// and a value JSON cannot hold is reported with its path and decided by `on_error`. Over
// generated policies and over the standard library's policies (spec/soundness.md, "Inputs that
// are not JSON").
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { Phase } from "../../../language/ast.ts";
import { inputArb, policyArb } from "../../compile/test/policy-arbitrary.ts";
import { loadPolicySet, type PolicySet, type PolicySource } from "../index.ts";

const PHASES: readonly Phase[] = ["tool_call", "tool_result", "output"];
// Under mutation testing every surviving mutant reruns this file (spec/testing.md).
const MUTATION = process.env.PALISADE_MUTATION === "1";

function nest(n: number, wrap: (v: unknown) => unknown): unknown {
  let v: unknown = "AKIAIOSFODNN7EXAMPLE";
  for (let i = 0; i < n; i++) v = wrap(v);
  return v;
}

const boom = (): never => {
  throw new Error("trap");
};

/** A hostile value: its name, whether the copy refuses it wherever it stands, and a maker (a fresh value each time: cycles and proxies have state). */
const HOSTILE: readonly (readonly [string, boolean, () => unknown])[] = [
  ["a BigInt", true, () => 10n ** 20n],
  ["a BigInt in a list", true, () => [1, 2n]],
  ["a cyclic list", true, () => {
    const a: unknown[] = ["refund"];
    a.push(a);
    return a;
  }],
  ["a cyclic object", true, () => {
    const o: Record<string, unknown> = { amount: 600 };
    o.self = { up: o };
    return o;
  }],
  ["a function", true, () => () => "refund"],
  ["a symbol", true, () => Symbol("refund")],
  ["a sparse list", true, () => {
    const a: unknown[] = ["refund"];
    a[3] = 600;
    return a;
  }],
  ["a list 4 billion long", true, () => {
    const a: unknown[] = [];
    a.length = 2 ** 32 - 1;
    return a;
  }],
  ["a getter that throws", true, () => Object.defineProperty({ name: "refund" }, "amount", { get: boom, enumerable: true })],
  ["a proxy whose get throws", true, () => new Proxy({ amount: 600 }, { get: boom })],
  ["a proxy whose ownKeys throws", true, () => new Proxy({ amount: 600 }, { ownKeys: boom })],
  ["a revoked proxy", true, () => {
    const { proxy, revoke } = Proxy.revocable({ amount: 600 }, {});
    revoke();
    return proxy;
  }],
  ["a proxy that lies", false, () => {
    let reads = 0;
    return new Proxy({ name: "refund", amount: 600, s: "a" }, { get: (t, k, r) => (++reads % 2 === 0 ? "other" : Reflect.get(t, k, r)) });
  }],
  ["a Date", true, () => new Date(0)],
  ["a Map", true, () => new Map([["amount", 600]])],
  ["a Set", true, () => new Set(["refund"])],
  ["a typed array", true, () => new Uint8Array([1, 2])],
  ["a Buffer", true, () => Buffer.from("refund")],
  // biome-ignore lint: boxed primitives are the point
  ["a boxed string", true, () => new String("refund")],
  // biome-ignore lint: boxed primitives are the point
  ["a boxed number", true, () => new Number(600)],
  ["NaN", true, () => Number.NaN],
  ["Infinity", true, () => Number.POSITIVE_INFINITY],
  ["undefined", false, () => undefined],
  ["an object with a null prototype", false, () => Object.assign(Object.create(null) as object, { name: "refund", amount: 600 })],
  ["a __proto__ key", false, () => JSON.parse('{"__proto__": {"amount": 600}, "constructor": "refund"}') as unknown],
  ["-0", false, () => -0],
  ["a lone surrogate", false, () => "a\ud800b 4111 1111 1111 1111"],
  ["a list nested 2,000 deep", false, () => nest(2000, (v) => [v])],
  ["an object nested 2,000 deep", false, () => nest(2000, (v) => ({ s: v }))],
];

const KEYS = ["amount", "n", "s", "to", "body", "list", "name", "text", "roles", "calls", "args", "tool", "x"];

/** Every container of `v` with its dotted path (as the copy reports paths). */
function containers(v: unknown, path: string, out: [string, object][]): [string, object][] {
  if (typeof v !== "object" || v === null) return out;
  out.push([path, v]);
  if (Array.isArray(v)) v.forEach((x, i) => containers(x, `${path}[${i}]`, out));
  else for (const [k, x] of Object.entries(v)) containers(x, `${path === "" ? "" : `${path}.`}${k}`, out);
  return out;
}

/** `input` with the hostile value `h` put at a place chosen by `where` and `key`; the path and whether it sits in a list. */
function place(input: Record<string, unknown>, h: unknown, where: number, key: number): { path: string; inList: boolean } {
  const all = containers(input, "", []);
  const [path, c] = all[where % all.length];
  if (Array.isArray(c)) {
    const i = key % (c.length + 1);
    c[i] = h;
    return { path: `${path}[${i}]`, inList: true };
  }
  const k = KEYS[key % KEYS.length];
  (c as Record<string, unknown>)[k] = h;
  return { path: `${path === "" ? "" : `${path}.`}${k}`, inList: false };
}

function both(sources: readonly PolicySource[]): [PolicySet, PolicySet] | null {
  const sets = (["compiled", "reference"] as const).map((evaluator) => loadPolicySet(sources, { evaluator }).policySet);
  return sets[0] && sets[1] ? [sets[0], sets[1]] : null;
}

/** Decides with both, asserting no throw, agreement, and a refused value reported at its path and decided by on_error. */
function check([compiled, reference]: [PolicySet, PolicySet], phase: Phase, input: Record<string, unknown>, hostile: number, where: number, key: number): void {
  const [name, refusedAnywhere, make] = HOSTILE[hostile];
  // Each evaluator is given its own copy and its own hostile value (a proxy that lies keeps
  // count of its reads), and fast-check shows the same generated input again while it shrinks.
  const own = (): Record<string, unknown> => JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  const [x, y] = [own(), own()];
  const { path, inList } = place(x, make(), where, key);
  place(y, make(), where, key);
  const context = `${name} at ${path} (${phase})`;
  const a = compiled.decide(phase, x);
  const b = reference.decide(phase, y);
  // The payloads are copies of plain data; the deep ones are compared as text (node's deep equality recurses).
  assert.equal(JSON.stringify(a), JSON.stringify(b), context);
  const refused = refusedAnywhere || (name === "undefined" && inList);
  const fault = a.errors.find((e) => e.code === "runtime/invalid-input");
  if (refused) {
    assert.ok(fault, `${context}: not reported: ${JSON.stringify(a.errors)}`);
    assert.equal(fault.rule, "palisade.input");
    assert.ok(fault.path === path || fault.path?.startsWith(path), `${context}: reported at ${fault.path}`);
    if (compiled.program.settings[phase].onError === "deny") assert.equal(a.decision, "deny", context);
  } else assert.equal(fault, undefined, `${context}: reported ${JSON.stringify(fault)}`);
}

const hostileArb = fc.tuple(fc.constantFrom(...PHASES), inputArb, fc.nat(HOSTILE.length - 1), fc.nat(), fc.nat());

test("property: a hostile value anywhere in an input of a generated policy is a decision, the same in both evaluators, reported where it stands", () => {
  let decided = 0;
  fc.assert(
    fc.property(policyArb, fc.array(hostileArb, { minLength: 10, maxLength: 10 }), (source, cases) => {
      const sets = both([{ path: "gen.policy", text: source }]);
      if (sets === null) return;
      for (const [phase, input, hostile, where, key] of cases) {
        check(sets, phase, input, hostile, where, key);
        decided++;
      }
    }),
    { numRuns: MUTATION ? 20 : 100 },
  );
  assert.ok(decided >= (MUTATION ? 100 : 500), `only ${decided} decided`);
});

test("property: the same over the standard library's policies, and every hostile value at least once", () => {
  const dir = join(import.meta.dirname, "..", "..", "..", "stdlib-policies");
  const sources: PolicySource[] = [];
  for (const pack of readdirSync(dir, { withFileTypes: true })) {
    if (!pack.isDirectory() || pack.name === "test") continue;
    for (const f of readdirSync(join(dir, pack.name))) if (f.endsWith(".policy") && f !== "tests.policy") sources.push({ path: `${pack.name}/${f}`, text: readFileSync(join(dir, pack.name, f), "utf8") });
  }
  assert.ok(sources.length >= 9, `${sources.length} stdlib policies`);
  const sets = both(sources);
  assert.ok(sets, "the standard library loads");
  HOSTILE.forEach((_, h) => check(sets, "tool_call", { tool: { name: "refund", args: { amount: 600, to: "eve@evil.io" } } }, h, 2, 0));
  fc.assert(
    fc.property(hostileArb, ([phase, input, hostile, where, key]) => check(sets, phase, input, hostile, where, key)),
    { numRuns: MUTATION ? 100 : 600 },
  );
});
