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

// Folds one candidate into the running extreme; numbers and durations never mix.
function pick(name: string, index: number, best: Value, v: Value, better: (a: number, b: number) => boolean): Value {
  if (typeof v === "number") {
    if (best === null) return v;
    if (typeof best !== "number") throw typeError(name, index, "a duration like the others", v);
    return better(v, best) ? v : best;
  }
  if (v instanceof Duration) {
    if (best === null) return v;
    if (!(best instanceof Duration)) throw typeError(name, index, "a number like the others", v);
    return better(v.ms, best.ms) ? v : best;
  }
  throw typeError(name, index, "a number or a duration", v);
}

// `min`/`max` range over their arguments, or over the elements of a single list argument.
// Any null among them makes the result null, as arithmetic on null does.
function extreme(name: string, first: Value, more: readonly Value[], better: (a: number, b: number) => boolean): Value {
  if (first === null) return null;
  if (more.length === 0 && Array.isArray(first)) {
    const list = first as readonly Value[];
    let best: Value = null;
    for (let i = 0; i < list.length; i++) {
      if (list[i] === null) return null;
      best = pick(name, 1, best, list[i], better);
    }
    return best;
  }
  let best = pick(name, 1, null, first, better);
  for (let i = 0; i < more.length; i++) {
    if (more[i] === null) return null;
    best = pick(name, i + 2, best, more[i], better);
  }
  return best;
}

const less = (a: number, b: number): boolean => a < b;
const greater = (a: number, b: number): boolean => a > b;

/** The number builtins, by name. */
export const NUMBER_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  abs: unary("abs", Math.abs),
  round: unary("round", roundHalfAway),
  floor: unary("floor", Math.floor),
  ceil: unary("ceil", Math.ceil),
  min: (first, ...more) => extreme("min", first, more, less),
  max: (first, ...more) => extreme("max", first, more, greater),
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
