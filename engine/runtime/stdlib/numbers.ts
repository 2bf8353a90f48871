// Number builtins. `min`, `max` and `sum` also accept durations (all of one kind), since
// durations order and add among themselves; a mix of kinds is a type clash.
import { Duration, asNumber, typeError, type BuiltinImpl, type Value } from "./values.ts";

function unary(name: string, f: (x: number) => number): BuiltinImpl {
  return (x) => (x === null ? null : f(asNumber(name, 1, x)));
}

/** Rounds half away from zero (`round(-2.5) == -3`), unlike `Math.round`, which rounds half up. */
export function roundHalfAway(x: number): number {
  const r = Math.round(Math.abs(x));
  return x < 0 ? -r : r;
}

// The values `min`/`max` range over: the arguments, or the elements of a single list argument.
function extreme(name: string, args: readonly Value[], better: (a: number, b: number) => boolean): Value {
  let values = args;
  if (args.length === 1 && Array.isArray(args[0])) values = args[0] as readonly Value[];
  else if (args.length === 1 && args[0] === null) return null;
  if (values.length === 0) return null;
  let best: Value = null;
  let bestMs = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) return null;
    if (typeof v === "number") {
      if (best !== null && typeof best !== "number") throw typeError(name, i + 1, "a duration like the others", v);
      if (best === null || better(v, best)) best = v;
    } else if (v instanceof Duration) {
      if (best !== null && !(best instanceof Duration)) throw typeError(name, i + 1, "a number like the others", v);
      if (best === null || better(v.ms, bestMs)) {
        best = v;
        bestMs = v.ms;
      }
    } else {
      throw typeError(name, i + 1, args.length === 1 ? "a list of numbers" : "a number", v);
    }
  }
  return best;
}

/** The number builtins, by name. */
export const NUMBER_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  abs: unary("abs", Math.abs),
  round: unary("round", roundHalfAway),
  floor: unary("floor", Math.floor),
  ceil: unary("ceil", Math.ceil),
  min: (...values) => extreme("min", values, (a, b) => a < b),
  max: (...values) => extreme("max", values, (a, b) => a > b),
  sum(xs) {
    if (xs === null) return null;
    if (!Array.isArray(xs)) throw typeError("sum", 1, "a list of numbers", xs);
    const list = xs as readonly Value[];
    if (list.length > 0 && list[0] instanceof Duration) {
      let ms = 0;
      for (let i = 0; i < list.length; i++) {
        const v = list[i];
        if (v === null) return null;
        if (!(v instanceof Duration)) throw typeError("sum", 1, "a list of durations (element " + (i + 1) + ")", v);
        ms += v.ms;
      }
      return new Duration(ms);
    }
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (v === null) return null;
      if (typeof v !== "number") throw typeError("sum", 1, "a list of numbers (element " + (i + 1) + ")", v);
      total += v;
    }
    return total;
  },
};
