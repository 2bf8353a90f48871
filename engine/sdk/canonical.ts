// RFC 8785 canonical JSON of a decision's input, for its audit digest (and of the small fields
// the recorder writes as canonical text around an input).

/**
 * The RFC 8785 text of `value`. Numbers use ECMAScript's shortest round-trip form (which the RFC
 * adopts) and keys sort by UTF-16 code units (JavaScript's default string order), so the
 * output matches any conforming implementation. Values JSON lacks are written as JSON.stringify
 * would (undefined properties dropped, undefined in arrays as null, toJSON honoured); a BigInt
 * becomes its decimal string.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? "null";
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? (Object.is(value, -0) ? "0" : String(value)) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return JSON.stringify(value.toString());
    case "object": {
      if (value === null) return "null";
      const withJson = value as { toJSON?: () => unknown };
      if (typeof withJson.toJSON === "function") return write(withJson.toJSON());
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += write(value[i]) ?? "null";
        }
        return `${out}]`;
      }
      const keys = Object.keys(value).sort();
      let out = "{";
      let first = true;
      for (const k of keys) {
        const v = write((value as Record<string, unknown>)[k]);
        if (v === undefined) continue;
        out += `${first ? "" : ","}${JSON.stringify(k)}:${v}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}
