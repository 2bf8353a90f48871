// The shown-call store every model-side adapter writes and every tool hook reads (spec/streams.md
// "The executable call"): what a consumer is shown, and when the tool gets the model's arguments.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createGuard } from "../index.ts";
import { DENIED_ARGS, WITHHELD_ARGS, restoreCall, showCall, shownArgs } from "../shown-calls.ts";
import { CARD, POLICY } from "./fixtures.ts";

const guard = () => createGuard({ policies: [POLICY], env: "test", agent: "shown" });

test("shown arguments: a denial marker, the output redactions on every string, number and key, the same object when nothing changes", () => {
  const s = guard().session("s", { id: "u1", roles: [] });
  assert.deepEqual(shownArgs(s, "delete_file", { path: "/etc" }), DENIED_ARGS);
  assert.deepEqual(shownArgs(s, "pay", { card: CARD, items: [{ note: `also ${CARD}` }], [CARD]: 1 }), { card: "[CARD]", items: [{ note: "also [CARD]" }], "[CARD]": 1 });
  assert.deepEqual(shownArgs(s, "pay", { card: 4111111111111111 }), { card: "[CARD]" }, "a card given as a number");
  assert.equal(shownArgs(s, "search", { q: "shoes" }), undefined, "nothing to hide: shown as it is");
  // Two keys that redact alike cannot be shown faithfully.
  assert.deepEqual(shownArgs(s, "pay", { [CARD]: 1, "4111-1111-1111-1111": 2 }), WITHHELD_ARGS);
  const quiet = createGuard({ policies: [POLICY], env: "test", agent: "shown", mode: "shadow" }).session("s", { id: "u1", roles: [] });
  assert.equal(shownArgs(quiet, "delete_file", { path: "/etc" }), undefined, "shadow mode changes nothing a consumer sees");
});

test("held arguments: restored only for the call id, session and shown form they were shown as; a new call under the id ends them; a marker not held throws", () => {
  const g = guard();
  const a = g.session("a", { id: "u1", roles: [] });
  const b = g.session("b", { id: "u1", roles: [] });
  const shown = showCall(a, "call_0", "pay", { card: CARD });
  assert.deepEqual(shown, { card: "[CARD]" });
  assert.deepEqual(restoreCall(b, "call_0", "pay", shown), shown, "another session's call is not restored");
  assert.deepEqual(restoreCall(a, "call_0", "refund", shown), shown, "another tool's call is not restored");
  assert.deepEqual(restoreCall(a, "call_0", "pay", { card: "edited" }), { card: "edited" }, "edited arguments are a new call");
  assert.deepEqual(restoreCall(a, "call_0", "pay", shown, true), { card: CARD }, "kept while the call waits");
  // The provider restarts its ids: a new call_0 that writes the old shown form literally gets nothing of the old call.
  assert.deepEqual(showCall(a, "call_0", "pay", { card: "[CARD]" }), { card: "[CARD]" });
  assert.deepEqual(restoreCall(a, "call_0", "pay", { card: "[CARD]" }), { card: "[CARD]" });
  // Spent once run.
  showCall(a, "call_1", "pay", { card: CARD });
  assert.deepEqual(restoreCall(a, "call_1", "pay", { card: "[CARD]" }), { card: CARD });
  assert.deepEqual(restoreCall(a, "call_1", "pay", { card: "[CARD]" }), { card: "[CARD]" });
  assert.deepEqual(showCall(a, "call_2", "delete_file", { path: "/etc" }), DENIED_ARGS);
  assert.throws(() => restoreCall(b, "call_2", "delete_file", DENIED_ARGS), /withheld/);
  assert.throws(() => restoreCall(a, "zz", "delete_file", { palisade: "withheld" }), /withheld/);
  assert.deepEqual(restoreCall(a, "call_2", "delete_file", DENIED_ARGS), { path: "/etc" });
});
