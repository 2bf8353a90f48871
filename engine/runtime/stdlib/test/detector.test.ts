// Detectors are linear by construction (detector.ts). Two kinds of proof, neither timed:
// - every regex a scan is built from has only bounded quantifiers, or starts with a negative
//   lookbehind of a class C and quantifies without bound only classes inside C, each followed
//   by a character outside its class (or a lookahead, or the end): an attempt then starts only
//   where a run of C begins and each run gives back at most its own length;
// - the hand-written parts of every detector, run on adversarial texts through a string that
//   counts the characters read (charCodeAt, indexOf, startsWith, slice...), read a number of
//   characters that grows linearly with the text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DETECTOR_IMPLS } from "../detectors.ts";
import { scannerRegexes } from "../detector.ts";

interface Run {
  /** The quantified class or escape. */
  readonly atom: string;
  /** What follows the quantifier, with alternatives and groups closed through. */
  readonly next: string;
}

/** The leading negative lookbehind's class, and every class an unbounded quantifier applies to. */
function shape(source: string): { guard: string | null; runs: Run[] } {
  let guard: string | null = null;
  const runs: Run[] = [];
  const lead = /^\(\?<!(\[(?:\\.|[^\]\\])*\])\)/.exec(source);
  if (lead !== null) guard = lead[1];
  let i = 0;
  let atomStart = -1;
  // What follows index `k` once the alternatives and groups ending there are closed.
  const after = (k: number): string => {
    if (k >= source.length) return "";
    if (source[k] === ")") return after(k + 1);
    if (source[k] !== "|") return source.slice(k);
    // Another alternative: skip to the end of the group.
    for (let j = k, d = 0; j < source.length; j++) {
      if (source[j] === "\\") j++;
      else if (source[j] === "[") j = classEnd(j);
      else if (source[j] === "(") d++;
      else if (source[j] === ")" && d-- === 0) return after(j + 1);
    }
    return "";
  };
  const classEnd = (k: number): number => {
    let j = k + 1;
    while (source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
    return j;
  };
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      atomStart = i;
      i += 2;
    } else if (c === "[") {
      atomStart = i;
      i = classEnd(i) + 1;
    } else if (c === "(" || c === ")" || c === "|") {
      atomStart = c === ")" ? -2 : -1; // -2: a group was quantified
      i++;
      if (c === "(" && source[i] === "?") i += source[i + 1] === "<" ? 3 : 2;
    } else if (c === "*" || c === "+" || (c === "{" && /^\{\d+,\}/.test(source.slice(i)))) {
      const q = c === "{" ? source.indexOf("}", i) + 1 : i + 1;
      const end = source[q] === "?" ? q + 1 : q;
      runs.push({ atom: atomStart >= 0 ? source.slice(atomStart, i) : "(group)", next: after(end) });
      i = end;
    } else if (c === "{" && /^\{\d+(,\d+)?\}/.test(source.slice(i))) {
      i = source.indexOf("}", i) + 1;
    } else {
      atomStart = i;
      i++;
    }
  }
  return { guard, runs };
}

function units(re: RegExp): Set<number> {
  const out = new Set<number>();
  for (let c = 0; c <= 0xffff; c++) if (re.test(String.fromCharCode(c))) out.add(c);
  return out;
}

/** Why `re` may not be linear under the rule of the file comment; empty when it follows it. */
function violations(re: RegExp): string[] {
  const { guard, runs } = shape(re.source);
  const flags = re.flags.replace("g", "");
  const out: string[] = [];
  for (const run of runs) {
    if (guard === null || run.atom === "(group)") {
      out.push(`${run.atom}: unbounded ${guard === null ? "without a lookbehind guard" : "over a group"}`);
      continue;
    }
    const k = units(new RegExp(`^${run.atom}$`, flags));
    const c = units(new RegExp(`^${guard}$`, flags));
    if ([...k].some((u) => !c.has(u))) out.push(`${run.atom}: not inside the guard ${guard}`);
    if (run.next === "" || run.next.startsWith("(?!") || run.next.startsWith("(?=")) continue;
    const first = /^(\\.|\[(?:\\.|[^\]\\])*\]|[^\\[(])/.exec(run.next);
    if (first === null) {
      out.push(`${run.atom}: followed by ${run.next.slice(0, 10)}`);
      continue;
    }
    const follow = units(new RegExp(`^${first[1]}$`, flags));
    if ([...follow].some((u) => k.has(u))) out.push(`${run.atom}: followed by ${first[1]}, which it can also match`);
  }
  return out;
}

test("every detector regex is bounded, or guarded by a lookbehind of the class it runs over", () => {
  const all = scannerRegexes();
  assert.ok(all.length >= 10, "the detector modules register their regexes");
  let guarded = 0;
  for (const re of all) {
    assert.deepEqual(violations(re), [], String(re));
    if (shape(re.source).runs.length > 0) guarded++;
  }
  assert.ok(guarded >= 4, "the unbounded token regexes (JWT, GitHub, Slack, Stripe, OpenAI) are among those checked");
});

test("the shape check refuses what would be quadratic", () => {
  assert.deepEqual(shape("a[b-c]+d").runs, [{ atom: "[b-c]", next: "d" }]);
  assert.deepEqual(shape("(?<![a])x(?:y|[a]{2,})(?!a)").runs, [{ atom: "[a]", next: "(?!a)" }]);
  assert.equal(shape("(?<![a])x").guard, "[a]");
  assert.equal(violations(/[a-z]+@/g).length, 1, "no guard");
  assert.equal(violations(/(?<![a-z])x[a-z0-9]+[a-z]/g).length, 2, "outside the guard, and followed by its own class");
  assert.equal(violations(/(?<![a-z])(?:ab)+/g).length, 1, "a quantified group");
  assert.deepEqual(violations(/(?<![a-z_])x_[a-z]{3,}_[a-z]+(?![a-z])/g), []);
  assert.deepEqual(violations(/\d{3}-\d{2,4}/g), []);
});

// A string that counts the characters its methods read.
class CountingString extends String {
  reads = 0;
  override charCodeAt(i: number): number {
    this.reads++;
    return super.charCodeAt(i);
  }
  override codePointAt(i: number): number | undefined {
    this.reads++;
    return super.codePointAt(i);
  }
  override indexOf(s: string, from = 0): number {
    const r = super.indexOf(s, from);
    this.reads += (r < 0 ? this.length : r + s.length) - from;
    return r;
  }
  override startsWith(s: string, at = 0): boolean {
    this.reads += s.length;
    return super.startsWith(s, at);
  }
  override slice(a?: number, b?: number): string {
    const r = super.slice(a, b);
    this.reads += r.length;
    return r;
  }
}

const UNITS = ["1", "4111", "1 ", "1-", "4111 ", "1.", "(415) 555-", "+1 ", "(", "a@", "a.", "@", ":", "1:", "a::", "1.1.1.", "-----BEGIN ", "-----BEGIN RSA PRIVATE KEY-----", "eyJa.", "AKIA", "ghp_", "xoxb-1234567-", "sk-", "api_key=", "DE89 ", "DOB: 1", "a", "a1@b.c:d-4111 eyJ.:: +1 (415) DE89 -----BEGIN "];

function reads(find: (text: string) => unknown, unit: string, n: number): number {
  const s = new CountingString(unit.repeat(Math.ceil(n / unit.length)));
  find(s as unknown as string);
  return s.reads;
}

test("every detector's hand-written scanning reads a linear number of characters", () => {
  // The measure sees a quadratic scan: a search from every position.
  const quadratic = (t: string): void => {
    for (let i = 0; i < t.length; i++) t.indexOf("@", i);
  };
  assert.ok(reads(quadratic, "a", 16000) > 10 * reads(quadratic, "a", 4000));
  for (const d of Object.values(DETECTOR_IMPLS)) {
    for (const unit of UNITS) {
      const small = reads((t) => d.find(t), unit, 4000);
      const large = reads((t) => d.find(t), unit, 16000);
      assert.ok(large <= 4.5 * small + 100, `${d.name} on ${JSON.stringify(unit)}: ${small} reads for 4000 characters, ${large} for 16000`);
      assert.ok(large <= 40 * 16000, `${d.name} on ${JSON.stringify(unit)}: ${large} reads for 16000 characters`);
    }
  }
});
