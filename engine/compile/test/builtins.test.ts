import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILTINS } from "../../../language/builtins.ts";
import { builtinImpl, callBuiltin } from "../builtins.ts";

test("every builtin the checker knows has an implementation the evaluators call", () => {
  const missing = [...BUILTINS.keys()].filter((n) => builtinImpl(n) === undefined);
  assert.deepEqual(missing, []);
  assert.ok(BUILTINS.size > 30);
});

test("core and jsonlogic builtins are reachable by name", () => {
  assert.equal(callBuiltin("domain", ["Ann@Sub.Acme.COM"]), "sub.acme.com");
  assert.equal(callBuiltin("jsonlogic.truthy", [[]]), false);
  assert.equal(callBuiltin("jsonlogic.eq", ["1", 1]), true);
  assert.throws(() => callBuiltin("nope", []), /builtin 'nope' has no implementation/);
});
