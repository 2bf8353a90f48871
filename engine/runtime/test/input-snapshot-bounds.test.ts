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
      // The bound counts itself besides the values refused before it (here, near the end, the
      // containers it had no room left for).
      assert.ok((s.fault?.count ?? 0) >= 2, JSON.stringify(s.fault));
    });
  }
});

describe("snapshotInput: a list that fills the room left exactly is copied", () => {
  it("a field holding a list of MAX_INPUT_VALUES - 1 holes: every item read (each a fault), nothing cut", () => {
    const l: unknown[] = [];
    l.length = MAX_INPUT_VALUES - 1;
    const s = snapshotInput({ l });
    assert.equal((s.value.l as unknown[]).length, MAX_INPUT_VALUES - 1);
    assert.deepStrictEqual(s.fault, { path: "l[0]", message: "a hole in a list (a sparse array), not JSON data", count: MAX_INPUT_VALUES - 1 });
  });
});

describe("snapshotInput: plain data of exactly MAX_INPUT_VALUES values", () => {
  it("is copied reading each property once (the quick copy takes it whole)", () => {
    let reads = 0;
    const input = {
      get g(): number {
        reads++;
        return 1;
      },
      l: new Array<number>(MAX_INPUT_VALUES - 2).fill(7),
    };
    const s = snapshotInput(input);
    assert.equal(s.fault, null);
    assert.equal(reads, 1);
    assert.equal((s.value.l as number[]).length, MAX_INPUT_VALUES - 2);
  });
});
