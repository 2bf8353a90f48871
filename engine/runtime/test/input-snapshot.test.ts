// snapshotInput on its own: what the copy keeps, what it refuses (path, message, count), and that
// it reads each property once. hostile-input.test.ts holds the same promises through decide; this
// file pins the copy's edges directly (and is the runtime part's fast killer under mutation).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_INPUT_VALUES } from "../../compile/values.ts";
import { snapshotInput, type InputFault } from "../input-snapshot.ts";

function fault(input: object): InputFault {
  const s = snapshotInput(input);
  assert.ok(s.fault !== null, `no fault for ${JSON.stringify(s.value)}`);
  return s.fault;
}

/** A plain object whose every field is a getter counting its reads (the copy must read each once). */
function counted(fields: Record<string, unknown>, reads: Map<string, number>, prefix = ""): object {
  const o = {};
  for (const [k, v] of Object.entries(fields)) {
    Object.defineProperty(o, k, {
      enumerable: true,
      get: () => {
        reads.set(prefix + k, (reads.get(prefix + k) ?? 0) + 1);
        return v;
      },
    });
  }
  return o;
}

function nest(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe("snapshotInput: plain data", () => {
  it("is copied as it is, a new object, undefined fields left out", () => {
    const input = { s: "x", n: -1.5, b: false, z: null, u: undefined, l: [1, "2", [true], { k: null }], o: { p: { q: 0 } } };
    const s = snapshotInput(input);
    assert.equal(s.fault, null);
    assert.deepStrictEqual(s.value, { s: "x", n: -1.5, b: false, z: null, l: [1, "2", [true], { k: null }], o: { p: { q: 0 } } });
    assert.equal(Object.hasOwn(s.value, "u"), false);
    assert.notEqual(s.value, input);
    assert.notEqual(s.value.l, input.l);
    assert.notEqual(s.value.o, input.o);
  });

  it("null-prototype objects are plain; an empty input is an empty object", () => {
    const o = Object.assign(Object.create(null) as object, { a: 1, inner: Object.assign(Object.create(null) as object, { b: [2] }) });
    assert.deepStrictEqual(snapshotInput(o), { value: { a: 1, inner: { b: [2] } }, fault: null });
    assert.deepStrictEqual(snapshotInput({}), { value: {}, fault: null });
  });

  it("reads each getter exactly once, at every depth (nothing is copied twice)", () => {
    const reads = new Map<string, number>();
    const bare = Object.setPrototypeOf(counted({ h: true }, reads, "g."), null) as object;
    const input = counted({ a: 1, b: counted({ c: [counted({ d: "x" }, reads, "b.c.")], e: null, u: undefined }, reads, "b."), f: [1, 2], g: bare, undefined: 0 }, reads);
    const s = snapshotInput(input);
    assert.equal(s.fault, null);
    assert.deepStrictEqual(s.value, { a: 1, b: { c: [{ d: "x" }], e: null }, f: [1, 2], g: { h: true }, undefined: 0 });
    assert.deepStrictEqual(Object.fromEntries(reads), { a: 1, b: 1, "b.c": 1, "b.c.d": 1, "b.e": 1, "b.u": 1, f: 1, g: 1, "g.h": 1, undefined: 1 });
  });

  it("plain data 250 deep is read once too; past 256 it is still copied, and a refused leaf is found", () => {
    const reads = new Map<string, number>();
    const s = snapshotInput({ v: nest(250, counted({ x: 1 }, reads)) });
    assert.equal(s.fault, null);
    assert.deepStrictEqual(Object.fromEntries(reads), { x: 1 });
    const deep = snapshotInput({ v: nest(600, "leaf") });
    assert.equal(deep.fault, null);
    assert.deepStrictEqual(deep.value, { v: nest(600, "leaf") });
    const bad = fault({ v: nest(300, 1n) });
    assert.equal(bad.path, `v${".a".repeat(300)}`);
  });

  it("a __proto__ field stays a field of the copy (not its prototype)", () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "k": [{"__proto__": 2}]}') as object;
    const s = snapshotInput(input);
    assert.equal(s.fault, null);
    assert.equal(Object.getPrototypeOf(s.value), Object.prototype);
    assert.deepStrictEqual(Object.keys(s.value), ["__proto__", "k"]);
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(s.value, "__proto__")?.value, { x: 1 });
    const item = (s.value.k as object[])[0];
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(item, "__proto__"), { value: 2, enumerable: true, writable: true, configurable: true });
    assert.equal(Object.getPrototypeOf(item), Object.prototype);
    for (const sole of [snapshotInput(JSON.parse('{"__proto__": {"x": 1}}') as object), snapshotInput(JSON.parse('{"__proto__": 5}') as object)]) {
      assert.equal(Object.getPrototypeOf(sole.value), Object.prototype);
      assert.deepStrictEqual(Object.keys(sole.value), ["__proto__"]);
    }
  });
});

describe("snapshotInput: what it refuses, where, and how many", () => {
  it("beside a refused value, the rest is copied as it is (null, booleans, undefined fields, null prototypes, shared values)", () => {
    const shared = { v: [1] };
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    const s = snapshotInput({ bad: 1n, z: null, t: true, f: false, u: undefined, bare, a: shared, b: shared, l: [shared, null, false] });
    assert.deepStrictEqual(s.value, { z: null, t: true, f: false, bare: { a: 1 }, a: { v: [1] }, b: { v: [1] }, l: [{ v: [1] }, null, false] });
    assert.equal(Object.hasOwn(s.value, "u"), false);
    assert.deepStrictEqual(s.fault, { path: "bad", message: "a BigInt, not JSON data (send it as a number or a string)", count: 1 });
  });

  it("a function or a Date is refused whatever its prototype, and under a null-prototype root", () => {
    const fn = Object.setPrototypeOf(() => 1, null) as object;
    assert.deepStrictEqual(snapshotInput({ fn }), { value: {}, fault: { path: "fn", message: "a function, not JSON data", count: 1 } });
    const root = Object.assign(Object.create(null) as object, { d: new Date(0), ok: 1 });
    assert.deepStrictEqual(snapshotInput(root), { value: { ok: 1 }, fault: { path: "d", message: "a Date, not JSON data", count: 1 } });
  });

  it("leaves: BigInt, function, symbol, NaN and the infinities", () => {
    const cases: [unknown, RegExp][] = [
      [1n, /^a BigInt, not JSON data \(send it as a number or a string\)$/],
      [() => 1, /^a function, not JSON data$/],
      [Symbol("s"), /^a symbol, not JSON data$/],
      [Number.NaN, /^the number NaN, not JSON data$/],
      [Infinity, /^the number Infinity, not JSON data$/],
      [-Infinity, /^the number -Infinity, not JSON data$/],
    ];
    for (const [v, message] of cases) {
      const s = snapshotInput({ ok: 1, bad: v });
      assert.deepStrictEqual(s.value, { ok: 1 });
      assert.equal(s.fault?.path, "bad");
      assert.match(s.fault?.message ?? "", message);
      assert.equal(s.fault?.count, 1);
      const l = snapshotInput({ l: ["a", v, "b"] });
      assert.deepStrictEqual(l.value, { l: ["a", null, "b"] });
      assert.deepStrictEqual({ ...l.fault, message: "" }, { path: "l[1]", message: "", count: 1 });
    }
  });

  it("paths: identifiers dotted, other keys quoted, list items indexed; the first fault named, all counted", () => {
    const f = fault({ a: { "b c": [{ _x9: [0, { "9z": 1n }] }] }, later: Symbol("s"), again: [NaN] });
    assert.equal(f.path, 'a["b c"][0]._x9[1]["9z"]');
    assert.equal(f.count, 3);
    assert.equal(fault({ "": 1n }).path, '[""]');
    assert.equal(fault({ "a-b": 1n }).path, '["a-b"]');
    assert.equal(fault({ ab1: { "1ab": 1n } }).path, 'ab1["1ab"]');
    assert.equal(fault({ Z_: { "x.y": 1n } }).path, 'Z_["x.y"]');
    assert.equal(fault({ a: { "b\n": 1n } }).path, 'a["b\\n"]');
    assert.equal(fault({ a: { " b": 1n } }).path, 'a[" b"]');
    assert.equal(fault({ a: { "b ": 1n } }).path, 'a["b "]');
    assert.equal(fault({ l: [[0, 1, [2, 3, 4, 1n]]] }).path, "l[0][2][3]");
  });

  it("holes and undefined items are null, each a fault", () => {
    const s = snapshotInput({ l: [1, , undefined, 2] });
    assert.deepStrictEqual(s.value, { l: [1, null, null, 2] });
    assert.deepStrictEqual(s.fault, { path: "l[1]", message: "a hole in a list (a sparse array), not JSON data", count: 2 });
    assert.deepStrictEqual(snapshotInput({ l: [undefined] }).fault, { path: "l[0]", message: "undefined in a list, not JSON data", count: 1 });
  });

  it("a cycle is refused where it closes; a value shared by two parents is copied twice", () => {
    const o: Record<string, unknown> = { k: 1 };
    o.self = o;
    const s = snapshotInput({ o });
    assert.deepStrictEqual(s.value, { o: { k: 1 } });
    assert.deepStrictEqual(s.fault, { path: "o.self", message: "a cycle (a value that contains itself)", count: 1 });
    const l: unknown[] = [];
    l.push([l]);
    assert.deepStrictEqual(snapshotInput({ l }).fault, { path: "l[0][0]", message: "a cycle (a value that contains itself)", count: 1 });
    const shared = { v: [1] };
    const t = snapshotInput({ a: shared, b: shared, c: [shared, shared] });
    assert.equal(t.fault, null);
    assert.deepStrictEqual(t.value, { a: { v: [1] }, b: { v: [1] }, c: [{ v: [1] }, { v: [1] }] });
    assert.notEqual(t.value.a, t.value.b);
  });

  it("the input itself: a cycle through it, a non-plain or throwing root", () => {
    const root: Record<string, unknown> = { a: 1 };
    root.me = root;
    assert.deepStrictEqual(snapshotInput(root), { value: { a: 1 }, fault: { path: "me", message: "a cycle (a value that contains itself)", count: 1 } });
    assert.deepStrictEqual(snapshotInput(new Map([["a", 1]])), { value: {}, fault: { path: "input", message: "a Map, not JSON data", count: 1 } });
    assert.deepStrictEqual(snapshotInput([1, 2]), { value: {}, fault: { path: "input", message: "not an object", count: 1 } });
    const trap = new Proxy({}, { getPrototypeOf: () => { throw new Error("no proto"); } });
    assert.deepStrictEqual(snapshotInput(trap), { value: {}, fault: { path: "input", message: "a value that threw when read (no proto)", count: 1 } });
  });

  it("objects that are not plain data are named", () => {
    class Point {
      x = 1;
    }
    const Anonymous = (() => class {})();
    const named = (v: unknown): string => fault({ v }).message;
    assert.equal(named(new Date(0)), "a Date, not JSON data");
    assert.equal(named(new Set()), "a Set, not JSON data");
    assert.equal(named(new Uint8Array(2)), "a Uint8Array, not JSON data");
    assert.equal(named(/x/), "a RegExp, not JSON data");
    assert.equal(named(new Point()), "an instance of Point, not JSON data");
    assert.equal(named(new Anonymous()), "an object with a prototype, not JSON data");
    assert.equal(named(Object.create(Object.create(Object.create(null) as object) as object)), "an object with a prototype, not JSON data");
    assert.equal(named(Object.create({ constructor: { name: 7 } }) as object), "an object with a prototype, not JSON data");
    for (const [v, kind] of [[new String("s"), "string"], [new Number(1), "number"], [new Boolean(true), "boolean"], [Object(Symbol("s")), "symbol"], [Object(1n), "bigint"]] as const) {
      assert.equal(named(v), `a boxed ${kind}, not JSON data`);
    }
    // Its tag read throws (a proxy whose get trap throws, over a class instance): still named.
    const hostile = new Proxy(new Point(), { get: () => { throw new Error("no"); } });
    assert.equal(named(hostile), "an object with a prototype, not JSON data");
  });

  it("a getter or trap that throws is a fault at its path, its message cut at 200 characters", () => {
    const thrower = (err: unknown): object => ({ get v() { throw err; } });
    assert.deepStrictEqual(fault({ a: thrower(new Error("boom")) }), { path: "a.v", message: "a value that threw when read (boom)", count: 1 });
    assert.equal(fault({ a: thrower("plain string") }).message, "a value that threw when read (plain string)");
    const long = "x".repeat(250);
    assert.equal(fault({ a: thrower(new Error(long)) }).message, `a value that threw when read (${"x".repeat(200)}...)`);
    assert.equal(fault({ a: thrower(new Error("y".repeat(200))) }).message, `a value that threw when read (${"y".repeat(200)})`);
    const unprintable = { toString: () => { throw new Error("again"); } };
    assert.equal(fault({ a: thrower(unprintable) }).message, "a value that threw when read (an unprintable value)");
    const keys = new Proxy({}, { ownKeys: () => { throw new Error("keys"); } });
    assert.deepStrictEqual(fault({ k: keys }), { path: "k", message: "a value that threw when read (keys)", count: 1 });
    const item = new Proxy([1, 2], { get: (t, p) => { if (p === "1") throw new Error("item"); return Reflect.get(t, p); } });
    assert.deepStrictEqual(snapshotInput({ l: item }), { value: { l: [1, null] }, fault: { path: "l[1]", message: "a value that threw when read (item)", count: 1 } });
  });

  it("a list longer than the budget is refused by its length, before any item is read", () => {
    const huge: unknown[] = [];
    huge.length = MAX_INPUT_VALUES + 1;
    const s = snapshotInput({ ok: true, huge });
    assert.deepStrictEqual(s.value, { ok: true });
    assert.deepStrictEqual(s.fault, { path: "huge", message: `a list of ${MAX_INPUT_VALUES + 1} items, more than the ${MAX_INPUT_VALUES} values an input may hold`, count: 1 });
  });
});
