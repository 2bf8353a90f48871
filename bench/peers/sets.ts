// The decisions every peer is timed on, as data: each set holds the Palisade policy, the same
// rules in Rego (OPA) and, where Cedar can say them, in Cedar, and the inputs. The native
// harnesses (Go for OPA, Rust for Cedar) read these through a JSON corpus, so that every peer
// decides exactly the same inputs. Rego is written as an OPA user would: one partial set rule
// per policy rule, indexed on `input.tool.name`; Cedar as a Cedar user would: tool names as
// actions, arguments in the context.
import { CEDAR_POLICIES, TYPICAL20_SOURCE, typicalInputs, type BenchInput } from "./typical20.ts";

/** One set of rules and the inputs it is timed on. */
export interface BenchSet {
  readonly name: string;
  /** The Palisade policy source. */
  readonly palisade: string;
  /** A Rego module whose `result` is `{decision, reasons, warnings}` (rule names, sorted). */
  readonly rego: string;
  /** The Rego package path of `result`, e.g. `bench/typical`. */
  readonly regoPath: string;
  /** Cedar policies for what Cedar expresses, or null with the reason it cannot. */
  readonly cedar: { readonly policies: string; readonly subset: string } | { readonly policies: null; readonly reason: string };
  /** The Palisade rules the Cedar policies leave out (Cedar's expected decisions come from the rest). */
  readonly cedarOmits: readonly string[];
  readonly inputs: readonly BenchInput[];
}

// The decision as every Rego module here combines it, as LANGUAGE.md does: any deny wins, else
// any approval, else allow; `reasons` are the rules of the deciding effect, `warnings` apart.
const REGO_COMBINE = `
decision := "deny" if {
	some f in fired
	f.effect == "deny"
} else := "require_approval" if {
	some f in fired
	f.effect == "require_approval"
} else := "allow"

result := {
	"decision": decision,
	"reasons": sort([f.rule | some f in fired; f.effect == decision]),
	"warnings": sort([f.rule | some f in fired; f.effect == "warn"]),
	"messages": [f.message | some f in fired],
}
`;

/** The typical 20-rule policy in Rego. The card detector is a regex and a Luhn check, as a Rego author would write it. */
export const TYPICAL20_REGO = `package bench.typical

max_refund := 500

currencies := {"USD", "EUR"}

fired contains {"rule": "large_refund", "effect": "require_approval", "message": sprintf("refund of %v exceeds %v", [input.tool.args.amount, max_refund])} if {
	input.tool.name == "refund"
	input.tool.args.amount > max_refund
	not "supervisor" in input.principal.roles
}

fired contains {"rule": "negative_refund", "effect": "deny", "message": "negative refund"} if {
	input.tool.name == "refund"
	input.tool.args.amount < 0
}

fired contains {"rule": "huge_transfer", "effect": "deny", "message": "transfer over 10000"} if {
	input.tool.name == "transfer"
	input.tool.args.amount > 10000
}

fired contains {"rule": "test_transfer", "effect": "warn", "message": "large transfer outside production"} if {
	input.tool.name == "transfer"
	input.env != "production"
	input.tool.args.amount > 100
}

fired contains {"rule": "etc_delete", "effect": "deny", "message": "system files are off limits"} if {
	input.tool.name == "delete_file"
	regex.match(\`^/etc/\`, input.tool.args.path)
}

fired contains {"rule": "card_in_mail", "effect": "deny", "message": "card numbers may not be mailed"} if {
	input.tool.name == "send_email"
	some candidate in regex.find_n(\`\\b\\d(?:[ -]?\\d){12,18}\\b\`, input.tool.args.body, -1)
	luhn(regex.replace(candidate, \`[ -]\`, ""))
}

luhn(digits) if {
	n := count(digits)
	total := sum([v |
		some i in numbers.range(0, n - 1)
		d := to_number(substring(digits, n - 1 - i, 1))
		v := luhn_digit(d, i % 2)
	])
	total % 10 == 0
}

luhn_digit(d, 0) := d

luhn_digit(d, 1) := x if {
	d * 2 > 9
	x := (d * 2) - 9
}

luhn_digit(d, 1) := d * 2 if d * 2 <= 9

fired contains {"rule": "search_burst", "effect": "deny", "message": "too many searches"} if {
	input.tool.name == "search"
	count([c | some c in input.session.calls; c.tool.name == "search"]) >= 10
}

fired contains {"rule": "mail_after_record", "effect": "deny", "message": "patient data may not leave"} if {
	input.tool.name == "send_email"
	some c in input.session.calls
	c.tool.name == "read_medical_record"
}

fired contains {"rule": "shell", "effect": "require_approval", "message": "shell commands need approval"} if {
	input.tool.name == "run_shell"
}

fired contains {"rule": "big_query", "effect": "warn", "message": "large query"} if {
	input.tool.name == "db_query"
	input.tool.args.rows > 1000
}

fired contains {"rule": "big_upload", "effect": "deny", "message": "upload over 10 MB"} if {
	input.tool.name == "upload"
	input.tool.args.bytes > 10000000
}

fired contains {"rule": "admin_user", "effect": "require_approval", "message": "new admin"} if {
	input.tool.name == "create_user"
	input.tool.args.role == "admin"
}

fired contains {"rule": "currency", "effect": "deny", "message": "unsupported currency"} if {
	input.tool.name == "payment"
	not input.tool.args.currency in currencies
}

fired contains {"rule": "plain_http", "effect": "warn", "message": "plain http"} if {
	input.tool.name == "http_get"
	startswith(input.tool.args.url, "http://")
}

fired contains {"rule": "prod_deploy", "effect": "deny", "message": "production deploys need a release manager"} if {
	input.tool.name == "deploy"
	input.env == "production"
	not "release-manager" in input.principal.roles
}

fired contains {"rule": "key_read", "effect": "deny", "message": "key files are off limits"} if {
	input.tool.name == "read_file"
	glob.match("*.pem", [], input.tool.args.path)
}

fired contains {"rule": "log_write", "effect": "deny", "message": "logs are append-only"} if {
	input.tool.name == "write_file"
	startswith(input.tool.args.path, "/var/log")
}

fired contains {"rule": "big_cancel", "effect": "require_approval", "message": "large cancellation"} if {
	input.tool.name == "cancel_order"
	input.tool.args.amount > 2000
}

fired contains {"rule": "big_export", "effect": "require_approval", "message": "bulk export"} if {
	input.tool.name == "export_data"
	input.tool.args.rows > 5000
}

fired contains {"rule": "suspended", "effect": "deny", "message": "principal is suspended"} if {
	input.principal.attrs.suspended == true
}
${REGO_COMBINE}`;

/** The typical 20-rule set. */
export function typical20Set(): BenchSet {
  return {
    name: "typical20",
    palisade: TYPICAL20_SOURCE,
    rego: TYPICAL20_REGO,
    regoPath: "bench/typical",
    cedar: { policies: CEDAR_POLICIES, subset: "14 of 20 rules: no detector, no session quantifiers, no warnings; approvals are forbids" },
    cedarOmits: ["card_in_mail", "search_burst", "mail_after_record", "test_transfer", "big_query", "plain_http"],
    inputs: typicalInputs(),
  };
}

const threshold = (k: number): number => (k * 37) % 1000;

/** `n` rules over n/10 tool names (10 rules per tool, as large policy sets spread over many tools), plus two that pin no tool. */
export function scalingSource(n: number): string {
  const tools = Math.max(1, Math.floor(n / 10));
  const rules: string[] = [];
  for (let k = 0; k < n - 2; k++) {
    rules.push(`rule r${k} on tool_call { when tool.name == "tool_${k % tools}" and tool.args.amount > ${threshold(k)} then deny "r${k}: {tool.args.amount}" }`);
  }
  rules.push(`rule any_suspended on tool_call { when principal.attrs.suspended == true then deny "suspended" }`);
  rules.push(`rule any_prod_shell on tool_call { when env == "production" and tool.args.shell == true then require_approval "shell" }`);
  return `package bench.scale\n${rules.join("\n")}\n`;
}

/** The scaling rules in Rego: one partial set rule per policy rule; OPA indexes them on the tool name. */
export function scalingRego(n: number): string {
  const tools = Math.max(1, Math.floor(n / 10));
  const rules: string[] = [];
  for (let k = 0; k < n - 2; k++) {
    rules.push(`fired contains {"rule": "r${k}", "effect": "deny", "message": sprintf("r${k}: %v", [input.tool.args.amount])} if {\n\tinput.tool.name == "tool_${k % tools}"\n\tinput.tool.args.amount > ${threshold(k)}\n}`);
  }
  rules.push(`fired contains {"rule": "any_suspended", "effect": "deny", "message": "suspended"} if {\n\tinput.principal.attrs.suspended == true\n}`);
  rules.push(`fired contains {"rule": "any_prod_shell", "effect": "require_approval", "message": "shell"} if {\n\tinput.env == "production"\n\tinput.tool.args.shell == true\n}`);
  return `package bench.scale\n\n${rules.join("\n\n")}\n${REGO_COMBINE}`;
}

/** The scaling rules in Cedar: the tool name is the action; approvals are forbids. */
export function scalingCedar(n: number): string {
  const tools = Math.max(1, Math.floor(n / 10));
  const rules = ["permit (principal, action, resource);"];
  for (let k = 0; k < n - 2; k++) rules.push(`@id("r${k}") forbid (principal, action == Action::"tool_${k % tools}", resource) when { context.amount > ${threshold(k)} };`);
  rules.push(`@id("any_suspended") forbid (principal, action, resource) when { context.suspended };`);
  rules.push(`@id("any_prod_shell") forbid (principal, action, resource) when { context.env == "production" && context.shell };`);
  return rules.join("\n");
}

/** The inputs of the scaling sets: 64 calls spread over the tool names. */
export function scalingInputs(n: number): BenchInput[] {
  const tools = Math.max(1, Math.floor(n / 10));
  return Array.from({ length: 64 }, (_, i) => ({
    tool: { name: `tool_${(i * 7919) % tools}`, args: { amount: (i * 131) % 1200 } },
    principal: { id: "u", roles: [], attrs: { suspended: false } },
    env: "production",
    session: { id: "s", calls: [] },
    time: "2026-11-25T10:00:00Z",
  }));
}

/** The set of `n` scaling rules. */
export function scalingSet(n: number): BenchSet {
  return {
    name: `scale${n}`,
    palisade: scalingSource(n),
    rego: scalingRego(n),
    regoPath: "bench/scale",
    cedar: { policies: scalingCedar(n), subset: "all rules; the approval rule is a forbid" },
    cedarOmits: [],
    inputs: scalingInputs(n),
  };
}

/** The session-sequence rule: a download written to disk, then a shell command (`any a then b`). */
export const SEQUENCE_SOURCE = `package bench.sequence

rule download_then_exec on tool_call {
  severity critical
  when tool.name == "run_shell"
   and any a then b in session.calls: a.tool.name == "http_get" and b.tool.name == "write_file"
  then deny "a downloaded file may not be executed"
}
`;

// An ordered pair in Rego as an OPA user would write it in linear time: the first download
// before the last write. (Nested iteration over indices would be quadratic.)
const SEQUENCE_REGO = `package bench.sequence

fired contains {"rule": "download_then_exec", "effect": "deny", "message": "a downloaded file may not be executed"} if {
	input.tool.name == "run_shell"
	downloads := [i | some i, c in input.session.calls; c.tool.name == "http_get"]
	writes := [j | some j, c in input.session.calls; c.tool.name == "write_file"]
	min(downloads) < max(writes)
}
${REGO_COMBINE}`;

/** Sessions of `length` earlier calls; half of the inputs hold the download-then-write pair, some only the reverse order. */
export function sequenceInputs(length: number): BenchInput[] {
  const filler = ["search", "read_file", "lookup_weather", "db_query"];
  return Array.from({ length: 16 }, (_, s) => {
    const calls = Array.from({ length }, (_, i) => ({ tool: { name: filler[(i + s) % filler.length], args: { i } }, time: "2026-11-25T09:00:00Z", decision: "allow" }));
    const at = (i: number, name: string): void => void (calls[Math.min(length - 1, Math.max(0, i))] = { tool: { name, args: { i } }, time: "2026-11-25T09:00:00Z", decision: "allow" });
    if (s % 4 === 0) { at(length / 4, "http_get"); at((3 * length) / 4, "write_file"); }
    if (s % 4 === 1) { at(length / 4, "write_file"); at((3 * length) / 4, "http_get"); }
    if (s % 4 === 2) at(length / 2, "http_get");
    return {
      tool: { name: s % 8 === 7 ? "search" : "run_shell", args: { cmd: "ls" } },
      principal: { id: "u", roles: [], attrs: {} },
      env: "production",
      session: { id: `s${s}`, calls },
      time: "2026-11-25T10:00:00Z",
    };
  });
}

/** The sequence rule over sessions of `length` earlier calls. Cedar has no ordered lists, so no Cedar row. */
export function sequenceSet(length: number): BenchSet {
  return {
    name: `sequence${length}`,
    palisade: SEQUENCE_SOURCE,
    rego: SEQUENCE_REGO,
    regoPath: "bench/sequence",
    cedar: { policies: null, reason: "Cedar sets are unordered and it has no quantifiers over lists: 'a then b' in a session cannot be written" },
    cedarOmits: [],
    inputs: sequenceInputs(length),
  };
}

/** Every set the peers benchmark times, in order. */
export function benchSets(): BenchSet[] {
  return [typical20Set(), ...[10, 100, 1000, 10_000].map(scalingSet), ...[20, 200, 2000].map(sequenceSet)];
}
