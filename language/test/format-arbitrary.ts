// Random policy texts for the formatter's properties: trees built with fast-check, printed at a
// random width (so lines break in different places), with comments dropped in between lines and
// at their ends, metadata in any order, effects braced or not.
import fc from "fast-check";
import type { BinaryOp, Expr, Ident } from "../ast.ts";
import { formatExpr } from "../format.ts";
import { withParens } from "../precedence.ts";
import { quoteString } from "../quote.ts";
import { fileStart as span } from "../span.ts";

const ident = (name: string): Ident => ({ kind: "Ident", name, span });
const nameArb = fc.constantFrom("tool", "principal", "session", "meta", "MAX", "TRUSTED", "x", "y");
const fieldArb = fc.constantFrom("name", "args", "amount", "roles", "from", "in", "to", "calls", "text");

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.constantFrom("0", "12", "3.5", "0.50", "1e3", "2.5E-3").map((raw): Expr => ({ kind: "Number", value: Number(raw), raw, span })),
  fc.constantFrom("30s", "15m", "250ms", "7d").map((raw): Expr => ({ kind: "Duration", ms: 0, raw, span })),
  fc.string({ maxLength: 6, unit: fc.constantFrom("a", "b", " ", '"', "\\", "\n", "\t", "{", "}", "é", "\u0001") }).map((value): Expr => ({ kind: "String", value, span })),
  fc.boolean().map((value): Expr => ({ kind: "Bool", value, span })),
  fc.constant<Expr>({ kind: "Null", span }),
  nameArb.map((name): Expr => ({ kind: "Name", name, span })),
  fc.constantFrom(["^a+$", "i"], ["\\/etc\\/", ""], ["[/]x", "m"]).map(([pattern, flags]): Expr => ({ kind: "Regex", pattern, flags, span })),
);

const binOps: BinaryOp[] = ["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "matches", "like", "starts with", "ends with", "+", "-", "*", "/", "%"];

/** Expressions of every form, parenthesised only where the grammar needs it. */
export const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(tie("e"), fieldArb).map(([o, p]): Expr => ({ kind: "Member", object: o, property: ident(p), span })),
    fc.tuple(tie("e"), tie("e")).map(([o, i]): Expr => ({ kind: "Index", object: o, index: i, span })),
    fc.tuple(fc.constantFrom("lower", "len", "common.f"), fc.array(tie("e"), { maxLength: 3 })).map(([f, args]): Expr => {
      const parts = f.split(".");
      const callee = parts.slice(1).reduce<Expr>((o, p) => ({ kind: "Member", object: o, property: ident(p), span }), { kind: "Name", name: parts[0], span });
      return { kind: "Call", callee, args, span };
    }),
    fc.array(tie("e"), { maxLength: 4 }).map((items): Expr => ({ kind: "List", items, span })),
    fc.array(fc.tuple(fc.constantFrom("a", "from", "x-y", "", "tool"), tie("e")), { maxLength: 3 }).map((es): Expr => ({
      kind: "Object",
      entries: es.map(([key, value]) => ({ key, keySpan: span, quoted: false, value })),
      span,
    })),
    fc.tuple(fc.constantFrom("not" as const, "-" as const), tie("e")).map(([op, operand]): Expr => ({ kind: "Unary", op, operand, span })),
    fc.tuple(fc.constantFrom(...binOps), tie("e"), tie("e")).map(([op, left, right]): Expr => ({ kind: "Binary", op, left, right, opSpan: span, span })),
    fc.tuple(fc.constantFrom("any" as const, "all" as const, "count" as const), fc.integer({ min: 1, max: 3 }), tie("e"), fc.option(tie("e"), { nil: null })).map(([q, n, coll, body]): Expr => {
      const quantifier = q === "any" ? q : q;
      const vars = (quantifier === "any" ? ["a", "b", "c"].slice(0, n) : ["c"]).map(ident);
      return { kind: "Quantifier", quantifier, vars, collection: coll, body: quantifier === "count" ? body : (body ?? { kind: "Bool", value: true, span }), span };
    }),
    tie("e").map((e): Expr => ({ kind: "Paren", expr: e, span })),
  ),
})).e;

/** An expression as text, broken for a width between 20 and 120. */
export const exprTextArb: fc.Arbitrary<string> = fc.tuple(exprArb, fc.integer({ min: 20, max: 120 })).map(([e, w]) => formatExpr(withParens(e), w));

const commentArb = fc.constantFrom("// note", "/* block */", "/* two\n   lines */", "/// doc line", "//", "// a } brace", "/*x*/");
const pathArb = fc.constantFrom("output.text", "tool.args.body", "tool.args.amount", "tool.result[0]");

const metaArb = fc.constantFrom('severity high', 'controls "soc2:CC6.1", "pci-dss-4.0:7.2.1"', 'tags "pii"', 'owner "payments-team"', "severity low");
const msgArb = fc.constantFrom('"blocked"', '"Refund of {tool.args.amount} exceeds {MAX}"', '"brace \\{ literal"', '"a } b"');
const effectArb = fc.oneof(
  msgArb.map((m) => `deny ${m}`),
  fc.constant("deny"),
  msgArb.map((m) => `require_approval ${m} from "supervisor"`),
  fc.constant("allow"),
  msgArb.map((m) => `warn ${m}`),
  pathArb.map((p) => `redact pii.email in ${p} with "[EMAIL]"`),
  pathArb.map((p) => `redact /\\d{4}/ in ${p}`),
  fc.tuple(pathArb, exprTextArb).map(([p, e]) => `set ${p} = ${e}`),
);

const ruleArb = fc
  .tuple(
    fc.constantFrom("r1", "r2", "large_refund"),
    fc.constantFrom("tool_call", "output", "input, output"),
    fc.array(metaArb, { maxLength: 4 }),
    fc.option(exprTextArb, { nil: null }),
    fc.option(exprTextArb, { nil: null }),
    fc.array(effectArb, { minLength: 1, maxLength: 3 }),
    fc.boolean(),
  )
  .map(([name, phases, meta, when, unless, effects, braced]) => {
    const lines = [`rule ${name} on ${phases} {`, ...meta.map((m) => `  ${m}`)];
    if (when !== null) lines.push(`  when ${when}`);
    if (unless !== null) lines.push(`  unless ${unless}`);
    if (effects.length === 1 && !braced) lines.push(`  then ${effects[0]}`);
    else lines.push(`  then {`, ...effects.map((e) => `    ${e}`), "  }");
    lines.push("}");
    return lines.join("\n");
  });

const testArb = fc
  .tuple(fc.string({ maxLength: 8 }), exprTextArb, fc.constantFrom("expect deny", "expect allow by r1, acme.r2", "expect warn by r1", "expect payload.tool.args[0].x == 3", "expect require_approval"))
  .map(([n, input, x]) => `test ${quoteString(n)} {\n  on tool_call { tool: ${input} }\n  ${x}\n}`);

const declArb = fc.oneof(
  fc.constantFrom("import acme.common", "import acme.common as c", "default deny", "default allow on tool_call, output", "on_error deny", "on_error allow on output"),
  exprTextArb.map((e) => `const MAX = ${e}`),
  fc.tuple(fc.constantFrom("f()", "g(a)", "h(a, b)"), exprTextArb).map(([h, e]) => `def ${h} = ${e}`),
  ruleArb,
  testArb,
);

/**
 * A whole file: a package, declarations, and comments inserted between lines or at their ends
 * (never inside a string: the lines of a declaration are cut only where the printer broke them).
 */
export const policyTextArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(declArb, { maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.boolean(), commentArb), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 3 }))
  .map(([decls, comments, blanks]) => {
    const lines = ["package acme.test", ...decls.flatMap((d) => ["", ...d.split("\n")])];
    for (const b of blanks) lines.splice(b % (lines.length + 1), 0, "");
    for (const [pos, trailing, c] of comments) {
      const i = pos % (lines.length + 1);
      // A line comment may end a line only where nothing else follows on it; a block comment anywhere.
      if (trailing && i < lines.length && lines[i].trim() !== "" && !lines[i].includes("//") && !lines[i].includes("/*")) lines[i] = `${lines[i]} ${c}`;
      else lines.splice(i, 0, c);
    }
    return `${lines.join("\n")}\n`;
  });
