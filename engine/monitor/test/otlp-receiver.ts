// An OTLP receiver on loopback that decodes what it gets with the official protobuf definitions
// (otlp_receiver.py, on PyPI's opentelemetry-proto), run from a Python virtual environment made
// once under node_modules/.cache. A machine that cannot make it fails the suite with the command
// to run, never skips it.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "../../../test/support.ts";

const REQUIREMENTS = ["opentelemetry-proto==1.45.2", "protobuf==7.36.2"];
const venv = join(repoRoot, "node_modules", ".cache", "palisade-otlp");

function python(): string {
  const bin = join(venv, "bin", "python");
  const stamp = join(venv, "requirements.txt");
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, "utf8") === REQUIREMENTS.join("\n")) return bin;
  if (!existsSync(bin)) {
    const made = spawnSync("python3", ["-m", "venv", venv], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`the OTLP receiver needs python3 with venv: apt-get install -y python3 python3-venv (${made.error?.message ?? made.stderr.trim()})`);
  }
  const pip = spawnSync(bin, ["-m", "pip", "install", "-q", "--disable-pip-version-check", ...REQUIREMENTS], { encoding: "utf8", timeout: 600_000 });
  if (pip.status !== 0) throw new Error(`installing ${REQUIREMENTS.join(" ")} from PyPI failed; run: ${bin} -m pip install ${REQUIREMENTS.join(" ")}\n${pip.stderr}`);
  writeFileSync(stamp, REQUIREMENTS.join("\n"));
  return bin;
}

/** An OTLP attribute value as the protobuf JSON mapping writes it. */
export type AnyValue = { stringValue?: string; intValue?: string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
/** A decoded span (OTLP JSON mapping: ids in base64, times as strings). */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind?: string;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes?: { key: string; value: AnyValue }[];
  readonly status?: { code?: string; message?: string };
  readonly events?: { name: string; attributes?: { key: string; value: AnyValue }[] }[];
}
/** What the receiver decoded so far. */
export interface Received {
  readonly traces: { resourceSpans?: { resource?: { attributes?: { key: string; value: AnyValue }[] }; scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[] }[] }[];
  readonly metrics: { resourceMetrics?: { scopeMetrics?: { metrics?: { name: string; gauge?: { dataPoints?: { attributes?: { key: string; value: AnyValue }[]; asDouble?: number; asInt?: string }[] }; sum?: { dataPoints?: { attributes?: { key: string; value: AnyValue }[]; asDouble?: number; asInt?: string }[] } }[] }[] }[] }[];
  readonly headers: Record<string, string>[];
}

/** A running receiver. */
export interface Receiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  received(): Promise<Received>;
  close(): Promise<void>;
}

/** Starts the receiver on a free loopback port. */
export async function startReceiver(): Promise<Receiver> {
  const child: ChildProcess = spawn(python(), [join(import.meta.dirname, "otlp_receiver.py")], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((ok, ko) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (l) => ok(Number(l)));
    child.once("exit", (code) => ko(new Error(`the OTLP receiver exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async received() {
      return (await (await fetch(`${url}/received`)).json()) as Received;
    },
    close: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once("exit", () => ok());
        child.kill("SIGTERM");
      }),
  };
}

/** Every span the receiver decoded, flattened, with their resource's attributes. */
export function spansOf(r: Received): (OtlpSpan & { resource: Record<string, unknown>; scope: string | undefined })[] {
  return r.traces.flatMap((t) => (t.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({ ...s, resource: attributes(rs.resource?.attributes), scope: ss.scope?.name })))));
}

/** OTLP key-values as a plain object (int values as numbers). */
export function attributes(kvs: readonly { key: string; value: AnyValue }[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (v: AnyValue): unknown => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? v.arrayValue?.values?.map(value);
  for (const kv of kvs ?? []) out[kv.key] = value(kv.value);
  return out;
}

/** base64 (OTLP JSON's bytes) to lowercase hex (W3C trace context's ids). */
export function hex(b64: string | undefined): string | undefined {
  return b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("hex");
}
