// Properties over generated policies: the checker never throws, every diagnostic points into
// its file with a valid span, and generated well-typed rules check without errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse } from "../parse.ts";
import { isValidSpan } from "../span.ts";
import { check } from "../check/index.ts";
import { CODES } from "../codes.ts";
import { policySourceArb } from "./arbitrary.ts";

test("on generated policies the checker never throws and every diagnostic has a valid span", () => {
  fc.assert(
    fc.property(fc.array(policySourceArb, { minLength: 1, maxLength: 3 }), (sources) => {
      const texts = new Map<string, string>();
      const files = sources.flatMap(({ source }, i) => {
        const path = `f${i}.policy`;
        texts.set(path, source);
        const r = parse(source, path);
        return r.file === null ? [] : [r.file];
      });
      const result = check(files);
      for (const d of result.diagnostics) {
        const text = texts.get(d.file);
        assert.ok(text !== undefined, `diagnostic for an unknown file ${d.file}`);
        assert.ok(isValidSpan(d.span, text.length), `${d.code} has an invalid span ${JSON.stringify(d.span)}`);
        assert.ok(d.code in CODES);
        assert.ok(d.message.length > 0 && d.message === d.message.trim());
      }
      assert.equal(result.program === null, result.diagnostics.some((d) => d.severity === "error"));
    }),
    { numRuns: 300 },
  );
});

// Well-typed building blocks for rules on tool_call: any and/or/not combination is valid.
const atom = fc.constantFrom(
  `tool.name == "refund"`,
  `tool.args.amount > 500`,
  `principal.roles contains "admin"`,
  `"ops" in principal.roles`,
  `env == "production"`,
  `tool.args.to matches pii.email`,
  `tool.name matches /^send_[a-z]+$/`,
  `lower(tool.name) starts with "del"`,
  `any c in session.calls: c.tool.name == "read" and time - c.time < 1h`,
  `(count c in session.calls where c.decision == "deny") > 3`,
  `all r in principal.roles: len(r) > 0`,
  `any a then b in session.calls: a.tool.name == "read" and b.tool.name == "send"`,
  `domain(tool.args.to) not in LIST`,
  `hours(time - parse_time(principal.attrs.since)) > 24`,
  `tool.args.path like "/etc/*"`,
  `max(tool.args.amount, LIMIT) >= LIMIT`,
  `meta.trace.sampled == true`,
);
const cond: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    atom,
    fc.tuple(tie("c"), fc.constantFrom("and", "or"), tie("c")).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie("c").map((a) => `not (${a})`),
  ),
})).c;

test("generated well-typed rules check without errors", () => {
  fc.assert(
    fc.property(fc.array(cond, { minLength: 1, maxLength: 4 }), (conds) => {
      const rules = conds.map((c, i) => `rule r${i} on tool_call {\n  when ${c}\n  then deny "r${i}: {tool.name}"\n}\n`).join("");
      const text = `package gen\nconst LIMIT = 100\nconst LIST = ["a.com"]\n${rules}`;
      const parsed = parse(text, "gen.policy");
      assert.ok(parsed.file !== null, JSON.stringify(parsed.diagnostics));
      const r = check([parsed.file]);
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      assert.deepEqual(errors.map((d) => `${d.code} ${d.message}`), [], text);
      assert.ok(r.program !== null);
    }),
    { numRuns: 200 },
  );
});
