// fast-check arbitraries for the differential test: policy sources biased to what the checker
// accepts over the phase schemas (tool names from a small pool, argument thresholds, regexes,
// detectors, quantifiers over session calls, defs and consts, every effect), and inputs shaped
// like the phase schemas, including the wrong types, nulls and absent fields that make rules
// errored (the error paths must agree too).
import fc from "fast-check";

/** The tool names rules test and inputs use. */
export const TOOLS = ["refund", "send_email", "search", "read_record", "upload", "transfer"] as const;

const str = (s: string): string => JSON.stringify(s);
const tool = fc.constantFrom(...TOOLS);
const word = fc.constantFrom("a", "ab", "acme", "x-1", "prod", "", "Admin", "b*c");
const num = fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.constantFrom(0, 1, 100, 500, 2.5));

/** Numeric expressions of a rule over tool_call/tool_result inputs. */
const numExpr: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("tool.args.amount", "tool.args.n", "LIMIT") },
  { weight: 2, arbitrary: num.map(String) },
  { weight: 1, arbitrary: fc.constantFrom("len(tool.args.list)", "tool.args.amount * 2", "tool.args.n + 1", "tool.args.amount / tool.args.n", "tool.args.n % 3", "-tool.args.n") },
);

const strExpr: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("tool.args.body", "tool.args.to", "tool.args.s", "env", "tool.name", "principal.id") },
  { weight: 1, arbitrary: word.map(str) },
  { weight: 1, arbitrary: fc.constantFrom("lower(tool.args.s)", "tool.args.s + \"x\"", "tool.args.list[0]", "tool.args[\"s\"]") },
);

const pattern = fc.constantFrom("pii.email", "pii.ssn", "pii.credit_card", "secret.aws_key", "/\\d{3}/", "/^a/i", "/ab+c/", "/[0-9]+x/");

/** Conditions over a session call bound to `v`. */
const callCond = (v: string): fc.Arbitrary<string> =>
  fc.oneof(
    tool.map((t) => `${v}.tool.name == ${str(t)}`),
    fc.constantFrom(`${v}.decision == "deny"`, `${v}.decision != "allow"`, `time - ${v}.time < 5m`, `${v}.time > time`, `${v}.tool.args.amount > 10`, `${v}.tool.name in SENSITIVE`),
  );

/** Conditions (bool expressions) for a rule that reads `tool`. */
export const toolCond: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { maxDepth: 3, depthSize: "small" },
    { weight: 4, arbitrary: tool.map((t) => `tool.name == ${str(t)}`) },
    { weight: 2, arbitrary: fc.tuple(tool, tool).map(([a, b]) => `tool.name in [${str(a)}, ${str(b)}]`) },
    { weight: 1, arbitrary: tool.map((t) => `${str(t)} == tool.name`) },
    { weight: 3, arbitrary: fc.tuple(numExpr, fc.constantFrom("<", "<=", ">", ">=", "==", "!="), numExpr).map(([a, op, b]) => `${a} ${op} ${b}`) },
    { weight: 2, arbitrary: fc.tuple(strExpr, fc.constantFrom("matches", "contains"), pattern).map(([a, op, p]) => `${a} ${op} ${p}`) },
    { weight: 2, arbitrary: fc.tuple(strExpr, fc.constantFrom("contains", "like", "starts with", "ends with", "==", "!=", "<"), strExpr).map(([a, op, b]) => `${a} ${op} ${b}`) },
    { weight: 1, arbitrary: fc.tuple(strExpr, word).map(([a, w]) => `${a} matches ${str(w === "b*c" ? "b+c" : w)}`) },
    { weight: 1, arbitrary: fc.constantFrom("tool.args.s matches tool.args.pattern", "tool.args.body contains tool.args.s", "tool.args.list contains 3", "tool.args.list contains pii.email") },
    { weight: 2, arbitrary: fc.constantFrom(`principal.roles contains "admin"`, `"admin" in principal.roles`, `env == "production"`, `env != "production"`, `tool.args.flag`, `tool.args.x == tool.args.y`, `tool.args.to in TRUSTED`, `tool.args.s not in ["a", "b"]`, `tool.args.list == [1, 2]`, `tool.args.o == {k: 1}`) },
    { weight: 2, arbitrary: fc.constantFrom("big(tool.args.amount)", "external(tool.args.to)", "has_role(principal, \"admin\")", "recent(\"search\")", "big(LIMIT + 1)") },
    { weight: 2, arbitrary: callCond("c").map((b) => `(any c in session.calls: ${b})`) },
    { weight: 1, arbitrary: fc.tuple(callCond("c"), fc.nat({ max: 3 })).map(([b, k]) => `(count c in session.calls where ${b}) >= ${k}`) },
    { weight: 1, arbitrary: fc.constantFrom("(count c in session.calls) > 2", "(all a in tool.args.list: a > 1)", "(any x in tool.args.list: x == tool.args.n)", "(all r in principal.roles: r != \"guest\")") },
    { weight: 1, arbitrary: fc.tuple(tool, tool).map(([a, b]) => `(any a then b in session.calls: a.tool.name == ${str(a)} and b.tool.name == ${str(b)})`) },
    { weight: 1, arbitrary: fc.tuple(tool, tool, tool).map(([a, b, c]) => `(any a then b then c in session.calls: a.tool.name == ${str(a)} and b.tool.name == ${str(b)} and c.tool.name != ${str(c)})`) },
    { weight: 2, arbitrary: fc.tuple(tie("c"), tie("c")).map(([a, b]) => `${a} and ${b}`) },
    { weight: 1, arbitrary: fc.tuple(tie("c"), tie("c")).map(([a, b]) => `(${a} or ${b})`) },
    { weight: 1, arbitrary: tie("c").map((a) => `not (${a})`) },
  ),
})).c;

/** Conditions for a rule on `output`. */
const outputCond: fc.Arbitrary<string> = fc.oneof(
  pattern.map((p) => `output.text contains ${p}`),
  pattern.map((p) => `output.text matches ${p}`),
  fc.constantFrom(`env == "production"`, `output.text like "*card*"`, `len(output.text) > 20`, `(any c in session.calls: c.tool.name == "read_record")`),
);

const message: fc.Arbitrary<string> = fc.constantFrom(
  "",
  ` "blocked"`,
  ` "amount {tool.args.amount} over {LIMIT}"`,
  ` "tool {tool.name} by {principal.id}: {tool.args}"`,
  ` "{tool.args.list} {env} \\{literal\\}"`,
  ` "calls: {count c in session.calls}"`,
);

const toolEffect: fc.Arbitrary<string> = fc.oneof(
  message.map((m) => `deny${m}`),
  message.map((m) => `warn${m}`),
  fc.tuple(message, fc.constantFrom("", ` from "supervisor"`)).map(([m, f]) => `require_approval${m === "" && f !== "" ? ` "ok?"` : m}${f}`),
  fc.constant("allow"),
  fc.tuple(pattern, fc.constantFrom("tool.args.body", "tool.args.s", "tool.args.missing"), fc.constantFrom("", ` with "[X]"`)).map(([p, t, w]) => `redact ${p} in ${t}${w}`),
  fc.constantFrom("set tool.args.amount = 100", "set tool.args.amount = tool.args.amount * 2", "set tool.args.note = \"clamped {tool.name}\"", "set tool.args.new.deep = [1, LIMIT]", "set tool.args.list[0] = 7", "set tool.args[tool.args.key] = 1"),
);

const outputEffect: fc.Arbitrary<string> = fc.oneof(
  message.filter((m) => !m.includes("tool")).map((m) => `deny${m}`),
  fc.constant(`warn "answer flagged"`),
  fc.tuple(pattern, fc.constantFrom("", ` with "[X]"`)).map(([p, w]) => `redact ${p} in output.text${w}`),
  fc.constantFrom("set output.text = \"hidden\"", "allow"),
);

const effects = (e: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.array(e, { minLength: 1, maxLength: 3 }).map((es) => (es.length === 1 ? es[0] : `{\n    ${es.join("\n    ")}\n  }`));

const meta = fc.constantFrom("", "severity high\n  ", "severity low\n  controls \"soc2:CC6.1\", \"pci:3.4\"\n  ", "tags \"t\"\n  owner \"me\"\n  ");

const toolRule = (i: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom("tool_call", "tool_call", "tool_call, tool_result", "tool_result"), meta, fc.option(toolCond, { nil: null }), fc.option(toolCond, { nil: null, freq: 4 }), effects(toolEffect))
    .map(([phases, m, when, unless, then]) => `rule r${i} on ${phases} {\n  ${m}${when ? `when ${when}\n  ` : ""}${unless ? `unless ${unless}\n  ` : ""}then ${then}\n}`);

const outputRule = (i: number): fc.Arbitrary<string> =>
  fc
    .tuple(meta, fc.option(outputCond, { nil: null }), effects(outputEffect))
    .map(([m, when, then]) => `rule r${i} on output {\n  ${m}${when ? `when ${when}\n  ` : ""}then ${then}\n}`);

const PRELUDE = `const LIMIT = 500
const TRUSTED = ["acme.com", "a@acme.com"]
const SENSITIVE = ["read_record", "search"]
def big(x) = x > LIMIT
def external(a) = not (a in TRUSTED)
def has_role(p, r) = p.roles contains r
def recent(name) = any c in session.calls: c.tool.name == name
`;

/** Policy sources (one file, package `gen`), most of which check. */
export const policyArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom("", "default deny\n", "on_error allow\n", "default deny on tool_call\non_error allow on tool_call\n"),
    fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant("t") }, { weight: 1, arbitrary: fc.constant("o") }), { minLength: 1, maxLength: 8 }),
    fc.infiniteStream(fc.tuple(toolRule(0), outputRule(0))),
  )
  .chain(([settings, kinds]) =>
    fc.tuple(...kinds.map((k, i) => (k === "t" ? toolRule(i) : outputRule(i)))).map((rules) => `package gen\n${settings}${PRELUDE}\n${rules.join("\n\n")}\n`),
  );

const ISO = fc.constantFrom("2026-11-25T10:00:00Z", "2026-11-25T09:58:00Z", "2026-11-25T10:04:30Z", "2026-11-25T10:00:00.500+01:00", "not a time", "2026-11-24T23:00:00Z");

const textArb = fc.oneof(
  fc.constantFrom("hello", "mail ann@acme.com now", "ssn 123-45-6789", "card 4111 1111 1111 1111", "AKIAIOSFODNN7EXAMPLE", "abbbc 123x", "Admin", "a", ""),
  fc.string({ maxLength: 12 }),
);

const anyScalar = fc.oneof(num, textArb, fc.boolean(), fc.constant(null));

/** An arbitrary value for open fields: mostly the expected type, sometimes another. */
const loose = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 6, arbitrary: a }, { weight: 1, arbitrary: anyScalar }, { weight: 1, arbitrary: fc.array(anyScalar, { maxLength: 3 }) });

const callArb = fc.record(
  {
    tool: fc.record({ name: fc.oneof({ weight: 5, arbitrary: tool }, { weight: 1, arbitrary: fc.constant("other") }), args: fc.record({ amount: num }, { requiredKeys: [] }) }, { requiredKeys: ["name"] }),
    time: ISO,
    decision: fc.constantFrom("allow", "deny", "require_approval"),
  },
  { requiredKeys: ["tool"] },
);

/**
 * Inputs shaped like the tool_call/tool_result/output schemas, with some fields missing or of
 * the wrong type; passed through JSON, as a decision's input arrives.
 */
export const inputArb: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    tool: fc.record(
      {
        name: fc.oneof({ weight: 8, arbitrary: tool }, { weight: 1, arbitrary: fc.constantFrom("other", "__proto__", "constructor") }, { weight: 1, arbitrary: anyScalar }),
        args: fc.record(
          {
            amount: loose(num),
            n: loose(num),
            body: loose(textArb),
            to: loose(fc.constantFrom("a@acme.com", "eve@evil.io", "acme.com")),
            s: loose(textArb),
            list: loose(fc.array(num, { maxLength: 4 })),
            flag: loose(fc.boolean()),
            x: anyScalar,
            y: anyScalar,
            o: fc.oneof(fc.constant({ k: 1 }), fc.constant({ k: "1" }), anyScalar),
            pattern: loose(fc.constantFrom("^a", "b+", "(x)?", "a|b", "[")),
            key: fc.constantFrom("s", "amount", 0, null),
          },
          { requiredKeys: [] },
        ),
        result: fc.record({ text: loose(textArb) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    principal: fc.record({ id: loose(fc.constantFrom("u1", "u2")), roles: loose(fc.array(fc.constantFrom("admin", "guest", "supervisor"), { maxLength: 3 })) }, { requiredKeys: [] }),
    env: loose(fc.constantFrom("production", "staging")),
    session: fc.record({ id: fc.constant("s1"), calls: fc.oneof({ weight: 8, arbitrary: fc.array(callArb, { maxLength: 6 }) }, { weight: 1, arbitrary: anyScalar }) }, { requiredKeys: [] }),
    time: fc.oneof({ weight: 5, arbitrary: ISO }, { weight: 1, arbitrary: anyScalar }),
    output: fc.record({ text: loose(textArb) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
).map((v) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>);
