// fast-check arbitraries for VALID policies: an AST arbitrary covering every construct, and a
// source-text arbitrary (the AST printed by the naive reference printer). The formatter's
// round-trip properties and the engine's differential tests draw from these. Spans are
// placeholders: compare with `stripSpans` (and `stripParens` for printed text).
import fc from "fast-check";
import type * as A from "../ast.ts";
import { PHASES, SEVERITIES } from "../ast.ts";
import type { Span } from "../span.ts";
import { docLines, printPolicy } from "./reference-printer.ts";

/** The placeholder span of generated nodes. */
export const NO_SPAN: Span = { start: { offset: 0, line: 1, col: 1 }, end: { offset: 0, line: 1, col: 1 } };
const span = NO_SPAN;

/** The keywords of spec/decisions.md, written out again so a test catches the lexer drifting from the spec. */
export const KEYWORD_WORDS: readonly string[] = (
  "package import as const def rule on test expect by default on_error when unless then deny require_approval from allow warn redact " +
  "with set any all count where in not and or contains has param configure matches like starts ends true false null severity controls tags owner payload"
).split(" ");
const keywordSet = new Set(KEYWORD_WORDS);

/** Identifiers that are not keywords. */
export const identName: fc.Arbitrary<string> = fc
  .oneof(fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/), fc.constantFrom("tool", "args", "amount", "principal", "roles", "x", "inputs", "onward", "notes", "index_1", "Ab_C"))
  .filter((s) => !keywordSet.has(s));
/** What may follow `.` or stand as an object key: identifiers and keywords. */
export const propertyName: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: identName }, { weight: 1, arbitrary: fc.constantFrom(...KEYWORD_WORDS) });

const ident = (name: string): A.Ident => ({ kind: "Ident", name, span });
const identArb = identName.map(ident);

/** Number literals: integers, decimals and exponents, with `value` matching `raw`. */
export const numberArb: fc.Arbitrary<A.NumberLit> = fc
  .oneof(
    fc.nat({ max: 1_000_000 }).map(String),
    fc.tuple(fc.nat({ max: 999 }), fc.nat({ max: 999 })).map(([a, b]) => `${a}.${b}`),
    fc.tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom("e", "E"), fc.constantFrom("", "-", "+"), fc.nat({ max: 20 })).map(([a, e, s, b]) => `${a}${e}${s}${b}`),
  )
  .map((raw) => ({ kind: "Number", value: Number(raw), raw, span }));

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Duration literals with `ms` computed independently of the parser. */
export const durationArb: fc.Arbitrary<A.DurationLit> = fc
  .tuple(fc.nat({ max: 100_000 }), fc.boolean(), fc.constantFrom(...(Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[])))
  .map(([tenths, decimal, unit]) => {
    const raw = decimal ? `${Math.floor(tenths / 10)}.${tenths % 10}${unit}` : `${tenths}${unit}`;
    const ms = decimal ? (tenths * UNIT_MS[unit]) / 10 : tenths * UNIT_MS[unit];
    return { kind: "Duration", ms, raw, span };
  });

const textChar = fc.constantFrom(..."abcxyzABC 019-_.:/{}[]()\"'\\\n\t\u00e9\u4e2d".split(""), "\u{1F600}", "\u0001");
/** String values (any text; the printer escapes). */
export const textArb: fc.Arbitrary<string> = fc.array(textChar, { maxLength: 12 }).map((cs) => cs.join(""));
const stringArb: fc.Arbitrary<A.StringLit> = textArb.map((value) => ({ kind: "String", value, span }));

/** Regex literals from fragments safe to print between slashes (`\/` and `[/]` included). */
export const regexArb: fc.Arbitrary<A.RegexLit> = fc
  .tuple(
    fc.array(fc.constantFrom("^", "abc", "[a-z]+", "\\d{3}", "\\/etc\\/", "a|b", "[/]", "(x)?", "\\.", "$", "\\s*", "[^\"]"), { minLength: 1, maxLength: 4 }),
    fc.subarray(["i", "m", "s", "u"]),
  )
  .map(([parts, flags]) => ({ kind: "Regex", pattern: parts.join(""), flags: flags.join(""), span }));

const BINARY_OPS: readonly A.BinaryOp[] = ["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "matches", "like", "starts with", "ends with", "+", "-", "*", "/", "%"];

/** Options for `exprArb`. */
export interface ExprOptions {
  /** Leave out string literals, quoted keys and regexes (for `{...}` in messages, which cannot hold them). */
  readonly forTemplate?: boolean;
  readonly maxDepth?: number;
}

/** Expressions of every form and precedence level. */
export function exprArb(options: ExprOptions = {}): fc.Arbitrary<A.Expr> {
  const plain = options.forTemplate === true;
  const leaves: fc.Arbitrary<A.Expr>[] = [
    numberArb,
    durationArb,
    fc.boolean().map((value): A.Expr => ({ kind: "Bool", value, span })),
    fc.constant<A.Expr>({ kind: "Null", span }),
    identName.map((name): A.Expr => ({ kind: "Name", name, span })),
    ...(plain ? [] : [stringArb, regexArb]),
  ];
  const { expr } = fc.letrec<{ expr: A.Expr }>((tie) => {
    const e = tie("expr");
    const key = plain
      ? propertyName.map((k) => ({ key: k, quoted: false }))
      : fc.oneof(propertyName.map((k) => ({ key: k, quoted: false })), textArb.map((k) => ({ key: k, quoted: true })));
    return {
      expr: fc.oneof(
        { maxDepth: options.maxDepth ?? 4, depthSize: "small", withCrossShrink: true },
        ...leaves,
        fc.array(e, { maxLength: 3 }).map((items): A.Expr => ({ kind: "List", items, span })),
        fc.array(fc.tuple(key, e), { maxLength: 3 }).map((es): A.Expr => ({ kind: "Object", entries: es.map(([k, value]) => ({ ...k, keySpan: span, value })), span })),
        fc.tuple(e, propertyName).map(([object, p]): A.Expr => ({ kind: "Member", object, property: ident(p), span })),
        fc.tuple(e, e).map(([object, index]): A.Expr => ({ kind: "Index", object, index, span })),
        fc.tuple(e, fc.array(e, { maxLength: 3 })).map(([callee, args]): A.Expr => ({ kind: "Call", callee, args, span })),
        fc.tuple(fc.constantFrom<"not" | "-">("not", "-"), e).map(([op, operand]): A.Expr => ({ kind: "Unary", op, operand, span })),
        fc.tuple(fc.constantFrom(...BINARY_OPS), e, e).map(([op, left, right]): A.Expr => ({ kind: "Binary", op, left, right, opSpan: span, span })),
        fc
          .tuple(fc.constantFrom<"any" | "all" | "count">("any", "all", "count"), fc.array(identArb, { minLength: 1, maxLength: 3 }), e, fc.option(e, { nil: null }))
          .map(([quantifier, vars, collection, body]): A.Expr => ({
            kind: "Quantifier",
            quantifier,
            vars: quantifier === "any" ? vars : vars.slice(0, 1),
            collection,
            body: quantifier === "count" ? body : (body ?? { kind: "Bool", value: true, span }),
            span,
          })),
        e.map((inner): A.Expr => ({ kind: "Paren", expr: inner, span })),
      ),
    };
  });
  return expr;
}

/** Member/index chains rooted at a name: what `redact` and `set` target. */
export const pathArb: fc.Arbitrary<A.Expr> = fc
  .tuple(identName, fc.array(fc.oneof(propertyName.map((p) => ({ p })), exprArb({ maxDepth: 1 }).map((i) => ({ i }))), { maxLength: 3 }))
  .map(([root, steps]) =>
    steps.reduce<A.Expr>(
      (object, s) => ("p" in s ? { kind: "Member", object, property: ident(s.p), span } : { kind: "Index", object, index: s.i, span }),
      { kind: "Name", name: root, span },
    ),
  );

/** Message templates in the parser's normal form: no empty text parts, adjacent text merged. */
export const templateArb: fc.Arbitrary<A.Template> = fc
  .array(fc.oneof(textArb, exprArb({ forTemplate: true, maxDepth: 2 })), { maxLength: 4 })
  .map((raw) => {
    const parts: (string | A.Expr)[] = [];
    for (const p of raw) {
      if (p === "") continue;
      const last = parts[parts.length - 1];
      if (typeof p === "string" && typeof last === "string") parts[parts.length - 1] = last + p;
      else parts.push(p);
    }
    return { kind: "Template", parts, raw: "", span };
  });

const qnameArb: fc.Arbitrary<A.QualifiedName> = fc
  .tuple(identName, fc.array(propertyName, { maxLength: 2 }))
  .map(([first, rest]) => ({ kind: "QualifiedName", parts: [first, ...rest].map(ident), span }));
const phaseArb = fc.constantFrom(...PHASES).map(ident);
const phasesArb = fc.uniqueArray(fc.constantFrom(...PHASES), { minLength: 1, maxLength: 3 }).map((ps) => ps.map(ident));
const docArb: fc.Arbitrary<A.Doc> = fc.option(
  fc.array(fc.stringMatching(/^[A-Za-z0-9 .,'`()-]{0,20}$/), { minLength: 1, maxLength: 3 }).map((ls) => ls.join("\n")),
  { nil: null, freq: 3 },
);
const msg = fc.option(templateArb, { nil: null });

/** Every effect. */
export const effectArb: fc.Arbitrary<A.Effect> = fc.oneof(
  msg.map((message): A.Effect => ({ kind: "Deny", message, span })),
  msg.map((message): A.Effect => ({ kind: "Warn", message, span })),
  fc.constant<A.Effect>({ kind: "Allow", span }),
  fc.tuple(msg, fc.option(stringArb, { nil: null })).map(([message, from]): A.Effect => ({ kind: "RequireApproval", message, from, span })),
  fc
    .tuple(fc.oneof(regexArb, qnameArb), pathArb, fc.option(stringArb, { nil: null }))
    .map(([pattern, target, replacement]): A.Effect => ({ kind: "Redact", pattern, target, replacement, span })),
  fc.tuple(pathArb, exprArb()).map(([target, value]): A.Effect => ({ kind: "Set", target, value, span })),
);

const metaArb: fc.Arbitrary<A.RuleMeta> = fc.oneof(
  fc.constantFrom(...SEVERITIES).map((l): A.RuleMeta => ({ kind: "Severity", level: ident(l), span })),
  fc.array(stringArb, { minLength: 1, maxLength: 3 }).map((values): A.RuleMeta => ({ kind: "Controls", values, span })),
  fc.array(stringArb, { minLength: 1, maxLength: 3 }).map((values): A.RuleMeta => ({ kind: "Tags", values, span })),
  stringArb.map((value): A.RuleMeta => ({ kind: "Owner", value, span })),
);

const ruleArb: fc.Arbitrary<A.RuleDecl> = fc
  .record({
    name: identArb,
    phases: phasesArb,
    meta: fc.array(metaArb, { maxLength: 4 }),
    when: fc.option(exprArb(), { nil: null }),
    unless: fc.option(exprArb(), { nil: null }),
    effects: fc.array(effectArb, { minLength: 1, maxLength: 3 }),
    braced: fc.boolean(),
    doc: docArb,
  })
  .map((r) => ({ kind: "Rule", ...r, braced: r.braced || r.effects.length > 1, span }));

const expectationArb: fc.Arbitrary<A.Expectation> = fc.oneof(
  fc
    .tuple(fc.constantFrom<"allow" | "deny" | "require_approval">("allow", "deny", "require_approval"), fc.array(qnameArb, { maxLength: 2 }))
    .map(([decision, by]): A.Expectation => ({ kind: "ExpectDecision", decision, by, span })),
  fc.array(qnameArb, { minLength: 1, maxLength: 2 }).map((by): A.Expectation => ({ kind: "ExpectWarn", by, span })),
  fc.tuple(pathArb, exprArb({ maxDepth: 2 })).map(([path, value]): A.Expectation => ({ kind: "ExpectPayload", path, value, span })),
);

const objectArb: fc.Arbitrary<A.Expr> = fc
  .array(fc.tuple(propertyName, exprArb({ maxDepth: 2 })), { maxLength: 3 })
  .map((es) => ({ kind: "Object", entries: es.map(([key, value]) => ({ key, quoted: false, keySpan: span, value })), span }));

const settingArb = fc.tuple(fc.constantFrom<"allow" | "deny">("allow", "deny"), fc.oneof(fc.constant([]), phasesArb), docArb);

/** Every top-level declaration after `package`. */
export const declArb: fc.Arbitrary<A.Decl> = fc.oneof(
  fc.tuple(qnameArb, fc.option(identArb, { nil: null }), docArb).map(([path, alias, doc]): A.Decl => ({ kind: "Import", path, alias, doc, span })),
  settingArb.map(([value, phases, doc]): A.Decl => ({ kind: "Default", value, phases, doc, span })),
  settingArb.map(([value, phases, doc]): A.Decl => ({ kind: "OnError", value, phases, doc, span })),
  fc.tuple(identArb, exprArb(), docArb).map(([name, value, doc]): A.Decl => ({ kind: "Const", name, value, param: false, type: null, doc, span })),
  fc.tuple(identArb, fc.array(identArb, { maxLength: 3 }), exprArb(), docArb).map(([name, params, body, doc]): A.Decl => ({ kind: "Def", name, params, body, doc, span })),
  { weight: 3, arbitrary: ruleArb },
  fc
    .tuple(
      stringArb,
      phaseArb,
      objectArb,
      fc.array(expectationArb, { minLength: 1, maxLength: 3 }).filter((xs) => xs.filter((x) => x.kind === "ExpectDecision").length <= 1),
      docArb,
    )
    .map(([name, phase, input, expects, doc]): A.Decl => ({ kind: "Test", name, given: [], phase, input, expects, doc, span })),
);

/** Whole files; `comments` holds the doc comments exactly as `printPolicy` writes them. */
export const policyFileArb: fc.Arbitrary<A.PolicyFile> = fc
  .tuple(fc.option(fc.tuple(qnameArb, docArb), { nil: null, freq: 8 }), fc.array(declArb, { maxLength: 6 }))
  .map(([pkg, decls]) => {
    const packageDecl: A.PackageDecl | null = pkg ? { kind: "Package", name: pkg[0], doc: pkg[1], span } : null;
    const docs = [packageDecl, ...decls].flatMap((d) => (d ? docLines(d.doc) : []));
    const comments: A.Comment[] = docs.map((text) => ({ kind: "Comment", text, doc: true, span }));
    return { kind: "File", path: "generated.policy", package: packageDecl, decls, comments, span };
  });

/** Valid source texts, with the AST they denote (up to spans and parentheses). */
export const policySourceArb: fc.Arbitrary<{ ast: A.PolicyFile; source: string }> = policyFileArb.map((ast) => ({ ast, source: printPolicy(ast) }));

/** A copy of an AST (or part) without `Paren` nodes: printed text adds parentheses. Templates' `raw` is dropped too. */
export function stripParens(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripParens);
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  if (o.kind === "Paren") return stripParens(o.expr);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!(o.kind === "Template" && k === "raw")) out[k] = stripParens(v);
  return out;
}
