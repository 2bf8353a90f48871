// Time builtins. Instants are ISO-8601 strings at run time: `parse_time` reads one and
// returns its canonical UTC spelling (so that `==` between instants compares moments);
// functions typed to take an instant refuse a string that is not one, with a
// PolicyRuntimeError, since the checker cannot see inside strings.
import { formatInstant, hourOfDay, parseDuration, parseInstant, requireInstant, weekday } from "./time.ts";
import { Duration, asDuration, asString, type BuiltinImpl } from "./values.ts";

function durationIn(name: string, unitMs: number): BuiltinImpl {
  return (d) => (d === null ? null : asDuration(name, 1, d).ms / unitMs);
}

/** The time builtins, by name. */
export const TIME_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  parse_time(s) {
    if (s === null) return null;
    const t = parseInstant(asString("parse_time", 1, s));
    return t === null ? null : formatInstant(t);
  },
  parse_duration(s) {
    if (s === null) return null;
    const ms = parseDuration(asString("parse_duration", 1, s).trim());
    return ms === null ? null : new Duration(ms);
  },
  days: durationIn("days", 86_400_000),
  hours: durationIn("hours", 3_600_000),
  minutes: durationIn("minutes", 60_000),
  seconds: durationIn("seconds", 1000),
  hour_of_day: (t) => (t === null ? null : hourOfDay(requireInstant(asString("hour_of_day", 1, t), "hour_of_day"))),
  weekday: (t) => (t === null ? null : weekday(requireInstant(asString("weekday", 1, t), "weekday"))),
};
