// `CompiledProgram.decide`'s direct path as generated source, one function per candidate list of
// a phase, behind a `switch` on the indexed path's value (the unpinned rules merged with the rules pinned to one value of the indexed path).
// The generic loop calls every rule's condition through one call site, which sees every rule
// and so is megamorphic: V8 inlines nothing there, and a decision pays a full call per rule
// plus the dispatch on each rule's kind. Here each rule has its own call site, always calling
// the same function, which V8 inlines; the kind of each reason, whether it is fixed, and whether
// a rule can take the direct path at all are decided at generation time. The semantics are the
// generic loop's, statement for statement (compile.ts `direct`): conditions in rule order, a
// firing rule that is not simple or a PolicyRuntimeError gives null (decide then starts over
// through `combine`). A phase with many rules keeps the generic loop: ten thousand rules as
// source would be compiled code no decision reaches twice.
import type { Decision } from "../runtime/decision.ts";
import { reason, reasonsFor, verdict, type PhaseSettings } from "../runtime/combine.ts";
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import type { CompiledRule, Emitter } from "./compile.ts";
import type { Value } from "./values.ts";
import type { PathReader } from "./compile-path.ts";

/** One candidate list's direct path: the decision, or null when it must go through `combine`. */
export type DirectFn = (input: Value, settings: PhaseSettings, policy: Decision["policy"]) => Decision | null;

/** Above this many rule evaluations summed over a phase's lists, the generic loop is kept. */
const MAX_STATEMENTS = 400;

const EMPTY: readonly never[] = Object.freeze([]);

function merge(a: readonly CompiledRule[], b: readonly CompiledRule[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i].position < b[j].position) ? a[i++] : b[j++]);
  return out;
}

const LISTS = { deny: "denies", require_approval: "approvals", allow: "allows", warn: "warnings" } as const;

/** The generated direct path of one candidate list. */
function generate(rules: readonly CompiledRule[]): DirectFn {
  const consts: unknown[] = [];
  const k = (v: unknown): string => {
    consts.push(v);
    return `K${consts.length - 1}`;
  };
  const push = (e: Emitter): string => {
    const list = LISTS[e.kind as keyof typeof LISTS];
    const x = e.reason !== null ? k(e.reason) : `${k(e.build)}(input, ${k(e)})`;
    return `(${list} ??= []).push(${x});\n`;
  };
  let body = "";
  for (const r of rules) {
    const cond = r.shaped !== null ? `${k(r.shaped)}(input, ${k(r)})` : `${k(r.holds)}(input)`;
    let then: string;
    if (!r.simple) then = "return null;\n";
    else if (r.kind !== null) then = push(r) + r.more.map(push).join("");
    else {
      const info = k(r.info);
      then =
        `for (const c of ${k(r.effects)}) {\nconst e = "fixed" in c ? c.fixed : c.run(input);\n` +
        `if (e.kind === "deny") (denies ??= []).push(reason(${info}, "deny", e.message));\n` +
        `else if (e.kind === "require_approval") (approvals ??= []).push(reason(${info}, "require_approval", e.message, e.from));\n` +
        `else if (e.kind === "allow") (allows ??= []).push(reason(${info}, "allow", e.message));\n` +
        `else if (e.kind === "warn") (warnings ??= []).push(reason(${info}, "warn", e.message));\n}\n`;
    }
    body += `if (${cond}) {\n${then}}\n`;
  }
  const source =
    `"use strict";\nconst [${consts.map((_, i) => `K${i}`).join(", ")}] = K;\n` +
    `return function directPath(input, settings, policy) {\nlet denies = null, approvals = null, allows = null, warnings = null;\n` +
    `try {\n${body}} catch (err) {\nif (err instanceof PolicyRuntimeError || err instanceof RangeError) return null;\nthrow err;\n}\n` +
    `const decision = verdict(denies !== null, approvals !== null, allows !== null, settings);\n` +
    `return { decision, reasons: reasonsFor(decision, denies, approvals, allows) ?? EMPTY, warnings: warnings ?? EMPTY, payload: input, errors: EMPTY, policy };\n};`;
  const make = new Function("K", "PolicyRuntimeError", "verdict", "reasonsFor", "reason", "EMPTY", source) as (...a: unknown[]) => DirectFn;
  return make(consts, PolicyRuntimeError, verdict, reasonsFor, reason, EMPTY);
}

/**
 * A phase's direct path: the indexed path read, then a `switch` on its value to the generated
 * path of that value's list (each `case` a call site of its own, inlined like the rules'), or
 * of the unpinned rules alone for any other value. Null when the phase is too large to generate.
 */
export function specialiseDirect(read: PathReader | null, always: readonly CompiledRule[], byValue: ReadonlyMap<string, readonly CompiledRule[]>): DirectFn | null {
  let statements = always.length;
  for (const list of byValue.values()) statements += always.length + list.length;
  if (statements > MAX_STATEMENTS) return null;
  const none = generate(always);
  if (read === null || byValue.size === 0) return none;
  const lists = [...byValue];
  const cases = lists.map(([value], i) => `case ${JSON.stringify(value)}: return F${i}(input, settings, policy);\n`).join("");
  const source = `"use strict";\nconst [${lists.map((_, i) => `F${i}`).join(", ")}] = F;\nreturn function phaseDirect(input, settings, policy) {\nswitch (read(input)) {\n${cases}default: return none(input, settings, policy);\n}\n};`;
  const make = new Function("F", "read", "none", source) as (...a: unknown[]) => DirectFn;
  return make(lists.map(([, list]) => generate(merge(always, list))), read, none);
}
