// The benchmark's typical policy: 20 rules of the kinds agent policies hold (tool-name tests,
// argument thresholds, a regex, a detector, quantifiers over the session's 20 earlier calls),
// written four ways: Palisade source, the same checks by hand in JavaScript, JSON Logic rules
// (json-logic-js), and Cedar policies for the subset Cedar can express. The inputs are a fixed
// mix of tool calls every implementation decides.
import jsonLogic from "json-logic-js";
import type { RulesLogic } from "json-logic-js";
import { getDetector, type Detector } from "../../engine/runtime/stdlib/detectors.ts";

/** The Palisade policy. */
export const TYPICAL20_SOURCE = `package bench.typical

const MAX_REFUND = 500
const CURRENCIES = ["USD", "EUR"]

rule large_refund on tool_call {
  severity high
  when tool.name == "refund" and tool.args.amount > MAX_REFUND
  unless principal.roles contains "supervisor"
  then require_approval "refund of {tool.args.amount} exceeds {MAX_REFUND}" from "supervisor"
}
rule negative_refund on tool_call { when tool.name == "refund" and tool.args.amount < 0 then deny "negative refund" }
rule huge_transfer on tool_call { severity critical when tool.name == "transfer" and tool.args.amount > 10000 then deny "transfer over 10000" }
rule test_transfer on tool_call { when tool.name == "transfer" and env != "production" and tool.args.amount > 100 then warn "large transfer outside production" }
rule etc_delete on tool_call { severity critical when tool.name == "delete_file" and tool.args.path matches /^\\/etc\\// then deny "system files are off limits" }
rule card_in_mail on tool_call { severity high when tool.name == "send_email" and tool.args.body contains pii.credit_card then deny "card numbers may not be mailed" }
rule search_burst on tool_call { when tool.name == "search" and (count c in session.calls where c.tool.name == "search") >= 10 then deny "too many searches" }
rule mail_after_record on tool_call { severity critical when tool.name == "send_email" and any c in session.calls: c.tool.name == "read_medical_record" then deny "patient data may not leave" }
rule shell on tool_call { when tool.name == "run_shell" then require_approval "shell commands need approval" }
rule big_query on tool_call { when tool.name == "db_query" and tool.args.rows > 1000 then warn "large query" }
rule big_upload on tool_call { when tool.name == "upload" and tool.args.bytes > 10000000 then deny "upload over 10 MB" }
rule admin_user on tool_call { when tool.name == "create_user" and tool.args.role == "admin" then require_approval "new admin" }
rule currency on tool_call { when tool.name == "payment" and not (tool.args.currency in CURRENCIES) then deny "unsupported currency" }
rule plain_http on tool_call { when tool.name == "http_get" and tool.args.url starts with "http://" then warn "plain http" }
rule prod_deploy on tool_call { when tool.name == "deploy" and env == "production" and not (principal.roles contains "release-manager") then deny "production deploys need a release manager" }
rule key_read on tool_call { when tool.name == "read_file" and tool.args.path like "*.pem" then deny "key files are off limits" }
rule log_write on tool_call { when tool.name == "write_file" and tool.args.path starts with "/var/log" then deny "logs are append-only" }
rule big_cancel on tool_call { when tool.name == "cancel_order" and tool.args.amount > 2000 then require_approval "large cancellation" }
rule big_export on tool_call { when tool.name == "export_data" and tool.args.rows > 5000 then require_approval "bulk export" }
rule suspended on tool_call { severity high when principal.attrs.suspended == true then deny "principal is suspended" }
`;

/** A decision of the hand-written and JSON Logic evaluators: the same shape Palisade returns (reasons and warnings by rule). */
export interface PeerDecision {
  decision: "allow" | "deny" | "require_approval";
  reasons: { rule: string; effect: string; message: string }[];
  warnings: { rule: string; effect: string; message: string }[];
  payload: unknown;
  errors: never[];
}

type Effect = "deny" | "require_approval" | "warn";

/** Combines fired effects as LANGUAGE.md does (deny wins, then approval; warnings apart); default allow. */
function finish(input: unknown, fired: { rule: string; effect: Effect; message: string }[] | null): PeerDecision {
  const out: PeerDecision = { decision: "allow", reasons: [], warnings: [], payload: input, errors: [] };
  if (fired === null) return out;
  for (const f of fired) {
    if (f.effect === "warn") out.warnings.push(f);
    else if (f.effect === "deny") {
      if (out.decision !== "deny") out.reasons = [];
      out.decision = "deny";
      out.reasons.push(f);
    } else if (out.decision !== "deny") {
      out.decision = "require_approval";
      out.reasons.push(f);
    }
  }
  return out;
}

interface Call {
  tool: { name: string; args?: Record<string, unknown> };
}
/** The input shape the benchmark uses (a tool_call phase input). */
export interface BenchInput {
  tool: { name: string; args: Record<string, unknown> };
  principal: { id: string; roles: string[]; attrs: Record<string, unknown> };
  env: string;
  session: { id: string; calls: Call[] };
  time: string;
}

const card: Detector = getDetector("pii.credit_card") ?? missing("pii.credit_card");

function missing(name: string): never {
  throw new Error(`detector ${name} is missing`);
}
const ETC = /^\/etc\//;

/** The same 20 checks written by hand, as an engineer would: a switch on the tool name, then the conditions. */
export function handwritten(input: BenchInput): PeerDecision {
  const a = input.tool.args;
  let fired: { rule: string; effect: Effect; message: string }[] | null = null;
  const fire = (rule: string, effect: Effect, message: string): void => {
    (fired ??= []).push({ rule, effect, message });
  };
  switch (input.tool.name) {
    case "refund":
      if (typeof a.amount === "number" && a.amount > 500 && !input.principal.roles.includes("supervisor")) fire("large_refund", "require_approval", `refund of ${a.amount} exceeds 500`);
      if (typeof a.amount === "number" && a.amount < 0) fire("negative_refund", "deny", "negative refund");
      break;
    case "transfer":
      if (typeof a.amount === "number" && a.amount > 10000) fire("huge_transfer", "deny", "transfer over 10000");
      if (input.env !== "production" && typeof a.amount === "number" && a.amount > 100) fire("test_transfer", "warn", "large transfer outside production");
      break;
    case "delete_file":
      if (typeof a.path === "string" && ETC.test(a.path)) fire("etc_delete", "deny", "system files are off limits");
      break;
    case "send_email":
      if (typeof a.body === "string" && card.test(a.body)) fire("card_in_mail", "deny", "card numbers may not be mailed");
      if (input.session.calls.some((c) => c.tool.name === "read_medical_record")) fire("mail_after_record", "deny", "patient data may not leave");
      break;
    case "search": {
      let n = 0;
      for (const c of input.session.calls) if (c.tool.name === "search") n++;
      if (n >= 10) fire("search_burst", "deny", "too many searches");
      break;
    }
    case "run_shell":
      fire("shell", "require_approval", "shell commands need approval");
      break;
    case "db_query":
      if (typeof a.rows === "number" && a.rows > 1000) fire("big_query", "warn", "large query");
      break;
    case "upload":
      if (typeof a.bytes === "number" && a.bytes > 10_000_000) fire("big_upload", "deny", "upload over 10 MB");
      break;
    case "create_user":
      if (a.role === "admin") fire("admin_user", "require_approval", "new admin");
      break;
    case "payment":
      if (a.currency !== "USD" && a.currency !== "EUR") fire("currency", "deny", "unsupported currency");
      break;
    case "http_get":
      if (typeof a.url === "string" && a.url.startsWith("http://")) fire("plain_http", "warn", "plain http");
      break;
    case "deploy":
      if (input.env === "production" && !input.principal.roles.includes("release-manager")) fire("prod_deploy", "deny", "production deploys need a release manager");
      break;
    case "read_file":
      if (typeof a.path === "string" && a.path.endsWith(".pem")) fire("key_read", "deny", "key files are off limits");
      break;
    case "write_file":
      if (typeof a.path === "string" && a.path.startsWith("/var/log")) fire("log_write", "deny", "logs are append-only");
      break;
    case "cancel_order":
      if (typeof a.amount === "number" && a.amount > 2000) fire("big_cancel", "require_approval", "large cancellation");
      break;
    case "export_data":
      if (typeof a.rows === "number" && a.rows > 5000) fire("big_export", "require_approval", "bulk export");
      break;
  }
  if (input.principal.attrs.suspended === true) fire("suspended", "deny", "principal is suspended");
  return finish(input, fired);
}

jsonLogic.add_operation("matches_etc", (s: unknown) => typeof s === "string" && ETC.test(s));
jsonLogic.add_operation("has_card", (s: unknown) => typeof s === "string" && card.test(s));
jsonLogic.add_operation("starts_with", (s: unknown, p: unknown) => typeof s === "string" && typeof p === "string" && s.startsWith(p));
jsonLogic.add_operation("ends_with", (s: unknown, p: unknown) => typeof s === "string" && typeof p === "string" && s.endsWith(p));

const v = (path: string): RulesLogic => ({ var: path });
const tool = (name: string): RulesLogic => ({ "==": [v("tool.name"), name] });
const and = (...xs: RulesLogic[]): RulesLogic => ({ and: xs });

/** The 20 rules in JSON Logic (custom operations for the regex, the detector and prefix tests, which JSON Logic lacks). */
export const JSONLOGIC_RULES: readonly { rule: string; effect: Effect; message: string; logic: RulesLogic }[] = [
  { rule: "large_refund", effect: "require_approval", message: "refund exceeds 500", logic: and(tool("refund"), { ">": [v("tool.args.amount"), 500] }, { "!": { in: ["supervisor", v("principal.roles")] } }) },
  { rule: "negative_refund", effect: "deny", message: "negative refund", logic: and(tool("refund"), { "<": [v("tool.args.amount"), 0] }) },
  { rule: "huge_transfer", effect: "deny", message: "transfer over 10000", logic: and(tool("transfer"), { ">": [v("tool.args.amount"), 10000] }) },
  { rule: "test_transfer", effect: "warn", message: "large transfer outside production", logic: and(tool("transfer"), { "!=": [v("env"), "production"] }, { ">": [v("tool.args.amount"), 100] }) },
  { rule: "etc_delete", effect: "deny", message: "system files are off limits", logic: and(tool("delete_file"), { matches_etc: [v("tool.args.path")] } as unknown as RulesLogic) },
  { rule: "card_in_mail", effect: "deny", message: "card numbers may not be mailed", logic: and(tool("send_email"), { has_card: [v("tool.args.body")] } as unknown as RulesLogic) },
  {
    rule: "search_burst",
    effect: "deny",
    message: "too many searches",
    logic: and(tool("search"), { ">=": [{ reduce: [{ filter: [v("session.calls"), { "==": [v("tool.name"), "search"] }] }, { "+": [v("accumulator"), 1] }, 0] }, 10] }),
  },
  { rule: "mail_after_record", effect: "deny", message: "patient data may not leave", logic: and(tool("send_email"), { some: [v("session.calls"), { "==": [v("tool.name"), "read_medical_record"] }] }) },
  { rule: "shell", effect: "require_approval", message: "shell commands need approval", logic: tool("run_shell") },
  { rule: "big_query", effect: "warn", message: "large query", logic: and(tool("db_query"), { ">": [v("tool.args.rows"), 1000] }) },
  { rule: "big_upload", effect: "deny", message: "upload over 10 MB", logic: and(tool("upload"), { ">": [v("tool.args.bytes"), 10_000_000] }) },
  { rule: "admin_user", effect: "require_approval", message: "new admin", logic: and(tool("create_user"), { "==": [v("tool.args.role"), "admin"] }) },
  { rule: "currency", effect: "deny", message: "unsupported currency", logic: and(tool("payment"), { "!": { in: [v("tool.args.currency"), ["USD", "EUR"]] } }) },
  { rule: "plain_http", effect: "warn", message: "plain http", logic: and(tool("http_get"), { starts_with: [v("tool.args.url"), "http://"] } as unknown as RulesLogic) },
  { rule: "prod_deploy", effect: "deny", message: "production deploys need a release manager", logic: and(tool("deploy"), { "==": [v("env"), "production"] }, { "!": { in: ["release-manager", v("principal.roles")] } }) },
  { rule: "key_read", effect: "deny", message: "key files are off limits", logic: and(tool("read_file"), { ends_with: [v("tool.args.path"), ".pem"] } as unknown as RulesLogic) },
  { rule: "log_write", effect: "deny", message: "logs are append-only", logic: and(tool("write_file"), { starts_with: [v("tool.args.path"), "/var/log"] } as unknown as RulesLogic) },
  { rule: "big_cancel", effect: "require_approval", message: "large cancellation", logic: and(tool("cancel_order"), { ">": [v("tool.args.amount"), 2000] }) },
  { rule: "big_export", effect: "require_approval", message: "bulk export", logic: and(tool("export_data"), { ">": [v("tool.args.rows"), 5000] }) },
  { rule: "suspended", effect: "deny", message: "principal is suspended", logic: { "===": [v("principal.attrs.suspended"), true] } },
];

/** Evaluates the JSON Logic rules one by one, as an application using json-logic-js would, and combines them. */
export function jsonLogicDecide(input: BenchInput): PeerDecision {
  let fired: { rule: string; effect: Effect; message: string }[] | null = null;
  for (const r of JSONLOGIC_RULES) if (jsonLogic.truthy(jsonLogic.apply(r.logic, input))) (fired ??= []).push({ rule: r.rule, effect: r.effect, message: r.message });
  return finish(input, fired);
}

/**
 * The Cedar policies for the subset Cedar expresses: tool names as actions, arguments in the
 * context, roles as a set; `require_approval` and `warn` have no Cedar effect, so they are
 * forbids (approval) and left out (warnings). The regex `^/etc/` is the glob `like "/etc/*"`;
 * the detector and the session quantifiers have no Cedar form.
 */
export const CEDAR_POLICIES = `
permit (principal, action, resource);
@id("large_refund") forbid (principal, action == Action::"refund", resource) when { context.amount > 500 } unless { context.roles.contains("supervisor") };
@id("negative_refund") forbid (principal, action == Action::"refund", resource) when { context.amount < 0 };
@id("huge_transfer") forbid (principal, action == Action::"transfer", resource) when { context.amount > 10000 };
@id("etc_delete") forbid (principal, action == Action::"delete_file", resource) when { context.path like "/etc/*" };
@id("shell") forbid (principal, action == Action::"run_shell", resource);
@id("big_upload") forbid (principal, action == Action::"upload", resource) when { context.bytes > 10000000 };
@id("admin_user") forbid (principal, action == Action::"create_user", resource) when { context.role == "admin" };
@id("currency") forbid (principal, action == Action::"payment", resource) unless { ["USD", "EUR"].contains(context.currency) };
@id("prod_deploy") forbid (principal, action == Action::"deploy", resource) when { context.env == "production" && !context.roles.contains("release-manager") };
@id("key_read") forbid (principal, action == Action::"read_file", resource) when { context.path like "*.pem" };
@id("log_write") forbid (principal, action == Action::"write_file", resource) when { context.path like "/var/log*" };
@id("big_cancel") forbid (principal, action == Action::"cancel_order", resource) when { context.amount > 2000 };
@id("big_export") forbid (principal, action == Action::"export_data", resource) when { context.rows > 5000 };
@id("suspended") forbid (principal, action, resource) when { context.suspended };
`;

const NAMES = ["search", "read_file", "send_email", "refund", "transfer", "db_query", "http_get", "write_file", "delete_file", "payment", "deploy", "upload", "create_user", "cancel_order", "export_data", "run_shell", "read_medical_record"];

function sessionCalls(seed: number): Call[] {
  return Array.from({ length: 20 }, (_, i) => ({ tool: { name: NAMES[(seed * 7 + i * 3) % NAMES.length], args: { i } }, time: `2026-11-25T09:${String(30 + i).padStart(2, "0")}:00Z`, decision: "allow" }));
}

/** The inputs every implementation decides, in turn: a mix of tools, hits and misses, each with 20 earlier session calls. */
export function typicalInputs(): BenchInput[] {
  const args: [string, Record<string, unknown>][] = [
    ["refund", { amount: 900, order: "A-1" }],
    ["refund", { amount: 120, order: "A-2" }],
    ["transfer", { amount: 250 }],
    ["delete_file", { path: "/etc/passwd" }],
    ["delete_file", { path: "/tmp/x" }],
    ["send_email", { to: "a@acme.com", body: "Your receipt: card 4111 1111 1111 1111, thanks" }],
    ["send_email", { to: "a@acme.com", body: "Meeting moved to 3pm, see you there." }],
    ["search", { q: "weather" }],
    ["search", { q: "flights" }],
    ["db_query", { sql: "select 1", rows: 5000 }],
    ["http_get", { url: "https://example.com" }],
    ["read_file", { path: "/home/u/notes.txt" }],
    ["payment", { amount: 10, currency: "GBP" }],
    ["deploy", { service: "api" }],
    ["export_data", { rows: 100 }],
    ["lookup_weather", { city: "Paris" }],
  ];
  return args.map(([name, a], i) => ({
    tool: { name, args: a },
    principal: { id: `u${i}`, roles: i % 3 === 0 ? ["supervisor"] : ["support"], attrs: { suspended: false } },
    env: i % 2 === 0 ? "production" : "staging",
    session: { id: `s${i}`, calls: sessionCalls(i) },
    time: "2026-11-25T10:00:00Z",
  }));
}
