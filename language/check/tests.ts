// Test blocks: the phase exists, the input is an object that fits the phase's input, every rule
// an `expect ... by` names exists and runs on that phase with an effect of that kind, and
// payload expectations name real paths.
import type { Expectation, Expr, Phase, QualifiedName, RuleDecl, TestDecl } from "../ast.ts";
import { T, type Type } from "../types.ts";
import { didYouMean } from "./suggest.ts";
import { lookupField, members, overlaps, showType, nonNull, certainly } from "./types.ts";
import { PHASE_TYPES, schemaToType } from "./schema.ts";
import { infer } from "./infer.ts";
import { checkGiven } from "./params.ts";
import { ensureValue } from "./decls.ts";
import { readPhases } from "./settings.ts";
import { pathText, type Context, type Declared, type Env, type FileScope } from "./context.ts";
import type { CheckedExpectation, CheckedRule, CheckedTest } from "./program.ts";

/** Checks that a literal `e` (already typed) fits `t`, reporting unknown keys (E201) and clashing values (E300). */
function fits(ctx: Context, env: Env, e: Expr, t: Type, path: string): void {
  const file = env.scope.file;
  if (e.kind === "Object" && certainly(t, ["object"])) {
    const objects = members(t).filter((m) => m.kind === "object");
    let shape = t;
    // The application's schema for a named tool types that tool's args in tests too.
    if (path === "tool") {
      const name = e.entries.find((x) => x.key === "name")?.value;
      if (name !== undefined && name.kind === "String" && Object.hasOwn(ctx.toolSchemas, name.value) && objects[0]?.kind === "object") {
        shape = { ...objects[0], fields: { ...objects[0].fields, args: schemaToType(ctx.toolSchemas[name.value]) } };
      }
    }
    for (const entry of e.entries) {
      const look = lookupField(shape, entry.key);
      const sub = path === "" ? entry.key : `${path}.${entry.key}`;
      if (look.kind === "unknown") {
        ctx.report(file, "E201", entry.keySpan, path === "" ? `unknown field '${entry.key}' in the input` : `unknown field '${entry.key}' on '${path}'`, didYouMean(entry.key, look.fields, path === "" ? "" : `${path}.`));
      } else if (look.kind === "found") fits(ctx, env, entry.value, look.type, sub);
    }
    return;
  }
  if (e.kind === "List" && certainly(t, ["list"])) {
    const element = members(t).find((m) => m.kind === "list");
    e.items.forEach((item, i) => fits(ctx, env, item, element?.kind === "list" ? element.element : T.any, `${path}[${i}]`));
    return;
  }
  const et = ctx.types.get(e) ?? T.any;
  if (!overlaps(et, t)) ctx.report(file, "E300", e.span, `'${path}' must be a ${showType(nonNull(t))}, found ${showType(nonNull(et))}`);
  else if (e.kind === "String" && certainly(t, ["instant"]) && Number.isNaN(Date.parse(e.value))) ctx.report(file, "E300", e.span, `'${path}' must be an ISO-8601 instant, found "${e.value}"`, 'write it like "2026-01-31T09:30:00Z"');
}

/** Resolves a rule named in `by`: `rule` in the test's package, `alias.rule` through an import, or `package.rule`. */
export function resolveRuleRef(ctx: Context, scope: FileScope, q: QualifiedName): Declared<RuleDecl> | undefined {
  const parts = q.parts.map((p) => p.name);
  const name = parts[parts.length - 1];
  let pkg = scope.pkg;
  if (parts.length > 1) {
    const imp = scope.imports.get(parts[0]);
    if (imp !== undefined && parts.length === 2) {
      imp.used = true;
      pkg = imp.package;
    } else pkg = parts.slice(0, -1).join(".");
  }
  const found = ctx.packages.get(pkg)?.rules.get(name);
  if (found === undefined) {
    const candidates = [...(ctx.packages.get(pkg)?.rules.keys() ?? [])];
    const text = parts.join(".");
    ctx.report(scope.file, "E208", q.span, `unknown rule '${text}'`, didYouMean(name, candidates, parts.length > 1 ? `${parts.slice(0, -1).join(".")}.` : "") ?? (ctx.packages.has(pkg) ? undefined : `there is no package '${pkg}'`));
  }
  return found;
}

const EFFECT_OF: Record<string, string> = { deny: "Deny", require_approval: "RequireApproval", allow: "Allow", warn: "Warn" };

function checkExpectation(ctx: Context, env: Env, phase: Phase | undefined, x: Expectation, rules: ReadonlyMap<string, CheckedRule>): CheckedExpectation {
  const file = env.scope.file;
  if (x.kind === "ExpectPayload") {
    // The path is written after `payload.` and is relative to it: `expect payload.tool.args.amount == 500`.
    let root: Expr = x.path;
    while (root.kind === "Member" || root.kind === "Index") root = root.object;
    const phaseType = phase === undefined ? T.any : PHASE_TYPES[phase];
    const roots = new Map(phaseType.kind === "object" ? Object.entries(phaseType.fields) : []);
    if (root.kind !== "Name") {
      ctx.report(file, "E407", x.path.span, "a payload expectation must name a path of the payload", "write it like 'expect payload.tool.args.amount == 500'");
    } else if (phase !== undefined && !roots.has(root.name)) {
      ctx.report(file, "E201", root.span, `unknown field '${root.name}' in the ${phase} payload`, didYouMean(root.name, roots.keys(), "payload.") ?? `the payload has ${[...roots.keys()].map((k) => `'${k}'`).join(", ")}`);
    } else {
      const pt = infer(ctx, { ...env, roots: phase === undefined ? new Map([[root.name, T.any]]) : roots }, x.path);
      const vt = infer(ctx, env, x.value);
      if (!overlaps(pt, vt)) ctx.report(file, "E300", x.value.span, `'payload.${pathText(x.path) ?? "..."}' is a ${showType(nonNull(pt))}, never equal to a ${showType(nonNull(vt))}`);
    }
    return { expectation: x, rules: [] };
  }
  const ids: string[] = [];
  const wanted = x.kind === "ExpectWarn" ? "warn" : x.decision;
  for (const q of x.by) {
    const r = resolveRuleRef(ctx, env.scope, q);
    if (r === undefined) continue;
    ids.push(r.id);
    const checked = rules.get(r.id);
    if (phase !== undefined && checked !== undefined && !checked.phases.includes(phase)) ctx.report(file, "E407", q.span, `rule '${r.decl.name.name}' does not run on ${phase}`, `it runs on ${checked.phases.join(", ")}`);
    else if (!r.decl.effects.some((e) => e.kind === EFFECT_OF[wanted])) ctx.report(file, "E407", q.span, `rule '${r.decl.name.name}' has no '${wanted}' effect`, `its effects: ${r.decl.effects.map((e) => e.kind.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()).join(", ")}`);
  }
  return { expectation: x, rules: ids };
}

/** Checks one test block; returns it for the program (its phase is undefined when unknown). */
export function checkTest(ctx: Context, declared: Declared<TestDecl>, rules: ReadonlyMap<string, CheckedRule>): CheckedTest | undefined {
  const { decl: test, file } = declared;
  const scope = ctx.scopes.get(file);
  if (scope === undefined) return undefined;
  const [phase] = readPhases(ctx, file, [test.phase]);
  const env: Env = { scope, owner: { kind: "test", id: declared.id }, locals: new Map(), roots: new Map() };
  infer(ctx, env, test.input);
  if (test.input.kind !== "Object") ctx.report(file, "E407", test.input.span, "a test's input must be an object", "write it like '{ tool: { name: \"refund\", args: { amount: 900 } } }'");
  else if (phase !== undefined) fits(ctx, env, test.input, PHASE_TYPES[phase], "");
  const decisions = test.expects.filter((x) => x.kind === "ExpectDecision");
  // One decision per input: a second `expect allow|deny|require_approval` can never hold with the first.
  for (const extra of decisions.slice(1)) ctx.report(file, "E407", extra.span, "a test expects at most one decision", "keep one 'expect allow|deny|require_approval' line; name more rules with 'by r1, r2'");
  const expects = test.expects.map((x) => checkExpectation(ctx, env, phase, x, rules));
  const given = checkGiven(ctx, env, test.given, (id) => ensureValue(ctx, id).type);
  return phase === undefined ? undefined : { name: test.name.value, package: scope.pkg, file: file.path, phase, decl: test, expects, given };
}
