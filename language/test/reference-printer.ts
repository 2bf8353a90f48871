// A deliberately naive printer for tests: every compound expression is parenthesised, so the
// text parses back to the same tree up to `Paren` nodes (see `stripParens`). The real
// formatter is judged against the parser with the help of this one.
import type * as A from "../ast.ts";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A string literal for `value`, escaping quotes, backslashes and control characters (and braces when `template`). */
export function quote(value: string, template = false): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (template && (ch === "{" || ch === "}")) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff)) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function postfixable(e: A.Expr): boolean {
  return e.kind === "Name" || e.kind === "Member" || e.kind === "Index" || e.kind === "Call" || e.kind === "List" || e.kind === "Object" || e.kind === "Paren" || e.kind === "String" || e.kind === "Bool" || e.kind === "Null";
}

/** A member/index chain as written (effect targets and payload paths must not be parenthesised). */
export function printPath(e: A.Expr): string {
  if (e.kind === "Member") return `${printPath(e.object)}.${e.property.name}`;
  if (e.kind === "Index") return `${printPath(e.object)}[${printExpr(e.index)}]`;
  return printExpr(e);
}

/** An expression, fully parenthesised. */
export function printExpr(e: A.Expr): string {
  switch (e.kind) {
    case "Number":
    case "Duration":
      return e.raw;
    case "String":
      return quote(e.value);
    case "Bool":
      return String(e.value);
    case "Null":
      return "null";
    case "Regex":
      return `/${e.pattern}/${e.flags}`;
    case "Name":
      return e.name;
    case "List":
      return `[${e.items.map(printExpr).join(", ")}]`;
    case "Object":
      return `{${e.entries.map((en) => `${en.quoted || !IDENT.test(en.key) ? quote(en.key) : en.key}: ${printExpr(en.value)}`).join(", ")}}`;
    case "Member":
    case "Index":
    case "Call": {
      const obj = e.kind === "Call" ? e.callee : e.object;
      const base = postfixable(obj) ? printExpr(obj) : `(${printExpr(obj)})`;
      if (e.kind === "Member") return `${base}.${e.property.name}`;
      if (e.kind === "Index") return `${base}[${printExpr(e.index)}]`;
      return `${base}(${e.args.map(printExpr).join(", ")})`;
    }
    case "Unary":
      return e.op === "not" ? `(not ${printExpr(e.operand)})` : `(-${printExpr(e.operand)})`;
    case "Binary":
      return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`;
    case "Quantifier": {
      const head = `${e.quantifier} ${e.vars.map((v) => v.name).join(" then ")} in ${printExpr(e.collection)}`;
      if (e.body === null) return `(${head})`;
      return `(${head}${e.quantifier === "count" ? " where " : ": "}${printExpr(e.body)})`;
    }
    case "Paren":
      return `(${printExpr(e.expr)})`;
  }
}

/** A message template. */
export function printTemplate(t: A.Template): string {
  const body = t.parts.map((p) => (typeof p === "string" ? quote(p, true).slice(1, -1) : `{${printExpr(p)}}`)).join("");
  return `"${body}"`;
}

function qname(q: A.QualifiedName): string {
  return q.parts.map((p) => p.name).join(".");
}

function printEffect(e: A.Effect): string {
  switch (e.kind) {
    case "Deny":
      return e.message ? `deny ${printTemplate(e.message)}` : "deny";
    case "Warn":
      return e.message ? `warn ${printTemplate(e.message)}` : "warn";
    case "Allow":
      return "allow";
    case "RequireApproval":
      return ["require_approval", e.message ? printTemplate(e.message) : "", e.from ? `from ${quote(e.from.value)}` : ""].filter((s) => s !== "").join(" ");
    case "Redact": {
      const pattern = e.pattern.kind === "Regex" ? printExpr(e.pattern) : qname(e.pattern);
      return `redact ${pattern} in ${printPath(e.target)}${e.replacement ? ` with ${quote(e.replacement.value)}` : ""}`;
    }
    case "Set":
      return `set ${printPath(e.target)} = ${printExpr(e.value)}`;
  }
}

function printMeta(m: A.RuleMeta): string {
  switch (m.kind) {
    case "Severity":
      return `severity ${m.level.name}`;
    case "Controls":
      return `controls ${m.values.map((v) => quote(v.value)).join(", ")}`;
    case "Tags":
      return `tags ${m.values.map((v) => quote(v.value)).join(", ")}`;
    case "Owner":
      return `owner ${quote(m.value.value)}`;
  }
}

function printExpectation(x: A.Expectation): string {
  switch (x.kind) {
    case "ExpectDecision":
      return `expect ${x.decision}${x.by.length ? ` by ${x.by.map(qname).join(", ")}` : ""}`;
    case "ExpectWarn":
      return `expect warn by ${x.by.map(qname).join(", ")}`;
    case "ExpectPayload":
      return `expect payload.${printPath(x.path)} == ${printExpr(x.value)}`;
  }
}

function phases(ps: readonly A.Ident[]): string {
  return ps.length ? ` on ${ps.map((p) => p.name).join(", ")}` : "";
}

function printDecl(d: A.Decl | A.PackageDecl): string {
  switch (d.kind) {
    case "Package":
      return `package ${qname(d.name)}`;
    case "Import":
      return `import ${qname(d.path)}${d.alias ? ` as ${d.alias.name}` : ""}`;
    case "Default":
      return `default ${d.value}${phases(d.phases)}`;
    case "OnError":
      return `on_error ${d.value}${phases(d.phases)}`;
    case "Const":
      return `${d.param ? "param" : "const"} ${d.name.name}${d.type ? `: ${d.type.words.map((w) => w.name).join(" ")}` : ""} = ${printExpr(d.value)}`;
    case "Configure":
      return `configure ${qname(d.package)} {\n${d.bindings.map((b) => `  ${b.name.name} = ${printExpr(b.value)}`).join("\n")}\n}`;
    case "Def":
      return `def ${d.name.name}(${d.params.map((p) => p.name).join(", ")}) = ${printExpr(d.body)}`;
    case "Rule": {
      const lines = [`rule ${d.name.name} on ${d.phases.map((p) => p.name).join(", ")} {`];
      for (const m of d.meta) lines.push(`  ${printMeta(m)}`);
      if (d.when) lines.push(`  when ${printExpr(d.when)}`);
      if (d.unless) lines.push(`  unless ${printExpr(d.unless)}`);
      if (d.braced) lines.push(`  then {`, d.effects.map((e) => `    ${printEffect(e)}`).join(",\n"), "  }");
      else lines.push(`  then ${printEffect(d.effects[0])}`);
      lines.push("}");
      return lines.join("\n");
    }
    case "Test":
      return [`test ${quote(d.name.value)} {`, ...d.given.map((b) => `  with ${b.name.name} = ${printExpr(b.value)}`), `  on ${d.phase.name} ${printExpr(d.input)}`, ...d.expects.map((x) => `  ${printExpectation(x)}`), "}"].join("\n");
  }
}

/** The `///` lines of a doc, as the parser reads them back (one space after the slashes). */
export function docLines(doc: A.Doc): string[] {
  return doc === null ? [] : doc.split("\n").map((l) => `/// ${l}`);
}

/** A whole file: the package line, then each declaration with its doc comment, a blank line between. */
export function printPolicy(file: A.PolicyFile): string {
  const all: (A.Decl | A.PackageDecl)[] = [...(file.package ? [file.package] : []), ...file.decls];
  return `${all.map((d) => [...docLines(d.doc), printDecl(d)].join("\n")).join("\n\n")}\n`;
}

// Precedence levels of LANGUAGE.md, loosest first; quantifiers bind loosest of all (their
// body runs to the end), atoms and postfix steps tightest.
function level(e: A.Expr): number {
  switch (e.kind) {
    case "Quantifier":
      return 0;
    case "Binary":
      if (e.op === "or") return 1;
      if (e.op === "and") return 2;
      if (e.op === "+" || e.op === "-") return 5;
      if (e.op === "*" || e.op === "/" || e.op === "%") return 6;
      return 4;
    case "Unary":
      return e.op === "not" ? 3 : 7;
    default:
      return 8;
  }
}

/**
 * An expression with parentheses only where precedence needs them (a second reference,
 * independent of the parser's folding): `a or b and c`, `-a * b`, `(a < b) == c`.
 */
export function printExprMinimal(e: A.Expr): string {
  const wrap = (x: A.Expr, needs: boolean) => (needs ? `(${printExprMinimal(x)})` : printExprMinimal(x));
  switch (e.kind) {
    case "List":
      return `[${e.items.map(printExprMinimal).join(", ")}]`;
    case "Object":
      return `{${e.entries.map((en) => `${en.quoted || !IDENT.test(en.key) ? quote(en.key) : en.key}: ${printExprMinimal(en.value)}`).join(", ")}}`;
    case "Member":
    case "Index":
    case "Call": {
      const obj = e.kind === "Call" ? e.callee : e.object;
      const base = wrap(obj, level(obj) < 8 || obj.kind === "Number" || obj.kind === "Duration");
      if (e.kind === "Member") return `${base}.${e.property.name}`;
      if (e.kind === "Index") return `${base}[${printExprMinimal(e.index)}]`;
      return `${base}(${e.args.map(printExprMinimal).join(", ")})`;
    }
    case "Unary":
      return e.op === "not" ? `not ${wrap(e.operand, level(e.operand) < 3)}` : `-${wrap(e.operand, level(e.operand) < 7)}`;
    case "Binary": {
      const p = level(e);
      const l = level(e.left);
      const r = level(e.right);
      return `${wrap(e.left, l < p || (p === 4 && l === 4))} ${e.op} ${wrap(e.right, r <= p)}`;
    }
    case "Quantifier": {
      const head = `${e.quantifier} ${e.vars.map((v) => v.name).join(" then ")} in ${wrap(e.collection, level(e.collection) < 5)}`;
      if (e.body === null) return head;
      return `${head}${e.quantifier === "count" ? " where " : ": "}${printExprMinimal(e.body)}`;
    }
    case "Paren":
      return `(${printExprMinimal(e.expr)})`;
    default:
      return printExpr(e);
  }
}
