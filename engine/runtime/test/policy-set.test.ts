// The policy set on its own: its digest (what the audit log, promotion records and the service
// name a policy by) changes with meaning and with nothing else, bad input to `decide` is refused
// with its code, and the evaluator chosen is the one that decides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DecisionInputError, isPhase, loadPolicySet, policyDigest, PolicySet } from "../policy-set.ts";
import type { PolicySource } from "../policy-set.ts";

const A = `package a

rule no_shell on tool_call {
  when tool.name == "shell"
  then deny "no shell"
}
`;
const B = `package b

rule big on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  then require_approval "big refund" from "supervisor"
}
`;

function load(sources: readonly PolicySource[], options: Parameters<typeof loadPolicySet>[1] = {}): PolicySet {
  const { policySet, diagnostics } = loadPolicySet(sources, options);
  assert.ok(policySet !== null, JSON.stringify(diagnostics));
  return policySet;
}

test("the digest: SHA-256 over each formatted source, length-prefixed, in sorted order", () => {
  const expected = (texts: string[]): string => {
    const h = createHash("sha256");
    for (const t of [...texts].sort()) h.update(`${Buffer.byteLength(t)}\n`).update(t);
    return `sha256:${h.digest("hex")}`;
  };
  assert.equal(policyDigest([{ path: "a.policy", text: A }]), expected([A]));
  assert.equal(policyDigest([{ path: "b.policy", text: B }, { path: "a.policy", text: A }]), expected([A, B]));
  assert.match(policyDigest([]), /^sha256:[0-9a-f]{64}$/);
});

test("the digest ignores file names, file order and layout, and follows any change of meaning", () => {
  const d = policyDigest([{ path: "a.policy", text: A }, { path: "b.policy", text: B }]);
  assert.equal(policyDigest([{ path: "x/other.policy", text: B }, { path: "y.policy", text: A }]), d, "names and order");
  const spaced = A.replace('when tool.name == "shell"', 'when   tool.name=="shell"   ');
  assert.equal(policyDigest([{ path: "a.policy", text: spaced }, { path: "b.policy", text: B }]), d, "spacing is layout");
  assert.notEqual(policyDigest([{ path: "a.policy", text: A.replace('"shell"', '"bash"') }, { path: "b.policy", text: B }]), d);
  assert.notEqual(policyDigest([{ path: "a.policy", text: A }]), d, "a file less");
  // An unparsable source digests as written (the checker refuses it before anything decides by it).
  assert.notEqual(policyDigest([{ path: "a.policy", text: "package" }]), policyDigest([{ path: "a.policy", text: "package " }]));
});

test("tool schemas are part of the digest, by content and not by key order", () => {
  const plain = policyDigest([{ path: "a.policy", text: A }]);
  assert.equal(policyDigest([{ path: "a.policy", text: A }], {}), plain, "no schemas: the sources alone");
  const s1 = { refund: { type: "object", properties: { amount: { type: "number" }, note: { type: "string" } }, required: ["amount"] } };
  const s2 = { refund: { required: ["amount"], properties: { note: { type: "string" }, amount: { type: "number" } }, type: "object" } };
  const d1 = policyDigest([{ path: "a.policy", text: A }], s1);
  assert.notEqual(d1, plain);
  assert.equal(policyDigest([{ path: "a.policy", text: A }], s2), d1);
  assert.notEqual(policyDigest([{ path: "a.policy", text: A }], { refund: { ...s1.refund, required: ["note"] } }), d1);
  assert.notEqual(policyDigest([{ path: "a.policy", text: A }], { refund: { ...s1.refund, required: ["amount", "note"] } }), d1, "lists keep their order");
  assert.notEqual(policyDigest([{ path: "a.policy", text: A }], { refund: { ...s1.refund, maximum: null } }), d1, "a null counts");
  // The exact canonical form: sorted keys, no spaces, prefixed with its length.
  const exact = (schemas: Record<string, unknown>, json: string): void => {
    const h = createHash("sha256").update(`${Buffer.byteLength(A)}\n`).update(A).update(`tool-schemas ${Buffer.byteLength(json)}\n`).update(json);
    assert.equal(policyDigest([{ path: "a.policy", text: A }], schemas), `sha256:${h.digest("hex")}`);
  };
  exact(s1, '{"refund":{"properties":{"amount":{"type":"number"},"note":{"type":"string"}},"required":["amount"],"type":"object"}}');
  exact({ t: { enum: ["a", 1, null] } }, '{"t":{"enum":["a",1,null]}}');
  exact({ t: { default: undefined } }, '{"t":{"default":null}}');
});

test("decide refuses an unknown phase and an input that is not an object, with their codes", () => {
  const set = load([{ path: "a.policy", text: A }]);
  const refused = (phase: string, input: unknown): [string, string] => {
    try {
      set.decide(phase, input);
    } catch (e) {
      assert.ok(e instanceof DecisionInputError);
      assert.equal(e.name, "DecisionInputError");
      return [e.code, e.message];
    }
    return ["decided", ""];
  };
  assert.equal(refused("tool_cal", {})[0], "input/unknown-phase");
  assert.match(refused("tool_cal", {})[1], /^unknown phase 'tool_cal': expected one of [a-z_]+(, [a-z_]+)+$/);
  assert.deepEqual(refused("tool_call", null), ["input/not-an-object", "the input must be a JSON object, got null"]);
  assert.deepEqual(refused("tool_call", [1]), ["input/not-an-object", "the input must be a JSON object, got a list"]);
  assert.deepEqual(refused("tool_call", "x"), ["input/not-an-object", "the input must be a JSON object, got a string"]);
  assert.deepEqual(refused("tool_call", 3), ["input/not-an-object", "the input must be a JSON object, got a number"]);
  assert.equal(refused("tool_call", {})[0], "decided");
  assert.deepEqual([isPhase("tool_call"), isPhase("output"), isPhase("toString"), isPhase("")], [true, true, false, false]);
});

test("the evaluator chosen decides, the version is reported, and the reference interpreter is built once", () => {
  const compiled = load([{ path: "a.policy", text: A }, { path: "b.policy", text: B }]);
  const reference = load([{ path: "a.policy", text: A }, { path: "b.policy", text: B }], { evaluator: "reference", version: "v7" });
  assert.deepEqual([compiled.evaluator, reference.evaluator], ["compiled", "reference"]);
  assert.equal(compiled.digest, reference.digest);
  const input = { tool: { name: "refund", args: { amount: 900 } } };
  const c = compiled.decide("tool_call", input);
  const r = reference.decide("tool_call", input);
  assert.equal(c.decision, "require_approval");
  assert.deepEqual(r, { ...c, policy: { digest: c.policy.digest, version: "v7" } });
  assert.deepEqual(c.policy, { digest: compiled.digest }, "no version: none reported");
  assert.equal(compiled.reference, compiled.reference, "built on first use, then kept");
  assert.deepEqual(compiled.reference.decide("tool_call", input, { defaultDecision: "allow", onError: "deny" }, c.policy), c);
  // Settings reach the evaluator per phase: default deny on output only.
  const strict = load([{ path: "s.policy", text: "package s\n\ndefault deny on output\n\nrule ok on tool_call {\n  when tool.name == \"x\"\n  then allow\n}\n" }]);
  assert.equal(strict.decide("output", { output: { text: "hi" } }).decision, "deny");
  assert.equal(strict.decide("tool_call", { tool: { name: "y", args: {} } }).decision, "allow");
});

test("a set with errors, or with a tool schema no validator accepts, loads as null with its diagnostics", () => {
  const bad = loadPolicySet([{ path: "a.policy", text: "package a\nrule r on tool_call { when nope then deny }\n" }]);
  assert.equal(bad.policySet, null);
  assert.ok(bad.diagnostics.some((d) => d.severity === "error"));
  const schema = loadPolicySet([{ path: "a.policy", text: A }], { toolSchemas: { shell: { type: "object", properties: { cmd: { type: "string", pattern: "(" } } } } });
  assert.equal(schema.policySet, null);
  assert.deepEqual(schema.diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, d.help]), [["E605", "fix the schema so that a JSON Schema validator accepts it"]]);
  // Only a schema's error is a diagnostic: any other failure while building the set propagates, not disguised as E605.
  const boom = new Error("not a schema error");
  const options = { get version(): string { throw boom; } };
  assert.throws(() => loadPolicySet([{ path: "a.policy", text: A }], options), (e) => e === boom);
});

test("a pattern from the input nested too deeply for the regex parsers is a rule error, not an exception", () => {
  const text = 'package p\n\nrule r on tool_call {\n  when tool.args.text matches tool.args.pattern\n  then deny "matched"\n}\n';
  const pattern = `${"(?:".repeat(100_000)}a${")".repeat(100_000)}`;
  for (const evaluator of ["compiled", "reference"] as const) {
    const set = load([{ path: "p.policy", text }], { evaluator });
    const d = set.decide("tool_call", { tool: { name: "t", args: { text: "a", pattern } } });
    assert.deepEqual([d.decision, d.errors.map((e) => e.code)], ["deny", ["runtime/invalid-regex"]], evaluator);
  }
});
