// Canonical spelling of literals: how the formatter (and the JSON Logic importer) writes a string,
// a message template's text or an object key, whatever escapes the author used.

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `s` can be written bare as an object key or after `.` (keywords are allowed there). */
export function isIdentifier(s: string): boolean {
  return IDENT.test(s);
}

function hex4(code: number): string {
  return `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * `s` as the body of a double-quoted literal: `\"`, `\\`, `\n`, `\r`, `\t`, and `\uXXXX` for
 * other control characters, line/paragraph separators and lone surrogates; everything else as
 * is. In a message template, braces are escaped too (`\{`, `\}`), since `{` opens an interpolation.
 */
export function escapeText(s: string, template = false): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (template && (ch === "{" || ch === "}")) out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) out += hex4(c);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2);
        i++;
      } else out += hex4(c);
    } else if (c >= 0xdc00 && c <= 0xdfff) out += hex4(c);
    else out += ch;
  }
  return out;
}

/** `s` as a canonical string literal, quotes included. */
export function quoteString(s: string): string {
  return `"${escapeText(s)}"`;
}
