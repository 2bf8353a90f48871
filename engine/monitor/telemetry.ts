// OpenTelemetry export for processes Palisade runs itself (`palisade serve`, `palisade drift`):
// an OTLP/HTTP exporter (protobuf, the protocol's default) for spans and metrics, configured the
// standard way — the OTEL_* variables, with the config's `otel` settings filling what they leave
// open. An application that embeds the monitor keeps its own SDK: give the Monitor a tracer and a
// meter from the global API instead.
import type { Meter, Tracer } from "@opentelemetry/api";
import { MonitorError } from "./errors.ts";
import { TRACER_NAME } from "./otel.ts";

/** The `otel` settings of a config file; every field yields to its OTEL_* variable. */
export interface OtelConfig {
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); default http://localhost:4318. */
  readonly endpoint?: string;
  /** Extra request headers (`OTEL_EXPORTER_OTLP_HEADERS`), e.g. an API key. */
  readonly headers?: Readonly<Record<string, string>>;
  /** `service.name` (`OTEL_SERVICE_NAME`); default `palisade`. */
  readonly serviceName?: string;
  /** How often metrics are exported, ms (`OTEL_METRIC_EXPORT_INTERVAL`); default 60,000. */
  readonly metricIntervalMs?: number;
}

/** A running export: the tracer and meter to hand to the monitor, and its shutdown. */
export interface Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** Where spans go, for the start-up line. */
  readonly endpoint: string;
  /** Exports what is buffered now. */
  forceFlush(): Promise<void>;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `k1=v1,k2=v2` (W3C baggage-like, percent-decoded): OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS. */
export function parseKeyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? "").split(",")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    try {
      out[decodeURIComponent(part.slice(0, at).trim())] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // A malformed escape leaves the pair out, as the SDKs do.
    }
  }
  return out;
}

function bad(message: string, hint: string): MonitorError {
  return new MonitorError("monitor/bad-config", message, hint);
}

/** Whether the OTEL_* variables ask for OTLP export of traces or metrics. */
export function otelRequested(env: Env = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  return [env.OTEL_EXPORTER_OTLP_ENDPOINT, env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT].some((v) => v !== undefined && v !== "") || env.OTEL_TRACES_EXPORTER === "otlp" || env.OTEL_METRICS_EXPORTER === "otlp";
}

function signalUrl(env: Env, config: OtelConfig, signal: "traces" | "metrics"): string {
  const specific = env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`];
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || config.endpoint || "http://localhost:4318";
  return `${base.replace(/\/+$/, "")}/v1/${signal}`;
}

/**
 * Starts OTLP export, or resolves to undefined when neither the config nor the environment asks for
 * it, or `OTEL_SDK_DISABLED=true`. `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` = `none` turn
 * one signal off (its tracer or meter is then a no-op one); protocols other than http/protobuf
 * are refused with the setting to change.
 */
export async function startTelemetry(config: OtelConfig | boolean | undefined, env: Env = process.env): Promise<Telemetry | undefined> {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  if (!config && !otelRequested(env)) return undefined;
  const c: OtelConfig = typeof config === "object" ? config : {};
  for (const name of ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"]) {
    const v = env[name];
    if (v !== undefined && v !== "" && v !== "http/protobuf") throw bad(`${name}=${v} is not supported`, "Palisade exports OTLP over HTTP with protobuf: set it to http/protobuf or unset it");
  }
  for (const name of ["OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER"]) {
    const v = env[name];
    if (v !== undefined && v !== "" && v !== "otlp" && v !== "none") throw bad(`${name}=${v} is not supported`, "use otlp (the default) or none");
  }
  // Loaded only when export is on: a process without it never pays for the SDK.
  const [{ OTLPMetricExporter }, { OTLPTraceExporter }, { resourceFromAttributes }, { MeterProvider, PeriodicExportingMetricReader }, { BasicTracerProvider, BatchSpanProcessor }] = await Promise.all([
    import("@opentelemetry/exporter-metrics-otlp-proto"),
    import("@opentelemetry/exporter-trace-otlp-proto"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-metrics"),
    import("@opentelemetry/sdk-trace-base"),
  ]);
  const attributes: Record<string, string> = { "service.name": c.serviceName ?? "palisade", ...parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES) };
  if (env.OTEL_SERVICE_NAME) attributes["service.name"] = env.OTEL_SERVICE_NAME;
  const resource = resourceFromAttributes(attributes);
  const headers = (signal: string) => ({ ...c.headers, ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseKeyValues(env[`OTEL_EXPORTER_OTLP_${signal}_HEADERS`]) });
  const traces = env.OTEL_TRACES_EXPORTER !== "none";
  const metricsOn = env.OTEL_METRICS_EXPORTER !== "none";
  const tracesUrl = signalUrl(env, c, "traces");
  // The provider reads the sampler (OTEL_TRACES_SAMPLER, parent-based by default) and the batch
  // processor its limits (OTEL_BSP_*) from the environment, as the SDK does everywhere.
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: traces ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl, headers: headers("TRACES") }))] : [] });
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL) || c.metricIntervalMs || 60_000;
  const meterProvider = new MeterProvider({
    resource,
    readers: metricsOn ? [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: signalUrl(env, c, "metrics"), headers: headers("METRICS") }), exportIntervalMillis: interval, exportTimeoutMillis: Math.min(30_000, interval) })] : [],
  });
  return {
    tracer: tracerProvider.getTracer(TRACER_NAME),
    meter: meterProvider.getMeter(TRACER_NAME),
    endpoint: tracesUrl,
    async forceFlush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
