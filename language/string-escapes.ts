// Escapes in string literals (spec/decisions.md): `\" \\ \/ \n \r \t \{ \} \uXXXX \u{X...}`.
// The lexer uses the problems (E104); the CST-to-AST step uses the decoded value.

/** One invalid escape, relative to the start of the text that was decoded. */
export interface EscapeProblem {
  readonly offset: number;
  readonly length: number;
  readonly message: string;
  readonly help?: string;
}

const simple: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", n: "\n", r: "\r", t: "\t", "{": "{", "}": "}" };

/** The escape starting at `body[i]` (a backslash): its decoded text and length, or a problem. */
export function decodeEscape(body: string, i: number): { text: string; length: number } | EscapeProblem {
  const c = body[i + 1];
  if (c === undefined) return { offset: i, length: 1, message: "a string may not end with '\\'", help: "write '\\\\' for a backslash" };
  const s = simple[c];
  if (s !== undefined) return { text: s, length: 2 };
  if (c === "u") {
    if (body[i + 2] === "{") {
      const close = body.indexOf("}", i + 3);
      const hex = close < 0 ? "" : body.slice(i + 3, close);
      if (close < 0 || !/^[0-9A-Fa-f]{1,6}$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff) {
        const length = close < 0 ? 3 : close - i + 1;
        return { offset: i, length, message: `invalid unicode escape '${body.slice(i, i + Math.min(length, 12))}'`, help: "write \\u{...} with 1 to 6 hex digits, at most 10FFFF" };
      }
      return { text: String.fromCodePoint(Number.parseInt(hex, 16)), length: close - i + 1 };
    }
    const hex = body.slice(i + 2, i + 6);
    if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
      return { offset: i, length: 2, message: `invalid unicode escape '${body.slice(i, i + 6)}'`, help: "write \\uXXXX with exactly four hex digits, or \\u{...}" };
    }
    return { text: String.fromCharCode(Number.parseInt(hex, 16)), length: 6 };
  }
  const shown = String.fromCodePoint(body.codePointAt(i + 1) ?? 0);
  return {
    offset: i,
    length: 1 + shown.length,
    message: `invalid escape '\\${shown}'`,
    help: 'the escapes are \\" \\\\ \\/ \\n \\r \\t \\{ \\} \\uXXXX and \\u{X...}',
  };
}

/** Decodes the text between the quotes of a string literal; invalid escapes are kept as written. */
export function decodeString(body: string): { value: string; problems: EscapeProblem[] } {
  const problems: EscapeProblem[] = [];
  let value = "";
  let i = 0;
  while (i < body.length) {
    const j = body.indexOf("\\", i);
    if (j < 0) {
      value += body.slice(i);
      break;
    }
    value += body.slice(i, j);
    const r = decodeEscape(body, j);
    if ("text" in r) {
      value += r.text;
      i = j + r.length;
    } else {
      problems.push(r);
      value += body.slice(j, j + r.length);
      i = j + r.length;
    }
  }
  return { value, problems };
}
