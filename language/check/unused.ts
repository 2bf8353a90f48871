// Unused declarations are warnings, not errors: they are harmless but usually a mistake (a
// const renamed in one place, a rule that lost its helper). Names starting with `_` are exempt,
// as an author's way of saying "on purpose".
import type { ConstDecl, DefDecl } from "../ast.ts";
import type { Context } from "./context.ts";

/** Reports unused consts (W001), defs (W002), imports (W003) and bound variables or parameters (W005). */
export function reportUnused(ctx: Context): void {
  for (const pkg of ctx.packages.values()) {
    for (const v of pkg.values.values()) {
      const d = v.decl as ConstDecl | DefDecl;
      if (ctx.used.has(v.id) || d.name.name.startsWith("_")) continue;
      if (d.kind === "Const") ctx.report(v.file, "W001", d.name.span, `const '${d.name.name}' is never used`, "remove it, or refer to it from a rule");
      else ctx.report(v.file, "W002", d.name.span, `def '${d.name.name}' is never used`, "remove it, or call it from a rule");
    }
  }
  for (const scope of ctx.scopes.values()) {
    for (const imp of scope.imports.values()) {
      if (!imp.used) ctx.report(scope.file, "W003", imp.decl.span, `import '${imp.package}' is never used`, "remove the import");
    }
  }
  for (const b of ctx.bound) {
    if (ctx.usedLocals.has(b.ident) || b.ident.name.startsWith("_")) continue;
    ctx.report(b.file, "W005", b.ident.span, `${b.what} '${b.ident.name}' is never used`, `use it, or rename it '_${b.ident.name}' to say it is unused on purpose`);
  }
}
