// snapshotInput's bound on work, the slow half of its tests (a few seconds: each case walks
// MAX_INPUT_VALUES values). Listed last in the runtime part's mutation tests, so only the mutants
// that input-snapshot.test.ts and the others leave alive pay for it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_INPUT_VALUES } from "../../compile/values.ts";
import { snapshotInput } from "../input-snapshot.ts";

const BOUND = `more than ${MAX_INPUT_VALUES} values (each shared value counted once for each place it appears)`;

describe("snapshotInput: a small graph that is huge as a tree meets the bound", () => {
  for (const [kind, pair] of [["objects", (v: unknown) => ({ a: v, b: v })], ["lists", (v: unknown) => [v, v]]] as const) {
    it(`${kind} shared 40 levels deep (2^40 leaves): nothing of the copy is kept, the fault says why`, () => {
      let v: unknown = "leaf";
      for (let i = 0; i < 40; i++) v = pair(v);
      const s = snapshotInput({ ok: 1, g: v });
      assert.deepStrictEqual(s.value, {});
      assert.equal(s.fault?.path, "input");
      assert.equal(s.fault?.message, BOUND);
    });
  }
});
