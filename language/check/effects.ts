// Rule metadata and effects. Transforms (`redact`, `set`) may rewrite only the phase's own
// payload (`tool` on tool_call, `output` on output...), never the context (`principal`,
// `session`...): a policy may reshape what the agent does, not who is asking.
import { SEVERITIES, type Effect, type Expr, type Pattern, type PolicyFile, type RuleDecl, type Severity } from "../ast.ts";
import { rootsFor } from "./roots.ts";
import { DETECTORS, DETECTOR_NAMESPACES } from "../detectors.ts";
import { didYouMean } from "./suggest.ts";
import { certainlyNot, nonNull, overlaps, showType, certainly } from "./types.ts";
import { COMMON_ROOTS, PAYLOAD_ROOTS } from "./schema.ts";
import { expectBool, infer, inferTemplate } from "./infer.ts";
import { lookupInPackage, lookupName } from "./resolve.ts";
import { ensureValue } from "./decls.ts";
import { pathRoot, pathText, type Context, type Env } from "./context.ts";

/** A control id: `framework:id`, e.g. `pci-dss-4.0:7.2.1`, `soc2:CC6.1`, `hipaa:164.312(b)`. */
export const CONTROL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*:[^\s:][^\s]*$/;

/** A rule's metadata, read out and checked. */
export interface RuleMetadata {
  readonly severity: Severity | null;
  readonly controls: string[];
  readonly tags: string[];
  readonly owner: string | null;
}

/** Checks metadata items (E404 severity, E405 duplicates, E406 control ids) and reads them out. */
export function checkMeta(ctx: Context, file: PolicyFile, rule: RuleDecl): RuleMetadata {
  const out: RuleMetadata = { severity: null, controls: [], tags: [], owner: null };
  let severity = false;
  let owner = false;
  let result = out;
  for (const m of rule.meta) {
    switch (m.kind) {
      case "Severity":
        if (severity) ctx.report(file, "E405", m.span, "'severity' is given twice", "keep one 'severity' line");
        severity = true;
        if (!(SEVERITIES as readonly string[]).includes(m.level.name)) ctx.report(file, "E404", m.level.span, `unknown severity '${m.level.name}'`, didYouMean(m.level.name, SEVERITIES) ?? `severities are ${SEVERITIES.join(", ")}`);
        else if (result.severity === null) result = { ...result, severity: m.level.name as Severity };
        break;
      case "Owner":
        if (owner) ctx.report(file, "E405", m.span, "'owner' is given twice", "keep one 'owner' line");
        else result = { ...result, owner: m.value.value };
        owner = true;
        break;
      case "Controls":
        for (const v of m.values) {
          if (!CONTROL_ID.test(v.value)) ctx.report(file, "E406", v.span, `invalid control id "${v.value}"`, "write a control as 'framework:id', e.g. \"soc2:CC6.1\" or \"pci-dss-4.0:7.2.1\"");
          else if (result.controls.includes(v.value)) ctx.report(file, "E405", v.span, `control "${v.value}" is listed twice`, "remove the repeated control");
          else result.controls.push(v.value);
        }
        break;
      case "Tags":
        for (const v of m.values) {
          if (result.tags.includes(v.value)) ctx.report(file, "E405", v.span, `tag "${v.value}" is listed twice`, "remove the repeated tag");
          else result.tags.push(v.value);
        }
        break;
    }
  }
  return result;
}

/** Checks the pattern of a `redact`: a regex literal, a detector, or a const holding a pattern. */
function checkPattern(ctx: Context, env: Env, p: Pattern): void {
  const file = env.scope.file;
  if (p.kind === "Regex") {
    infer(ctx, env, p);
    return;
  }
  const parts = p.parts.map((x) => x.name);
  const text = parts.join(".");
  if (parts.length === 2 && DETECTOR_NAMESPACES.has(parts[0])) {
    const d = DETECTORS.get(text);
    if (d !== undefined) ctx.resolutions.set(p, { kind: "detector", name: text, detector: d });
    else ctx.report(file, "E206", p.span, `unknown detector '${text}'`, didYouMean(text, DETECTORS.keys()));
    return;
  }
  // A const holding a regex: `redact CARD in output.text`, or `common.CARD` through an import.
  let r = parts.length === 1 ? (() => {
    const lk = lookupName(ctx, env, parts[0]);
    return lk.kind === "found" ? lk.resolution : undefined;
  })() : undefined;
  if (parts.length === 2) {
    const imp = env.scope.imports.get(parts[0]);
    if (imp !== undefined) {
      imp.used = true;
      r = lookupInPackage(ctx, imp.package, parts[1]);
    }
  }
  if (r !== undefined && r.kind === "const") {
    ctx.depend(env.owner, r.id);
    ctx.resolutions.set(p, r);
    const t = ensureValue(ctx, r.id).type;
    if (certainlyNot(t, ["pattern", "string"])) ctx.report(file, "E307", p.span, `'${text}' is a ${showType(nonNull(t))}, not a pattern`, "redact a regex literal such as /\\d{16}/ or a detector such as pii.credit_card");
    return;
  }
  if (r !== undefined) {
    ctx.report(file, "E307", p.span, `'${text}' is not a pattern`, "redact a regex literal such as /\\d{16}/ or a detector such as pii.credit_card");
    return;
  }
  ctx.report(file, "E206", p.span, `unknown detector '${text}'`, didYouMean(text, DETECTORS.keys()) ?? "detectors are named like pii.email or secret.aws_key");
}

/**
 * Checks the target of a transform: a path into the payload of at least one phase the rule runs
 * in (the transform applies in those phases only; spec/soundness.md). Returns the target's type,
 * or undefined when it is not a usable target (already reported).
 */
function checkTarget(ctx: Context, env: Env, target: Expr, effect: "redact" | "set"): ReturnType<typeof infer> | undefined {
  const file = env.scope.file;
  const phases = env.owner.kind === "rule" ? env.owner.phases : [];
  const code = effect === "redact" ? "E401" : "E402";
  const root = pathRoot(target);
  const text = pathText(target);
  const example = phases.length > 0 ? `'${PAYLOAD_ROOTS[phases[0]][0]}.…'` : "a field of the input";
  if (root === undefined || text === undefined) {
    ctx.report(file, code, target.span, `${effect} needs a field of the input, not an expression`, `name a field such as ${example}`);
    return undefined;
  }
  const lk = lookupName(ctx, env, root.name);
  if (lk.kind === "found" && lk.resolution.kind !== "root") {
    ctx.report(file, code, root.node.span, `'${root.name}' is not part of the input, so ${effect} cannot rewrite it`, `name a field such as ${example}`);
    return undefined;
  }
  if (COMMON_ROOTS.includes(root.name)) {
    ctx.report(file, "E400", root.node.span, `'${root.name}' is context and cannot be rewritten`, `${effect} rewrites the phase's own payload, such as ${example}`);
    return undefined;
  }
  const having = phases.filter((p) => PAYLOAD_ROOTS[p].includes(root.name));
  if (having.length === 0) {
    const p = phases[0];
    ctx.report(file, "E400", target.span, p === undefined ? `'${text}' is not part of any phase's input here` : `'${text}' is not part of the ${phases.join(" or ")} input`, p === undefined ? undefined : `on ${p}, ${effect} can rewrite '${PAYLOAD_ROOTS[p][0]}.…'`);
    return undefined;
  }
  if (effect === "set" && target.kind === "Name") {
    ctx.report(file, "E402", target.span, `set needs a field, not the whole '${root.name}'`, `name a field, e.g. '${root.name}.${root.name === "tool" ? "args.x" : "text"}'`);
    return undefined;
  }
  // In a rule on several phases, the target is typed in the phases that have it.
  const here: Env = having.length === phases.length || env.owner.kind !== "rule" ? env : { ...env, owner: { ...env.owner, phases: having }, roots: rootsFor(having) };
  return infer(ctx, here, target);
}

/** Checks one effect of a rule in `env` (whose owner's phases are the phases it can run in). */
export function checkEffect(ctx: Context, env: Env, e: Effect): void {
  const file = env.scope.file;
  switch (e.kind) {
    case "Deny":
    case "Warn":
      if (e.message !== null) inferTemplate(ctx, env, e.message);
      return;
    case "RequireApproval":
      if (e.message !== null) inferTemplate(ctx, env, e.message);
      if (e.from !== null && e.from.value.trim() === "") ctx.report(file, "E300", e.from.span, "the approving role is empty", "name a role, e.g. from \"supervisor\"");
      return;
    case "Allow":
      return;
    case "Redact": {
      checkPattern(ctx, env, e.pattern);
      const t = checkTarget(ctx, env, e.target, "redact");
      if (t !== undefined && certainlyNot(t, ["string"])) ctx.report(file, "E401", e.target.span, `'${pathText(e.target)}' is a ${showType(nonNull(t))}, not a string field`, certainly(t, ["object"]) ? `redact one of its string fields, e.g. '${pathText(e.target)}.text'` : "redact a string field");
      return;
    }
    case "Set": {
      const t = checkTarget(ctx, env, e.target, "set");
      const v = infer(ctx, env, e.value);
      if (t !== undefined && !overlaps(v, t)) ctx.report(file, "E408", e.value.span, `'${pathText(e.target)}' is a ${showType(nonNull(t))} and cannot be set to a ${showType(nonNull(v))}`, certainly(t, ["number"]) && certainly(v, ["string"]) ? "convert it: 'to_number(...)'" : certainly(t, ["string"]) ? "convert it: 'to_string(...)'" : undefined);
      return;
    }
  }
}

/** Checks a rule's `when` or `unless` condition. */
export function checkCondition(ctx: Context, env: Env, e: Expr, keyword: "when" | "unless"): void {
  expectBool(ctx, env, e, infer(ctx, env, e), `the '${keyword}' condition`);
}
