// The playground page: the language front end and the engine run here, in the browser, so every
// keystroke is checked without a round trip, and the decision is taken again whenever the policy,
// the phase or the input changes (a verdict on screen always belongs to what is on screen; while
// the policy has errors there is none). Each rule says whether it fired and why or why not; the
// payload's changes are shown field by field; examples load from a picker; Share puts the whole
// state in the URL, and a link whose phase this version does not know says so.
import "./buffer-shim.ts";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { linter, lintGutter } from "@codemirror/lint";
import type { Diagnostic as CmDiagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { checkSources, formatSource, PHASES } from "../../language/index.ts";
import type { Diagnostic } from "../../language/index.ts";
import { loadPolicySet, runTests } from "../../engine/runtime/index.ts";
import { changes } from "../../engine/service/activity.ts";
import { EXAMPLES } from "./examples.ts";
import type { Example } from "./examples.ts";
import { explain } from "./explain.ts";
import { policyLanguage } from "./policy-language.ts";
import { decodeShare, encodeShare } from "./share.ts";

const PATH = "playground.policy";
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function el(tag: string, attrs: Record<string, string>, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function showDiagnostics(list: readonly Diagnostic[]): void {
  const ul = $("diagnostics");
  ul.replaceChildren(...list.map((d) => el("li", { class: d.severity, "data-code": d.code }, `${d.span.start.line}:${d.span.start.col} ${d.severity}[${d.code}]: ${d.message}${d.help ? ` (${d.help})` : ""}`)));
  const errors = list.filter((d) => d.severity === "error").length;
  $("status").textContent = errors > 0 ? `${errors} error${errors === 1 ? "" : "s"}` : "policy checks";
  $("status").className = errors > 0 ? "bad" : "good";
}

let timer: ReturnType<typeof setTimeout> | undefined;
/** Decides again shortly after the last change. */
function soon(): void {
  clearTimeout(timer);
  timer = setTimeout(evaluate, 200);
}

const policyLinter = linter(
  (view): CmDiagnostic[] => {
    const text = view.state.doc.toString();
    const { diagnostics } = checkSources([{ path: PATH, text }]);
    showDiagnostics(diagnostics);
    const len = text.length;
    return diagnostics.map((d) => ({
      from: Math.min(d.span.start.offset, len),
      to: Math.min(Math.max(d.span.end.offset, d.span.start.offset + 1), len),
      severity: d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info",
      message: `[${d.code}] ${d.message}${d.help ? `\n${d.help}` : ""}`,
    }));
  },
  { delay: 250 },
);

const phaseSelect = $<HTMLSelectElement>("phase");
const exampleSelect = $<HTMLSelectElement>("example");
exampleSelect.append(...EXAMPLES.map((e, i) => el("option", { value: String(i) }, e.name)), el("option", { value: "custom", hidden: "" }, "(your own)"));

const shared = decodeShare(location.hash);
const notices: string[] = [];
if (location.hash.length > 1 && shared === null) notices.push("The share link is damaged (it may have been cut): the first example is shown instead.");
let startPhase = shared?.phase ?? EXAMPLES[0].phase;
if (!(PHASES as readonly string[]).includes(startPhase)) {
  notices.push(`The link's phase "${startPhase}" is not one this playground knows (${PHASES.join(", ")}): tool_call is shown instead.`);
  startPhase = "tool_call";
}
phaseSelect.value = startPhase;
exampleSelect.value = shared ? "custom" : "0";
const notice = $("notice");
notice.textContent = notices.join(" ");
notice.hidden = notices.length === 0;

const onChange = EditorView.updateListener.of((u) => {
  if (!u.docChanged) return;
  if (!loading) exampleSelect.value = "custom";
  soon();
});
let loading = false;

const policy = new EditorView({
  parent: $("policy"),
  state: EditorState.create({
    doc: shared?.policy ?? EXAMPLES[0].policy,
    extensions: [lineNumbers(), history(), bracketMatching(), EditorView.lineWrapping, keymap.of([...defaultKeymap, ...historyKeymap]), policyLanguage, syntaxHighlighting(defaultHighlightStyle), policyLinter, lintGutter(), onChange, EditorView.contentAttributes.of({ "aria-label": "policy" })],
  }),
});

const input = new EditorView({
  parent: $("input"),
  state: EditorState.create({
    doc: shared?.input ?? JSON.stringify(EXAMPLES[0].input, null, 2),
    extensions: [lineNumbers(), history(), EditorView.lineWrapping, keymap.of([...defaultKeymap, ...historyKeymap]), onChange, EditorView.contentAttributes.of({ "aria-label": "input (JSON)" })],
  }),
});

function setDoc(view: EditorView, text: string): void {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

function loadExample(e: Example): void {
  loading = true;
  setDoc(policy, e.policy);
  setDoc(input, JSON.stringify(e.input, null, 2));
  phaseSelect.value = e.phase;
  loading = false;
  soon();
}

function load() {
  const { policySet, diagnostics } = loadPolicySet([{ path: PATH, text: policy.state.doc.toString() }]);
  showDiagnostics(diagnostics);
  return policySet;
}

function show(node: HTMLElement, ...children: (Node | string)[]): void {
  node.replaceChildren(...children);
}

const fmt = (v: unknown): string => JSON.stringify(v) ?? "absent";

/** Decides the input on screen with the policy on screen, and explains every rule. */
function evaluate(): void {
  clearTimeout(timer);
  const out = $("decision");
  const set = load();
  if (!set) return show(out, el("p", { class: "bad", id: "no-verdict" }, "The policy has errors: fix them (listed under the editor) to see a decision."));
  let value: unknown;
  try {
    value = JSON.parse(input.state.doc.toString());
  } catch (err) {
    return show(out, el("p", { class: "bad", id: "no-verdict" }, `The input is not JSON: ${(err as Error).message}`));
  }
  const phase = phaseSelect.value;
  try {
    const d = set.decide(phase, value);
    const text = policy.state.doc.toString();
    const why = explain(set, text, phase, value);
    const here = why.filter((w) => w.status !== "other phase");
    const elsewhere = why.filter((w) => w.status === "other phase");
    const reasonsOf = (rule: string): string => [...d.reasons, ...d.warnings].filter((r) => r.rule === rule).map((r) => `${r.effect}${r.message ? `: ${r.message}` : ""}`).join("; ");
    const diff = changes(value, d.payload);
    show(
      out,
      el("p", { id: "verdict", class: `verdict ${d.decision}` }, d.decision),
      el("h3", {}, "Rules"),
      el("ul", { id: "explain", class: "explain" },
        ...here.map((w) => el("li", { "data-rule": w.rule, "data-status": w.status, class: w.status === "fired" ? "" : w.status === "error" ? "bad" : "" },
          el("strong", {}, `${w.rule}: `), w.status === "fired" ? (reasonsOf(w.rule) || "fired") : w.status,
          el("span", { class: "why" }, w.why)))),
      elsewhere.length > 0 ? el("details", {}, el("summary", {}, `${elsewhere.length} rule${elsewhere.length === 1 ? "" : "s"} on other phases`), el("ul", { class: "explain" }, ...elsewhere.map((w) => el("li", { "data-rule": w.rule, "data-status": w.status }, el("strong", {}, `${w.rule}: `), w.why)))) : "",
      ...(d.errors.length > 0 ? [el("h3", {}, "Errors"), el("ul", {}, ...d.errors.map((e) => el("li", { class: "bad" }, `${e.rule}: ${e.message}`)))] : []),
      el("h3", {}, "What the transforms changed"),
      diff.length === 0
        ? el("p", { class: "note", id: "no-changes" }, "Nothing: the payload is the input.")
        : el("table", { id: "payload-diff", class: "diff" }, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "field"), el("th", { scope: "col" }, "before"), el("th", { scope: "col" }, "after"))), el("tbody", {}, ...diff.map((c) => el("tr", {}, el("td", {}, el("code", {}, c.path)), el("td", { class: "wrap" }, el("del", {}, fmt(c.before))), el("td", { class: "wrap" }, el("ins", {}, fmt(c.after))))))),
      el("details", {}, el("summary", {}, "the whole payload"), el("pre", { id: "payload" }, JSON.stringify(d.payload, null, 2))),
    );
  } catch (err) {
    show(out, el("p", { class: "bad", id: "no-verdict" }, (err as Error).message));
  }
}

phaseSelect.addEventListener("change", () => {
  const ex = EXAMPLES.find((e) => e.phase === phaseSelect.value && e.policy === policy.state.doc.toString());
  loading = true;
  setDoc(input, JSON.stringify(ex?.input ?? EXAMPLES.find((e) => e.phase === phaseSelect.value)?.input ?? {}, null, 2));
  loading = false;
  soon();
});
exampleSelect.addEventListener("change", () => {
  const e = EXAMPLES[Number(exampleSelect.value)];
  if (e) loadExample(e);
});

$("format").addEventListener("click", () => {
  const r = formatSource(policy.state.doc.toString(), PATH);
  if (r.text !== null) setDoc(policy, r.text);
  else showDiagnostics(r.diagnostics);
});

$("evaluate").addEventListener("click", evaluate);

$("tests").addEventListener("click", () => {
  const out = $("test-results");
  const set = load();
  if (!set) return show(out, el("p", { class: "bad" }, "fix the errors first"));
  const results = runTests(set);
  const failed = results.filter((r) => !r.passed).length;
  show(
    out,
    el("p", { id: "test-summary", class: failed > 0 ? "bad" : "good" }, `${results.length - failed} passed, ${failed} failed`),
    el("ul", {}, ...results.map((r) => el("li", { class: r.passed ? "good" : "bad" }, `${r.passed ? "pass" : "FAIL"} ${r.name}${r.failures.length ? `: ${r.failures.join("; ")}` : ""}`))),
  );
});

$("share").addEventListener("click", () => {
  const frag = encodeShare({ policy: policy.state.doc.toString(), phase: phaseSelect.value, input: input.state.doc.toString() });
  window.history.replaceState(null, "", `#${frag}`);
  const link = location.href;
  ($("share-link") as HTMLInputElement).value = link;
  void navigator.clipboard?.writeText(link).catch(() => {});
});

/** For tests: the two editors. */
(window as unknown as { palisade: unknown }).palisade = { policy, input, setPolicy: (t: string) => setDoc(policy, t), setInput: (t: string) => setDoc(input, t) };
evaluate();
