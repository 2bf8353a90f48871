import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { repoRoot } from "../../test/support.ts";
import { format, formatExpr, formatSource } from "../format.ts";
import { parse } from "../parse.ts";
import { policySourceArb } from "./arbitrary.ts";
import { policyTextArb } from "./format-arbitrary.ts";
import { canonicalTree, commentList, metaCanonical, parseClean } from "./format-support.ts";

/** Formats `text` and checks every property the formatter promises; returns the formatted text. */
function checkFormat(text: string): string {
  const before = parseClean(text);
  const out = format(before, text);
  const after = parseClean(out, "formatted.policy");
  assert.equal(format(after, out), out, `formatting twice changed the text of:\n${out}`);
  assert.deepEqual(canonicalTree(after), canonicalTree(before));
  const [a, b] = [commentList(after), commentList(before)];
  // Comments keep their order, except those that travel with a metadata line being reordered or
  // that leave a documented declaration's first line for above its doc comment.
  if (metaCanonical(before) && !before.decls.some((d) => d.doc !== null)) assert.deepEqual(a, b, `comments moved or changed:\n${out}`);
  else assert.deepEqual([...a].sort(), [...b].sort());
  return out;
}

function policyFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) policyFiles(p, out);
    else if (e.name.endsWith(".policy")) out.push(p);
  }
  return out;
}

describe("format: the canonical layout", () => {
  it("prints LANGUAGE.md's example file as written, but for the one test input longer than the width", () => {
    const md = readFileSync(join(repoRoot, "..", "shared", "LANGUAGE.md"), "utf8");
    const example = /## A file\n```\n([\s\S]*?)```/.exec(md)?.[1];
    assert.ok(example);
    const out = checkFormat(example);
    const changed = example.split("\n").filter((l) => !out.split("\n").includes(l));
    assert.deepEqual(changed, ['  on tool_call { tool: { name: "refund", args: { amount: 900 } }, principal: { roles: [] } }'].filter((l) => l.length > 100));
  });

  it("orders metadata, braces several effects, breaks long conditions before 'and' with operands aligned", () => {
    const src = `package p
rule r on tool_call { owner "team"
tags "a"   severity    high
when tool.name == "send_email" and external(tool.args.to) and any r in session.calls: r.tool.name == "read_medical_record"
unless   principal.roles contains "admin" or principal.roles contains "supervisor" or principal.id == "root-account-0001"
then { deny "no" , warn "w" } }
rule s on output { then { allow } }`;
    assert.equal(
      checkFormat(src),
      `package p

rule r on tool_call {
  severity high
  tags "a"
  owner "team"
  when tool.name == "send_email"
   and external(tool.args.to)
   and any r in session.calls: r.tool.name == "read_medical_record"
  unless principal.roles contains "admin"
      or principal.roles contains "supervisor"
      or principal.id == "root-account-0001"
  then { deny "no", warn "w" }
}

rule s on output {
  then allow
}
`,
    );
  });

  it("keeps parentheses as written, numbers and durations as written, and re-escapes strings canonically", () => {
    const src = `package p\nconst A = ((1e3 + 2.50)) * 30s\nconst B = "tab\\there \\u0041\\/ \\{x\\}"\nconst C = { "x-y": 1, "plain": 2, from: /a\\/b[/]/i }\n`;
    assert.equal(checkFormat(src), `package p\n\nconst A = ((1e3 + 2.50)) * 30s\nconst B = "tab\\there A/ {x}"\nconst C = { "x-y": 1, plain: 2, from: /a\\/b[/]/i }\n`);
  });

  it("escapes braces in message text and reprints interpolations", () => {
    const src = `package p\nrule r on output {\n  then deny "a \\{ b } {  tool.args.amount+1 } \\"q\\""\n}\n`;
    assert.equal(checkFormat(src), `package p\n\nrule r on output {\n  then deny "a \\{ b \\} {tool.args.amount + 1} \\"q\\""\n}\n`);
  });

  it("breaks long lists, objects and calls one item per line", () => {
    const long = Array.from({ length: 12 }, (_, i) => `"item-number-${i}"`).join(", ");
    const out = checkFormat(`package p\nconst L = [${long}]\n`);
    assert.equal(out, `package p\n\nconst L = [\n${Array.from({ length: 12 }, (_, i) => `  "item-number-${i}"`).join(",\n")}\n]\n`);
    assert.ok(out.split("\n").every((l) => l.length <= 100));
  });

  it("groups one-line declarations of a kind as the author did, and separates the rest by one blank line", () => {
    const src = `package p\nimport a.b\nimport a.c as c\n\n\n\nconst X = 1\nconst Y = 2\n\nconst Z = 3\ndefault deny\non_error allow on output\ndef f(a) = a\nrule r on input { then allow }\ntest "t" { on input { input: { text: "x" } } expect allow }\n`;
    assert.equal(
      checkFormat(src),
      `package p\n\nimport a.b\nimport a.c as c\n\nconst X = 1\nconst Y = 2\n\nconst Z = 3\n\ndefault deny\non_error allow on output\n\ndef f(a) = a\n\nrule r on input {\n  then allow\n}\n\ntest "t" {\n  on input { input: { text: "x" } }\n  expect allow\n}\n`,
    );
  });

  it("prints test expectations, every effect and phase lists", () => {
    const src = `package p
rule r on input, output {
  then {
    require_approval "m" from "role"
    redact pii.email in output.text with "[E]"
    redact /\\d+/ in output.text
    set tool.args.amount = min(tool.args.amount, 100)
    warn
  }
}
test "x" {
  on tool_call { tool: { name: "refund" } }
  expect require_approval by r, acme.other
  expect warn by r
  expect payload.tool.args["amount"][0] == 100
}`;
    const out = checkFormat(src);
    assert.match(out, /expect payload\.tool\.args\["amount"\]\[0\] == 100/);
    assert.match(out, /redact \/\\d\+\/ in output\.text\n/);
  });
});

describe("format: comments are kept", () => {
  const awkward = `// file header

/// The package.
package p // trailing on package
/* between */
/// Doc of X,
/// two lines.
const X = 1 // trailing X
// before Y, attached
const Y = [1, // inside a list
  2 /* after 2 */, 3]

/// not a doc comment: a blank line follows

rule r on tool_call { // after the brace
  // before severity
  tags "t" // trailing tags
  severity high // trailing severity
  when a /* mid */ and
    // between condition lines
    b // end of condition
  then {
    deny "x" // on deny
    // before the brace
  }
  // before the closing brace
}
rule s on output { then allow } /// a trailing doc comment
const Z = 1
// at the end

/* really the end */
`;

  it("keeps every comment, in order, next to the code it was written beside", () => {
    const out = checkFormat(awkward);
    assert.equal(commentList(parseClean(out)).length, commentList(parseClean(awkward)).length);
    assert.equal(
      out,
      `// file header

/// The package.
package p // trailing on package

/* between */
/// Doc of X,
/// two lines.
const X = 1 // trailing X
// before Y, attached
// inside a list
const Y = [1, 2, 3] /* after 2 */

/// not a doc comment: a blank line follows

rule r on tool_call { // after the brace
  severity high // trailing severity
  // before severity
  tags "t" // trailing tags
  /* mid */
  // between condition lines
  when a and b // end of condition
  then deny "x" // on deny
  // before the brace
  // before the closing brace
}

rule s on output {
  then allow
} /// a trailing doc comment
const Z = 1
// at the end

/* really the end */
`,
    );
  });

  it("never drops a comment of a generated file", () => {
    fc.assert(
      fc.property(policyTextArb, (text) => {
        const out = checkFormat(text);
        assert.equal(commentList(parseClean(out)).length, commentList(parseClean(text)).length);
      }),
      { numRuns: 300 },
    );
  });
});

describe("format: properties", () => {
  it("fmt(fmt(x)) == fmt(x) and parse(fmt(x)) == parse(x) on generated policies", () => {
    fc.assert(fc.property(policyTextArb, (text) => void checkFormat(text)), { numRuns: 500 });
  });

  it("fmt(fmt(x)) == fmt(x) and parse(fmt(x)) == parse(x) on the parser's generated policies", () => {
    fc.assert(fc.property(policySourceArb, ({ source }) => void checkFormat(source)), { numRuns: 500 });
  });

  it("holds on every .policy file of the repository that parses", () => {
    const files = policyFiles(repoRoot);
    assert.ok(files.length > 0, "no .policy files found");
    let formatted = 0;
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      const r = parse(text, f);
      if (r.file === null || r.diagnostics.length > 0) {
        assert.equal(formatSource(text, f).text === null, r.diagnostics.some((d) => d.severity === "error"), relative(repoRoot, f));
        continue;
      }
      checkFormat(text);
      formatted++;
    }
    assert.ok(formatted > 0);
  });

  it("holds on every policy text of the conformance suite that parses", () => {
    const dir = join(repoRoot, "spec", "conformance");
    let formatted = 0;
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
      const suite = JSON.parse(readFileSync(join(dir, name), "utf8")) as { cases?: { name?: string; files?: Record<string, unknown> }[] };
      for (const c of suite.cases ?? []) {
        for (const [file, body] of Object.entries(c.files ?? {})) {
          const text = Array.isArray(body) ? body.join("\n") : typeof body === "string" ? body : null;
          if (text === null || text.length > 100_000) continue;
          const r = parse(text, file);
          if (r.file === null || r.diagnostics.length > 0) continue;
          try {
            checkFormat(text);
          } catch (err) {
            assert.fail(`${name}: ${c.name ?? "?"}: ${file}: ${err instanceof Error ? err.message : String(err)}`);
          }
          formatted++;
        }
      }
    }
    assert.ok(formatted > 50, `${formatted}`);
  });

  it("refuses a file with syntax errors", () => {
    const r = formatSource("package p\nrule r on x { when a == }\n", "bad.policy");
    assert.equal(r.text, null);
    assert.ok(r.diagnostics.length > 0);
  });

  it("formats a lone expression with the parentheses its tree needs", () => {
    const n = (v: number) => ({ kind: "Number" as const, value: v, raw: String(v), span: fileStartSpan });
    const sum = { kind: "Binary" as const, op: "+" as const, left: n(1), right: n(2), opSpan: fileStartSpan, span: fileStartSpan };
    assert.equal(formatExpr({ kind: "Binary", op: "*", left: sum, right: n(3), opSpan: fileStartSpan, span: fileStartSpan }), "(1 + 2) * 3");
    assert.equal(formatExpr({ kind: "Binary", op: "-", left: n(3), right: sum, opSpan: fileStartSpan, span: fileStartSpan }), "3 - (1 + 2)");
  });
});

const fileStartSpan = { start: { offset: 0, line: 1, col: 1 }, end: { offset: 0, line: 1, col: 1 } };
