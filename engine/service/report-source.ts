// `GET /v1/reports/:name`: compliance reports (engine/compliance) built from the service's own
// audit log, with coverage computed from the policies it serves. A report is anchored to a
// signed checkpoint, so the service signs one first (through its own signer, which never races
// the periodic one) and the report then holds every decision made before the request.
import type { AuditLog } from "../audit/index.ts";
import { ComplianceError, FRAMEWORK_NAMES, buildReport, findCatalogue, givenRules, toHtml, toOscal } from "../compliance/index.ts";
import type { PolicySet, PolicySource } from "../runtime/index.ts";
import type { ReportOptions, ReportSource } from "./context.ts";
import { ServiceError } from "./errors.ts";

/** What the reports are built from. */
export interface ComplianceReportParts {
  readonly audit: AuditLog;
  readonly policySet: PolicySet;
  readonly sources: readonly PolicySource[];
  /** Commits queued decisions and signs a checkpoint when the log grew. */
  readonly checkpoint: () => Promise<unknown>;
}

const DAY = 86_400_000;

/** A ReportSource over the service's audit log: one report per framework of spec/controls. */
export function complianceReports(p: ComplianceReportParts): ReportSource {
  return {
    names: () => FRAMEWORK_NAMES,
    async report(name: string, options: ReportOptions = {}): Promise<unknown> {
      const catalogue = findCatalogue(name);
      if (!catalogue) return undefined;
      const to = options.to ?? new Date();
      const from = options.from ?? new Date(to.getTime() - 30 * DAY);
      if (from.getTime() >= to.getTime()) throw new ServiceError("request/invalid", `the period is empty: from ${from.toISOString()} is not before to ${to.toISOString()}`, "/from");
      await p.checkpoint();
      let report;
      try {
        report = await buildReport({
          log: p.audit,
          catalogue,
          from,
          to,
          rules: givenRules(p.policySet.program.rules),
          policies: { paths: p.sources.map((s) => s.path), digest: p.policySet.digest },
          sign: false,
        });
      } catch (err) {
        if (err instanceof ComplianceError) throw new ServiceError("audit/unavailable", `${err.message}${err.hint ? `: ${err.hint}` : ""}`);
        throw err;
      }
      if (options.format === "html") return toHtml(report);
      return options.format === "oscal" ? toOscal(report) : report;
    },
  };
}
