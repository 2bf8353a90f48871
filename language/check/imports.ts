// Imports: each file binds aliases to packages (`import acme.common as common`; the alias
// defaults to the last segment). Aliases are per file; the packages they name must exist among
// the files checked together, and packages may not import each other in a cycle (a package's
// declarations must be understandable without first understanding its own importers).
import type { PolicyFile } from "../ast.ts";
import { didYouMean } from "./suggest.ts";
import { cycles } from "./graph.ts";
import { reservedMeaning } from "./scope.ts";
import { where, type Context } from "./context.ts";

/** Resolves every file's imports into its scope, reporting E205, E203, E207, E603 and E601. */
export function resolveImports(ctx: Context, files: readonly PolicyFile[]): void {
  for (const file of files) {
    const scope = ctx.scopes.get(file);
    if (scope === undefined) continue;
    const pkg = ctx.packages.get(scope.pkg);
    let seenOther = false;
    for (const d of file.decls) {
      if (d.kind !== "Import") {
        seenOther = true;
        continue;
      }
      if (seenOther) ctx.report(file, "E603", d.span, "imports must come before the other declarations", "move this import up, under the 'package' line");
      const target = d.path.parts.map((p) => p.name).join(".");
      const aliasIdent = d.alias ?? d.path.parts[d.path.parts.length - 1];
      const alias = aliasIdent.name;
      if (!ctx.packages.has(target)) {
        ctx.report(file, "E205", d.path.span, `unknown package '${target}'`, didYouMean(target, ctx.packages.keys()) ?? "check the package name, and pass the file that declares it to the checker");
        continue;
      }
      const prev = scope.imports.get(alias);
      if (prev !== undefined) {
        ctx.report(file, "E203", aliasIdent.span, `alias '${alias}' is bound twice`, `rename one of them with 'as'; the other is at ${where(file, prev.span)}`);
        continue;
      }
      const clash = pkg?.values.get(alias);
      const meaning = clash !== undefined ? `the ${clash.decl.kind === "Const" ? "const" : "def"} '${alias}' of this package` : reservedMeaning(alias);
      if (meaning !== undefined) ctx.report(file, "E207", aliasIdent.span, `import alias '${alias}' shadows ${meaning}`, `choose another alias: 'import ${target} as ${alias}_pkg'`);
      scope.imports.set(alias, { alias, package: target, decl: d, span: aliasIdent.span, used: false });
      pkg?.imports.add(target);
    }
  }
  // Cycles among packages, reported once each, at an import of the cycle in the first file.
  const names = [...ctx.packages.keys()];
  const index = new Map(names.map((n, i) => [n, i]));
  const succ = names.map((n) => [...(ctx.packages.get(n)?.imports ?? [])].map((m) => index.get(m) as number));
  for (const cycle of cycles(names.length, (v) => succ[v])) {
    const members = new Set(cycle.map((v) => names[v]));
    const report = findCycleImport(ctx, files, members);
    if (report === undefined) continue;
    const path = cyclePath(ctx, names[cycle[0]], members);
    ctx.report(report.file, "E601", report.span, `import cycle: ${path.join(" -> ")}`, "move what both packages need into a third package that imports neither");
  }
}

function findCycleImport(ctx: Context, files: readonly PolicyFile[], members: ReadonlySet<string>): { file: PolicyFile; span: PolicyFile["span"] } | undefined {
  for (const file of files) {
    const scope = ctx.scopes.get(file);
    if (scope === undefined || !members.has(scope.pkg)) continue;
    for (const imp of scope.imports.values()) if (members.has(imp.package)) return { file, span: imp.decl.span };
  }
  return undefined;
}

/** A readable cycle `a -> b -> a`, following imports inside the cycle from `start`. */
function cyclePath(ctx: Context, start: string, members: ReadonlySet<string>): string[] {
  const path = [start];
  let cur = start;
  for (let i = 0; i <= members.size; i++) {
    const next = [...(ctx.packages.get(cur)?.imports ?? [])].find((m) => members.has(m) && (m === start || !path.includes(m)));
    if (next === undefined) break;
    path.push(next);
    if (next === start) break;
    cur = next;
  }
  return path;
}
