// `.policy` syntax highlighting for CodeMirror: a small stream tokenizer over the language's
// lexical classes (keywords, effects, strings, numbers, durations, regexes, comments).
import { StreamLanguage } from "@codemirror/language";
import type { StreamParser } from "@codemirror/language";

const KEYWORDS = new Set(["package", "import", "as", "const", "def", "rule", "on", "when", "unless", "then", "test", "expect", "by", "default", "on_error", "severity", "controls", "tags", "owner", "from", "with", "in", "and", "or", "not", "any", "all", "count", "where", "contains", "matches", "like", "true", "false", "null"]);
const EFFECTS = new Set(["deny", "allow", "require_approval", "warn", "redact", "set"]);
const PHASES = new Set(["input", "model_call", "tool_call", "tool_result", "output"]);

interface State {
  inComment: boolean;
  lastWasValue: boolean;
}

const parser: StreamParser<State> = {
  name: "policy",
  startState: () => ({ inComment: false, lastWasValue: false }),
  token(stream, state) {
    if (state.inComment) {
      if (stream.skipTo("*/")) {
        stream.next();
        stream.next();
        state.inComment = false;
      } else stream.skipToEnd();
      return "comment";
    }
    if (stream.eatSpace()) return null;
    if (stream.match("//")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.match("/*")) {
      state.inComment = true;
      return "comment";
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) {
      state.lastWasValue = true;
      return "string";
    }
    // A slash after a value divides; anywhere else it opens a regex literal.
    if (!state.lastWasValue && stream.match(/^\/(?:[^/\\\n]|\\.)+\/[imsu]*/)) {
      state.lastWasValue = true;
      return "regexp";
    }
    if (stream.match(/^\d+(?:\.\d+)?(?:ms|s|m|h|d)?\b/)) {
      state.lastWasValue = true;
      return "number";
    }
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) as RegExpMatchArray | null;
    if (word) {
      const w = word[0];
      state.lastWasValue = !KEYWORDS.has(w) || w === "true" || w === "false" || w === "null";
      if (EFFECTS.has(w)) return "keyword strong";
      if (KEYWORDS.has(w)) return w === "true" || w === "false" || w === "null" ? "atom" : "keyword";
      if (PHASES.has(w)) return "typeName";
      return "variableName";
    }
    const ch = stream.next();
    state.lastWasValue = ch === ")" || ch === "]" || ch === "}";
    return /[=<>!+\-*%]/.test(ch ?? "") ? "operator" : "punctuation";
  },
  languageData: { commentTokens: { line: "//", block: { open: "/*", close: "*/" } } },
};

/** The `.policy` language for CodeMirror. */
export const policyLanguage = StreamLanguage.define(parser);
