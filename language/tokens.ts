// Token definitions for `.policy` files (spec/decisions.md, "Lexical"). The order of
// `ALL_TOKENS` is the lexer's matching order: comments before the regex matcher before `/`,
// durations and malformed numbers before plain numbers, keywords before identifiers.
//
// Malformed literals (unterminated strings and regexes, `10x`) are tokens of their own that
// belong to the category of the literal they imitate: the parser accepts them where the
// literal may stand, so one mistake gives one diagnostic (from the lexer) instead of a
// cascade of parse errors.
import { createToken, Lexer, type CustomPatternMatcherReturn, type IToken, type TokenType } from "chevrotain";

/** Whitespace and newlines carry no meaning: effect lists accept a newline where a comma may stand. */
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED, line_breaks: true });

/** The group holding comments, kept for the formatter and for doc comments. */
export const COMMENTS = "comments";

/** `/// ...`: a doc comment, attached to the declaration directly below it. */
export const DocComment = createToken({ name: "DocComment", pattern: /\/\/\/(?!\/)[^\n\r]*/, group: COMMENTS });
/** `// ...`. */
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: COMMENTS });
/** `/* ... *\/` (not nested). */
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: COMMENTS, line_breaks: true });
/** A `/*` with no closing `*\/`: reported as E102, kept as a comment so the rest is not re-lexed as code. */
export const UnterminatedBlockComment = createToken({ name: "UnterminatedBlockComment", pattern: /\/\*[\s\S]*/, group: COMMENTS, line_breaks: true });

/** Every keyword, and identifiers: what may follow `.` or stand as an object key. */
export const IdentifierName = createToken({ name: "IdentifierName", pattern: Lexer.NA, label: "a name" });
/** The category of all keywords. */
export const Keyword = createToken({ name: "Keyword", pattern: Lexer.NA });
/** The category of regex literals, well-formed or not. */
export const RegexLiteral = createToken({ name: "RegexLiteral", pattern: Lexer.NA, label: "a regex" });
/** The category of string literals, well-formed or not. */
export const StringLiteral = createToken({ name: "StringLiteral", pattern: Lexer.NA, label: "a string" });
/** The category of number literals, well-formed or not. */
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: Lexer.NA, label: "a number" });

/** `[A-Za-z_][A-Za-z0-9_]*` that is not a keyword. */
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [IdentifierName], label: "a name" });

const keywordTokens: TokenType[] = [];
function keyword(word: string): TokenType {
  const name = word
    .split("_")
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
  const t = createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, categories: [Keyword, IdentifierName], label: `'${word}'` });
  keywordTokens.push(t);
  return t;
}

// `longer_alt` sends `input`, `owner_id`... to Identifier.
/** `require_approval`. */
export const RequireApproval = keyword("require_approval");
/** `on_error`. */
export const OnError = keyword("on_error");
/** `package`. */
export const Package = keyword("package");
/** `import`. */
export const Import = keyword("import");
/** `as`. */
export const As = keyword("as");
/** `const`. */
export const Const = keyword("const");
/** `def`. */
export const Def = keyword("def");
/** `rule`. */
export const Rule = keyword("rule");
/** `on`. */
export const On = keyword("on");
/** `test`. */
export const Test = keyword("test");
/** `expect`. */
export const Expect = keyword("expect");
/** `by`. */
export const By = keyword("by");
/** `default`. */
export const Default = keyword("default");
/** `when`. */
export const When = keyword("when");
/** `unless`. */
export const Unless = keyword("unless");
/** `then`. */
export const Then = keyword("then");
/** `deny`. */
export const Deny = keyword("deny");
/** `from`. */
export const From = keyword("from");
/** `allow`. */
export const Allow = keyword("allow");
/** `warn`. */
export const Warn = keyword("warn");
/** `redact`. */
export const Redact = keyword("redact");
/** `with`. */
export const With = keyword("with");
/** `set`. */
export const SetKw = keyword("set");
/** `any`. */
export const Any = keyword("any");
/** `all`. */
export const All = keyword("all");
/** `count`. */
export const Count = keyword("count");
/** `where`. */
export const Where = keyword("where");
/** `in`. */
export const In = keyword("in");
/** `not`. */
export const Not = keyword("not");
/** `and`. */
export const And = keyword("and");
/** `or`. */
export const Or = keyword("or");
/** `contains`. */
export const Contains = keyword("contains");
/** `has` (presence: `tool.args has amount`). */
export const Has = keyword("has");
/** `param` (a const a deployment may configure). */
export const Param = keyword("param");
/** `configure` (set another package's params). */
export const Configure = keyword("configure");
/** `matches`. */
export const Matches = keyword("matches");
/** `like`. */
export const Like = keyword("like");
/** `starts` (of `starts with`). */
export const Starts = keyword("starts");
/** `ends` (of `ends with`). */
export const Ends = keyword("ends");
/** `true`. */
export const True = keyword("true");
/** `false`. */
export const False = keyword("false");
/** `null`. */
export const Null = keyword("null");
/** `severity`. */
export const SeverityKw = keyword("severity");
/** `controls`. */
export const Controls = keyword("controls");
/** `tags`. */
export const Tags = keyword("tags");
/** `owner`. */
export const Owner = keyword("owner");
/** `payload`. */
export const Payload = keyword("payload");

// A keyword that is a prefix of another (`def`/`default`, `set`/`severity`, `on`/`on_error`)
// must be tried after it: `longer_alt` would turn the longer one into an identifier.
keywordTokens.sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length);

/** Every keyword token, in matching order (longest first). */
export const KEYWORDS: readonly TokenType[] = keywordTokens;

/** `"..."` on one line; escapes are checked after lexing (E104). */
export const GoodString = createToken({ name: "GoodString", pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/, categories: [StringLiteral], label: "a string" });
/** A string that reaches the end of its line: E101. */
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*\\?/, categories: [StringLiteral], label: "a string" });

/** `250ms`, `30s`, `1.5h`, `7d`. */
export const Duration = createToken({ name: "Duration", pattern: /\d+(?:\.\d+)?(?:ms|s|m|h|d)(?![A-Za-z0-9_])/, label: "a duration" });
/** A number run into letters (`10x`, `1e3s`, `2e`): E105. A complete exponent (`1e0`) is never split to make one. */
export const BadNumber = createToken({ name: "BadNumber", pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+(?=[A-Za-z_])|(?![eE][+-]?\d))[A-Za-z_][A-Za-z0-9_]*/, categories: [NumberLiteral], label: "a number" });
/** `12`, `3.5`, `1e3`, `2.5E-3`. */
export const GoodNumber = createToken({ name: "GoodNumber", pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, categories: [NumberLiteral], label: "a number" });

/** `==`. */
export const EqEq = createToken({ name: "EqEq", pattern: "==", label: "'=='" });
/** `!=`. */
export const NotEq = createToken({ name: "NotEq", pattern: "!=", label: "'!='" });
/** `<=`. */
export const LtEq = createToken({ name: "LtEq", pattern: "<=", label: "'<='" });
/** `>=`. */
export const GtEq = createToken({ name: "GtEq", pattern: ">=", label: "'>='" });
/** `<`. */
export const Lt = createToken({ name: "Lt", pattern: "<", label: "'<'" });
/** `>`. */
export const Gt = createToken({ name: "Gt", pattern: ">", label: "'>'" });
/** `=` (const, def and set only). */
export const Assign = createToken({ name: "Assign", pattern: "=", label: "'='" });
/** `+`. */
export const Plus = createToken({ name: "Plus", pattern: "+", label: "'+'" });
/** `-`. */
export const Minus = createToken({ name: "Minus", pattern: "-", label: "'-'" });
/** `*`. */
export const Star = createToken({ name: "Star", pattern: "*", label: "'*'" });
/** `/` as division (a regex literal where an operand may start). */
export const Slash = createToken({ name: "Slash", pattern: "/", label: "'/'" });
/** `%`. */
export const Percent = createToken({ name: "Percent", pattern: "%", label: "'%'" });
/** `(`. */
export const LParen = createToken({ name: "LParen", pattern: "(", label: "'('" });
/** `)`. */
export const RParen = createToken({ name: "RParen", pattern: ")", label: "')'" });
/** `[`. */
export const LBracket = createToken({ name: "LBracket", pattern: "[", label: "'['" });
/** `]`. */
export const RBracket = createToken({ name: "RBracket", pattern: "]", label: "']'" });
/** `{`. */
export const LBrace = createToken({ name: "LBrace", pattern: "{", label: "'{'" });
/** `}`. */
export const RBrace = createToken({ name: "RBrace", pattern: "}", label: "'}'" });
/** `,`. */
export const Comma = createToken({ name: "Comma", pattern: ",", label: "','" });
/** `:`. */
export const Colon = createToken({ name: "Colon", pattern: ":", label: "':'" });
/** `.`. */
export const Dot = createToken({ name: "Dot", pattern: ".", label: "'.'" });

// Tokens after which an operand may start, so a `/` there opens a regex (spec/decisions.md).
const operandMayFollow: ReadonlySet<TokenType> = new Set<TokenType>([
  EqEq, NotEq, LtEq, GtEq, Lt, Gt, Assign, Plus, Minus, Star, Slash, Percent, LParen, LBracket, Comma, Colon,
]);
const keywordSet: ReadonlySet<TokenType> = new Set<TokenType>(keywordTokens);

/** Whether a `/` after `tokens[0..end)` starts a regex literal rather than dividing (an operand may start there). */
export function regexMayStartAfter(tokens: readonly IToken[], end = tokens.length): boolean {
  const prev = tokens[end - 1];
  if (prev === undefined) return true;
  if (operandMayFollow.has(prev.tokenType)) return true;
  // `true`, `false` and `null` end an operand, as does a keyword after `.` (a property,
  // `tool.args.from / 2`): an operator follows them, so `/` divides.
  if (prev.tokenType === True || prev.tokenType === False || prev.tokenType === Null) return false;
  if (keywordSet.has(prev.tokenType)) return tokens[end - 2]?.tokenType !== Dot;
  return false;
}

/**
 * Scans a regex literal's body and flags from the `/` at `offset`; returns the end offset, or
 * -1 when the line or the text ends before the closing `/`. A `/` inside `[...]` or escaped
 * does not close it, as in JavaScript.
 */
export function scanRegex(text: string, offset: number): number {
  let i = offset + 1;
  let inClass = false;
  for (;;) {
    const c = text.charCodeAt(i);
    if (i >= text.length || c === 10 || c === 13) return -1;
    if (c === 92 /* \ */) {
      const n = text.charCodeAt(i + 1);
      if (i + 1 >= text.length || n === 10 || n === 13) return -1;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === 93 /* ] */) inClass = false;
    } else if (c === 91 /* [ */) inClass = true;
    else if (c === 47 /* / */) break;
    i++;
  }
  i++;
  while (i < text.length && /[A-Za-z]/.test(text[i])) i++;
  return i;
}

function startsRegex(text: string, offset: number, tokens: IToken[]): boolean {
  if (text.charCodeAt(offset) !== 47) return false;
  const next = text.charCodeAt(offset + 1);
  // `//` and `/*` are comments, matched before this token is tried; guard anyway.
  if (next === 47 || next === 42) return false;
  return regexMayStartAfter(tokens);
}

/** `/.../flags` where an operand may start; flags are all the letters that follow (the checker screens them, E503). */
export const GoodRegex = createToken({
  name: "GoodRegex",
  pattern: {
    exec(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
      if (!startsRegex(text, offset, tokens)) return null;
      const end = scanRegex(text, offset);
      return end < 0 ? null : [text.slice(offset, end)];
    },
  },
  line_breaks: false,
  start_chars_hint: ["/"],
  categories: [RegexLiteral],
  label: "a regex",
});

/** A regex literal that reaches the end of its line: E106. */
export const UnterminatedRegex = createToken({
  name: "UnterminatedRegex",
  pattern: {
    exec(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
      if (!startsRegex(text, offset, tokens)) return null;
      let end = offset + 1;
      while (end < text.length && text[end] !== "\n" && text[end] !== "\r") end++;
      return [text.slice(offset, end)];
    },
  },
  line_breaks: false,
  start_chars_hint: ["/"],
  categories: [RegexLiteral],
  label: "a regex",
});

/** All token types, in the lexer's matching order. */
export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  GoodRegex,
  UnterminatedRegex,
  GoodString,
  UnterminatedString,
  Duration,
  BadNumber,
  GoodNumber,
  ...keywordTokens,
  Identifier,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  Lt,
  Gt,
  Assign,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Dot,
  IdentifierName,
  Keyword,
  RegexLiteral,
  StringLiteral,
  NumberLiteral,
];
