// The playground page: the language front end and the engine run here, in the browser, so every
// keystroke is checked without a round trip. Diagnostics show inline and in a list; Evaluate
// decides the input; Run tests runs the file's test blocks; Share puts everything in the URL.
import "./buffer-shim.ts";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { linter, lintGutter } from "@codemirror/lint";
import type { Diagnostic as CmDiagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { checkSources, formatSource } from "../../language/index.ts";
import type { Diagnostic } from "../../language/index.ts";
import { loadPolicySet, runTests } from "../../engine/runtime/index.ts";
import { EXAMPLE_INPUTS, EXAMPLE_POLICY } from "./examples.ts";
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
  $("status").textContent = list.some((d) => d.severity === "error") ? `${list.filter((d) => d.severity === "error").length} error(s)` : "policy checks";
  $("status").className = list.some((d) => d.severity === "error") ? "bad" : "good";
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

const shared = decodeShare(location.hash);
const startPhase = shared?.phase ?? "tool_call";
(($("phase") as HTMLSelectElement).value = startPhase);

const policy = new EditorView({
  parent: $("policy"),
  state: EditorState.create({
    doc: shared?.policy ?? EXAMPLE_POLICY,
    extensions: [lineNumbers(), history(), bracketMatching(), keymap.of([...defaultKeymap, ...historyKeymap]), policyLanguage, syntaxHighlighting(defaultHighlightStyle), policyLinter, lintGutter()],
  }),
});

const input = new EditorView({
  parent: $("input"),
  state: EditorState.create({
    doc: shared?.input ?? JSON.stringify(EXAMPLE_INPUTS[startPhase], null, 2),
    extensions: [lineNumbers(), history(), keymap.of([...defaultKeymap, ...historyKeymap])],
  }),
});

function setDoc(view: EditorView, text: string): void {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

function load() {
  const { policySet, diagnostics } = loadPolicySet([{ path: PATH, text: policy.state.doc.toString() }]);
  showDiagnostics(diagnostics);
  return policySet;
}

function show(node: HTMLElement, ...children: (Node | string)[]): void {
  node.replaceChildren(...children);
}

$("phase").addEventListener("change", () => setDoc(input, JSON.stringify(EXAMPLE_INPUTS[($("phase") as HTMLSelectElement).value], null, 2)));

$("format").addEventListener("click", () => {
  const r = formatSource(policy.state.doc.toString(), PATH);
  if (r.text !== null) setDoc(policy, r.text);
  else showDiagnostics(r.diagnostics);
});

$("evaluate").addEventListener("click", () => {
  const out = $("decision");
  const set = load();
  if (!set) return show(out, el("p", { class: "bad" }, "fix the errors first"));
  let value: unknown;
  try {
    value = JSON.parse(input.state.doc.toString());
  } catch (err) {
    return show(out, el("p", { class: "bad" }, `the input is not JSON: ${(err as Error).message}`));
  }
  try {
    const d = set.decide(($("phase") as HTMLSelectElement).value, value);
    show(
      out,
      el("p", { id: "verdict", class: `verdict ${d.decision}` }, d.decision),
      el("h3", {}, "Rules that fired"),
      el("ul", { id: "fired" }, ...[...d.reasons, ...d.warnings].map((r) => el("li", {}, `${r.effect} by ${r.rule}${r.message ? `: ${r.message}` : ""}`))),
      ...(d.errors.length > 0 ? [el("h3", {}, "Errors"), el("ul", {}, ...d.errors.map((e) => el("li", { class: "bad" }, `${e.rule}: ${e.message}`)))] : []),
      el("h3", {}, "Payload after transforms"),
      el("pre", { id: "payload" }, JSON.stringify(d.payload, null, 2)),
    );
  } catch (err) {
    show(out, el("p", { class: "bad" }, (err as Error).message));
  }
});

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
  const frag = encodeShare({ policy: policy.state.doc.toString(), phase: ($("phase") as HTMLSelectElement).value, input: input.state.doc.toString() });
  history_replace(frag);
  const link = location.href;
  ($("share-link") as HTMLInputElement).value = link;
  void navigator.clipboard?.writeText(link).catch(() => {});
});

function history_replace(frag: string): void {
  window.history.replaceState(null, "", `#${frag}`);
}

/** For tests and the console: the two editors. */
(window as unknown as { palisade: unknown }).palisade = { policy, input, setPolicy: (t: string) => setDoc(policy, t) };
