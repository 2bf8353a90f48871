// `palisade report`: compliance reports from the audit log (HTML, JSON, OSCAL), their
// verification, and control coverage. Arguments are parsed here and failures mapped to exit
// codes at this edge: 0 ok, 1 verification failed, 2 bad arguments or unusable input.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { AuditError } from "../audit/errors.ts";
import { AuditLog } from "../audit/log.ts";
import { NoteError, parseSignerKey } from "../audit/note.ts";
import { StoreError, openStore } from "../audit/store.ts";
import { ComplianceError, FRAMEWORK_NAMES, REPO_ROOT, buildReport, coverage, extractReport, findCatalogue, givenRules, labelOf, planFileFor, scopeOf, toAssessmentPlan, toHtml, toOscal, verifyReport } from "../compliance/index.ts";
import type { Catalogue, ReportTestRun } from "../compliance/index.ts";
import { CONFIG_FILE } from "../environments/config.ts";
import { loadPolicySet, runTests } from "../runtime/index.ts";
import type { PolicySet } from "../runtime/index.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { FlagSpec, ParsedArgs } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";
import { readPolicySources } from "./files.ts";
import { hasErrors, printDiagnostics } from "./policies.ts";

const DEFAULT_DB = "palisade-audit.db";
const FORMATS = ["html", "json", "oscal", "oscal-plan"] as const;
type Format = (typeof FORMATS)[number];

const frameworks = FRAMEWORK_NAMES.join("|");

const subHelp = {
  build: `usage: palisade report --framework NAME [--from T] [--to T] [--format html|json|oscal] [options]

Builds a compliance evidence report for one framework from the audit log: which of the
framework's units it addresses and which are out of scope; each control's status (operating,
in force and not triggered, exceptions, no evidence, not covered), what it did and how often its
rules were evaluated and triggered; every exception with its evidence; the changes to the
policies in force, pack test runs and drift alerts (spec/compliance-evidence.md). The report
embeds the signed checkpoint it was built against and an inclusion proof for every entry it
cites. An empty log still yields a report.

options:
  --framework NAME  ${frameworks} (or an alias from spec/controls)
  --from T          start of the period, inclusive: an ISO-8601 date or instant
                    (default: 30 days before --to)
  --to T            end of the period, exclusive (default: now)
  --format F        html (default: one printable self-contained file), json, oscal (an
                    OSCAL 1.1.3 assessment-results document; with --out FILE its assessment
                    plan is written beside it as FILE.plan.json), or oscal-plan (the plan)
  --db LOCATION     the audit log: a SQLite file or a postgres:// URL (default: ${DEFAULT_DB})
  --key FILE        the log's checkpoint signing key; with it a fresh checkpoint is signed,
                    without it the newest stored one is used (default: <db>.key when present)
  --policies PATH   the policies whose rules count for coverage and activity (repeatable;
                    default: the framework's pack in stdlib-policies/). Give the policies
                    your agents run: decisions under their digest count every rule as in
                    force; under other digests, only rules (or packages) the log shows acting
  --environments F  the environments config whose pipeline order promotions are judged by
                    (a promotion or build that skips one is an exception; default:
                    ${CONFIG_FILE} here, when it exists)
  --run-tests       run the policies' test blocks now and include the results
  --out FILE        write the report to FILE (default: standard output)
  -h, --help        show this help

exit status: 0 written, 2 bad arguments, unusable log or policies that do not check`,
  verify: `usage: palisade report verify FILE (--vkey KEY | --db LOCATION) [--policies PATH] [--json]

Re-checks a report written by 'palisade report' (HTML, JSON or OSCAL): the checkpoint's
signature under a verifier key you trust (never only the key the report names), every cited
entry's inclusion proof in that checkpoint, every claim about an entry against the entry, and
each control's status against its evidence, the controls and scope against the catalogue, and
that an HTML page or OSCAL document is exactly the rendering of the report it embeds (so what
you read is what verified). With --db, also every entry of the log below the
checkpoint's size: each leaf hash is recomputed from the entry's bytes into the signed root,
and the evidence is recomputed from them. It prints what it checked.

options:
  --vkey KEY      a verifier key the checkpoint must be signed by (repeatable): the key text
                  or a file holding it
  --db LOCATION   the audit log to compare with (SQLite file or postgres:// URL); its key is
                  trusted from <db>.vkey beside a SQLite file (else the one <db>.key signs with)
  --policies PATH the policies the report should have been built with (repeatable): their
                  digest and rules must be the report's
  --json          print the outcome as JSON
  -h, --help      show this help

exit status: 0 the report verifies, 1 it does not (each problem is named), 2 bad arguments, no
trusted key or an unreadable file`,
  coverage: `usage: palisade report coverage --framework NAME [--policies PATH...] [--json]

States which of the framework's units its catalogued controls address and lists the rest as
out of scope; then, of the catalogued controls, those no loaded rule maps to, and those fed by
operational facts alone (drift alerts, checkpoints, promotions) rather than by rules.

options:
  --framework NAME  ${frameworks}
  --policies PATH   the policies to map (repeatable; default: the framework's pack)
  --json            print the coverage as JSON
  -h, --help        show this help

exit status: 0 listed, 2 bad arguments or policies that do not check`,
};

const help = `usage: palisade report [verify FILE | coverage] [options]

Compliance reports from the audit log, and their verification.

  palisade report --framework NAME ...   build a report (HTML, JSON or OSCAL)
  palisade report verify FILE --db LOG   re-check a report's signature, proofs and counts
  palisade report coverage --framework NAME   scope, and controls no loaded rule maps to

${subHelp.build}

${subHelp.verify}

${subHelp.coverage}
`;

const flags: Record<keyof typeof subHelp, Record<string, FlagSpec>> = {
  build: {
    framework: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    format: { type: "string" },
    db: { type: "string" },
    key: { type: "string" },
    policies: { type: "string", multiple: true },
    environments: { type: "string" },
    "run-tests": { type: "boolean" },
    out: { type: "string" },
  },
  verify: { db: { type: "string" }, vkey: { type: "string", multiple: true }, policies: { type: "string", multiple: true }, json: { type: "boolean" } },
  coverage: { framework: { type: "string" }, policies: { type: "string", multiple: true }, json: { type: "boolean" } },
};

const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

function instant(args: ParsedArgs, name: string, fallback: Date): Date {
  const v = stringFlag(args, name);
  if (v === undefined) return fallback;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (!INSTANT.test(v) || Number.isNaN(d.getTime())) throw new UsageError(`option '--${name}' must be an ISO-8601 date or instant with a time zone (e.g. 2026-11-01 or 2026-11-01T09:00:00Z), got '${v}'`);
  return d;
}

function catalogueOf(args: ParsedArgs): Catalogue {
  const name = stringFlag(args, "framework");
  if (name === undefined) throw new UsageError(`option '--framework' is required (${frameworks})`);
  const c = findCatalogue(name);
  if (!c) throw new UsageError(`unknown framework '${name}': expected one of ${frameworks}`);
  return c;
}

function shown(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}

/** Loads `--policies` (default: the framework's pack); prints diagnostics and throws when they do not check. */
function policiesOf(args: ParsedArgs, catalogue: Catalogue, io: CommandIO): { set: PolicySet; paths: string[] } {
  const given = args.flags.policies as string[] | undefined;
  if (!given && catalogue.pack === undefined) throw new UsageError(`the ${catalogue.framework} catalogue names no pack: pass --policies`);
  return loadPolicies(given ?? [shown(resolve(REPO_ROOT, catalogue.pack as string), io.cwd)], io);
}

/**
 * The environments in pipeline order, from `--environments` or the config in the working folder;
 * null when there is none. Only the order is read (the names, as the file lists them): a report
 * needs no keys or bundles, so it does not require them to be at hand.
 */
function pipelineOf(args: ParsedArgs, io: CommandIO): string[] | null {
  const given = stringFlag(args, "environments");
  const file = resolve(io.cwd, given ?? CONFIG_FILE);
  if (given === undefined && !existsSync(file)) return null;
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ComplianceError("report/environments", `cannot read the environments config '${file}': ${err instanceof Error ? err.message : String(err)}`, `name a ${CONFIG_FILE} with --environments`);
  }
  const list = (config as { environments?: unknown } | null)?.environments;
  const names = Array.isArray(list) ? list.map((e) => (e as { name?: unknown } | null)?.name) : [];
  if (names.length === 0 || !names.every((n): n is string => typeof n === "string")) {
    throw new ComplianceError("report/environments", `'${file}' lists no environments with names`, "it must hold an 'environments' list, each with a 'name', in pipeline order");
  }
  return names;
}

/** Loads policy files; prints diagnostics and throws when they do not check. */
function loadPolicies(paths: string[], io: CommandIO): { set: PolicySet; paths: string[] } {
  const read = readPolicySources(paths, io.cwd);
  if (read.diagnostics.length > 0) {
    printDiagnostics(read.diagnostics, read.sources, io, "human");
    throw new ComplianceError("report/policies", "the policies cannot be read");
  }
  const { policySet, diagnostics } = loadPolicySet(read.sources);
  if (!policySet || hasErrors(diagnostics)) {
    printDiagnostics(diagnostics, read.sources, io, "human");
    throw new ComplianceError("report/policies", "the policies do not check; fix the errors above");
  }
  return { set: policySet, paths };
}

const isUrl = (db: string) => /^postgres(ql)?:\/\//i.test(db);

function dbOf(value: string | undefined, io: CommandIO): string {
  const db = value ?? DEFAULT_DB;
  if (db === "") throw new UsageError("option '--db' must not be empty");
  return isUrl(db) ? db : resolve(io.cwd, db);
}

function signingKey(args: ParsedArgs, db: string, io: CommandIO): string | undefined {
  const given = stringFlag(args, "key");
  const path = given !== undefined ? resolve(io.cwd, given) : isUrl(db) ? undefined : `${db}.key`;
  if (path === undefined || !existsSync(path)) {
    if (given !== undefined) throw new UsageError(`cannot read the signing key '${given}': no such file`);
    return undefined;
  }
  const text = readFileSync(path, "utf8").trim();
  try {
    parseSignerKey(text);
  } catch {
    throw new StoreError("audit/bad-key", `'${path}' does not hold a checkpoint signing key`, "it must hold one PRIVATE+KEY+<name>+<id>+<key> line");
  }
  return text;
}

/**
 * The verifier keys `report verify` trusts: each `--vkey` (the key, or a file holding it), and
 * with a SQLite `--db` the log's key file beside it (`<db>.vkey`, else the key `<db>.key` signs
 * with). Never the key the report names, nor one the database stores.
 */
function trustedKeys(args: ParsedArgs, db: string | undefined, io: CommandIO): { keys: string[]; from: string[] } {
  const keys: string[] = [];
  const from: string[] = [];
  for (const v of (args.flags.vkey as string[] | undefined) ?? []) {
    const path = resolve(io.cwd, v);
    const isFile = !v.includes("+") && existsSync(path);
    keys.push(isFile ? readFileSync(path, "utf8").trim() : v.trim());
    from.push(isFile ? path : "--vkey");
  }
  if (db !== undefined && !isUrl(db)) {
    if (existsSync(`${db}.vkey`)) {
      keys.push(readFileSync(`${db}.vkey`, "utf8").trim());
      from.push(`${db}.vkey`);
    } else if (existsSync(`${db}.key`)) {
      try {
        keys.push(parseSignerKey(readFileSync(`${db}.key`, "utf8").trim()).vkey);
        from.push(`${db}.key`);
      } catch {
        throw new StoreError("audit/bad-key", `'${db}.key' does not hold a checkpoint signing key`, "it must hold one PRIVATE+KEY+<name>+<id>+<key> line, or put the verifier key in <db>.vkey");
      }
    }
  }
  return { keys, from };
}

async function openLog(db: string, key: string | undefined): Promise<AuditLog> {
  const store = await openStore(db, { create: false });
  try {
    return await AuditLog.open(store, key === undefined ? {} : { signingKey: key });
  } catch (err) {
    await store.close();
    throw err;
  }
}

const run: Record<keyof typeof subHelp, (args: ParsedArgs, io: CommandIO) => Promise<number>> = {
  async build(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const catalogue = catalogueOf(args);
    const to = instant(args, "to", new Date());
    const from = instant(args, "from", new Date(to.getTime() - 30 * 86_400_000));
    if (from.getTime() >= to.getTime()) throw new UsageError(`the period is empty: --from ${from.toISOString()} is not before --to ${to.toISOString()}`);
    const format = (stringFlag(args, "format") ?? "html") as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`option '--format' must be html, json, oscal or oscal-plan, got '${format}'`);
    const out = stringFlag(args, "out");
    if (out === "") throw new UsageError("option '--out' must not be empty");
    const { set, paths } = policiesOf(args, catalogue, io);
    const testRuns: ReportTestRun[] = [];
    if (args.flags["run-tests"] === true) {
      const results = runTests(set);
      const failures = results.filter((r) => !r.passed).map((r) => r.name);
      testRuns.push({ pack: paths.join(" "), policy_digest: set.digest, time: new Date().toISOString(), passed: results.length - failures.length, failed: failures.length, failures });
    }
    const db = dbOf(stringFlag(args, "db"), io);
    const key = signingKey(args, db, io);
    const log = await openLog(db, key);
    let report;
    try {
      report = await buildReport({
        log,
        catalogue,
        from,
        to,
        rules: givenRules(set.program.rules),
        policies: { paths, digest: set.digest },
        testRuns,
        pipeline: pipelineOf(args, io),
        sign: key !== undefined,
      });
    } finally {
      await log.close();
    }
    const plan = out === undefined ? "assessment-plan.json" : basename(planFileFor(out));
    const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
    const text = format === "html" ? toHtml(report) : format === "json" ? json(report) : format === "oscal" ? json(toOscal(report, { planHref: plan })) : json(toAssessmentPlan(report));
    if (out === undefined) io.stdout(text);
    else {
      writeFileSync(resolve(io.cwd, out), text);
      if (format === "oscal") writeFileSync(resolve(io.cwd, planFileFor(out)), json(toAssessmentPlan(report)));
      const s = report.summary;
      io.stderr(
        `palisade report: wrote ${out}${format === "oscal" ? ` and its assessment plan ${planFileFor(out)}` : ""} (${catalogue.framework}: ${s.controls} controls in ${report.scope.addressed.length} of the framework's ${report.scope.addressed.length + report.scope.out_of_scope.length} ${report.scope.units_name}; ${s.satisfied} operating, ${s["in-force"]} in force and not triggered, ${s.exceptions} with exceptions, ${s["no-evidence"]} with no evidence, ${s["not-covered"]} not covered; ${report.entries.length} cited entries)\n`,
      );
    }
    return 0;
  },

  async verify(args, io) {
    const [file, ...extra] = args.positionals;
    if (file === undefined) throw new UsageError("the report FILE to verify is required");
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, file), "utf8");
    } catch {
      throw new UsageError(`cannot read '${file}': no such file`);
    }
    const value = extractReport(text);
    const dbFlag = stringFlag(args, "db");
    const db = dbFlag === undefined ? undefined : dbOf(dbFlag, io);
    const trusted = trustedKeys(args, db, io);
    if (trusted.keys.length === 0) {
      throw new UsageError(
        db !== undefined && !isUrl(db)
          ? `no trusted verifier key: '${db}.vkey' and '${db}.key' do not exist; pass --vkey with the log's verifier key`
          : "a trusted verifier key is required: pass --vkey with the log's verifier key, or --db with the log's key file beside it",
      );
    }
    let policies: { digest: string; rules: ReturnType<typeof givenRules> } | undefined;
    if (args.flags.policies !== undefined) {
      const loaded = loadPolicies(args.flags.policies as string[], io);
      policies = { digest: loaded.set.digest, rules: givenRules(loaded.set.program.rules) };
    }
    const log = db === undefined ? undefined : await openLog(db, undefined);
    let r;
    try {
      r = await verifyReport(value, { ...(log ? { log } : {}), verifierKeys: trusted.keys, file: text, ...(policies ? { policies } : {}) });
    } finally {
      await log?.close();
    }
    if (args.flags.json === true) io.stdout(`${JSON.stringify({ ...r, trusted: trusted.from }, null, 2)}\n`);
    else if (r.ok) {
      const c = r.checked;
      io.stdout(
        `ok: ${file}\n  signature: the checkpoint is signed by ${c.key} (trusted from ${trusted.from.join(", ")})\n  proofs: ${c.entries} cited entries are included in the checkpoint's tree\n  claims: ${c.claims} claims match the entries they cite; ${c.statuses} control statuses follow from their evidence; the controls and scope are the catalogue's${c.policies ? ", and its rules are the given policies'" : ""}\n${c.rendering ? "  rendering: the file is exactly the rendering of the report it embeds\n" : ""}${
          c.againstLog
            ? `  log: all ${c.logEntries} entries below the checkpoint's size hash to its root, and the evidence recomputed from them matches the report\n`
            : "  log: not compared (pass --db to check every entry the counts rest on)\n"
        }`,
      );
    }
    if (!r.ok) io.stderr(`palisade report verify: FAILED: ${file} does not verify (${r.problems.length} problem(s)):\n${r.problems.map((p) => `  - ${p}\n`).join("")}`);
    return r.ok ? 0 : 1;
  },

  async coverage(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const catalogue = catalogueOf(args);
    const { set, paths } = policiesOf(args, catalogue, io);
    const cov = coverage(catalogue, set.program.rules.map((r) => ({ id: r.id, controls: r.controls })));
    const scope = scopeOf(catalogue);
    if (args.flags.json === true) {
      io.stdout(`${JSON.stringify({ ...cov, scope, policies: paths }, null, 2)}\n`);
      return 0;
    }
    const units = scope.addressed.length + scope.out_of_scope.length;
    const label = (id: string) => labelOf(catalogue.controls.find((c) => c.id === id) ?? { id });
    const factsOnly = cov.controls.filter((c) => c.by === "facts");
    const lines = [
      `${catalogue.name}`,
      `scope: ${cov.controls.length} catalogued controls address ${scope.addressed.length} of the framework's ${units} ${scope.units_name} (${scope.addressed.filter((u) => u.in_part).length} of them in part); ${scope.out_of_scope.length} are out of scope`,
      `of the ${cov.controls.length} catalogued controls, ${cov.controls.length - cov.uncovered.length} are covered by ${paths.join(", ")} (${cov.rules} rule(s) map to this framework)${cov.uncovered.length === 0 ? "; none is left uncovered" : ""}`,
    ];
    if (cov.uncovered.length > 0) {
      lines.push(`catalogued but not covered by any loaded rule (${cov.uncovered.length}):`);
      for (const c of cov.uncovered) lines.push(`  ${label(c.id)}  ${c.title}`);
    }
    if (factsOnly.length > 0) {
      lines.push(`covered by operational facts only (${factsOnly.length}):`);
      for (const c of factsOnly) lines.push(`  ${label(c.id)}  ${c.title}`);
    }
    lines.push(`addressed ${scope.units_name} (${scope.addressed.length}):`);
    for (const u of scope.addressed) lines.push(`  ${u.label ?? u.id}  ${u.title}${u.in_part ? ` (in part: ${u.controls.map(label).join(", ")})` : ""}`);
    lines.push(`out of scope (${scope.out_of_scope.length}):`);
    for (const u of scope.out_of_scope) lines.push(`  ${u.label ?? u.id}  ${u.title}`);
    io.stdout(`${lines.join("\n")}\n`);
    return 0;
  },
};

/** `palisade report`. */
export const command: Command = {
  name: "report",
  summary: "compliance reports from the audit log, their verification and coverage",
  help,
  async run(argv, io) {
    const sub: keyof typeof subHelp = argv[0] === "verify" || argv[0] === "coverage" ? argv[0] : "build";
    const rest = sub === "build" ? argv : argv.slice(1);
    const name = sub === "build" ? "report" : `report ${sub}`;
    try {
      const args = parseArgs(rest, flags[sub]);
      if (args.flags.help === true) {
        io.stdout(`${subHelp[sub]}\n`);
        return 0;
      }
      return await run[sub](args, io);
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr(`palisade ${name}: ${err.message}\n\n${subHelp[sub]}\n`);
        return 2;
      }
      if (err instanceof ComplianceError || err instanceof StoreError || err instanceof AuditError || err instanceof NoteError) {
        io.stderr(`palisade ${name}: error: ${err.message}\n${err.hint ? `  help: ${err.hint}\n` : ""}`);
        return 2;
      }
      throw err;
    }
  },
};
