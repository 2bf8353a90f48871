// Human messages for chevrotain's parse errors ("expected an expression after 'and', found
// ')'") in place of its default dumps of token type names. Help lines are added in parse.ts,
// which sees the whole error.
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";

/** What the parser was looking for, by the grammar rule that failed to find it. */
const WANTED: Readonly<Record<string, string>> = {
  file: "a declaration (package, import, default, on_error, const, def, rule or test)",
  topDecl: "a declaration (package, import, default, on_error, const, def, rule or test)",
  ruleItem: "a rule item (severity, controls, tags, owner, when, unless or then)",
  thenItem: "an effect (deny, require_approval, allow, warn, redact or set)",
  effect: "an effect (deny, require_approval, allow, warn, redact or set)",
  settingValue: "'deny' or 'allow'",
  expectClause: "an expectation (allow, deny, require_approval, 'warn by', or 'payload.<path> == <value>')",
  redactEffect: "a regex or a detector such as pii.email",
  postfixOp: "'.name', '[index]' or '(arguments)'",
  pathStep: "'.name' or '[index]'",
  objectEntry: "a key (a name or a string)",
  objectLit: "a key (a name or a string) or '}'",
  binaryOp: "an operator",
  arithOp: "'+', '-', '*', '/' or '%'",
  quantifier: "'any', 'all' or 'count'",
};

const EXPRESSION_RULES = new Set(["atom", "operand", "expression", "arithExpr", "exprList", "parenExpr", "listLit", "templateExpression"]);

/** How a token is shown in a message: quoted and cut short, or "the end of the file". */
export function describeToken(t: IToken | undefined): string {
  if (t === undefined || t.tokenType === EOF) return "the end of the file";
  const image = t.image.length > 24 ? `${t.image.slice(0, 24)}...` : t.image;
  return `'${image}'`;
}

function after(previous: IToken | undefined): string {
  if (previous === undefined || previous.tokenType === EOF || !previous.image || !Number.isFinite(previous.startOffset)) return "";
  return ` after ${describeToken(previous)}`;
}

function label(t: TokenType): string {
  return t.LABEL ?? t.name;
}

/** What the rule `ruleName` wanted, in words; `paths` are the token sequences it would have accepted. */
export function wanted(ruleName: string, paths: readonly (readonly TokenType[])[]): string {
  if (EXPRESSION_RULES.has(ruleName)) return "an expression";
  const known = WANTED[ruleName];
  if (known !== undefined) return known;
  const firsts = [...new Set(paths.map((p) => (p[0] ? label(p[0]) : "")).filter((s) => s !== ""))];
  if (firsts.length === 0) return "something else";
  return firsts.length === 1 ? firsts[0] : `${firsts.slice(0, -1).join(", ")} or ${firsts[firsts.length - 1]}`;
}

/** The message provider the parser is built with. */
export const syntaxMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous }) {
    // Chevrotain reports stray tokens after the last declaration as a missing end of file.
    if (expected === EOF) return `expected ${WANTED.topDecl}, found ${describeToken(actual)}`;
    return `expected ${label(expected)}${after(previous)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant, ruleName }) {
    if (ruleName === "templateExpression") return `unexpected ${describeToken(firstRedundant)} after the expression`;
    return `expected ${WANTED.topDecl}, found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous, ruleName }) {
    return `expected ${wanted(ruleName, expectedPathsPerAlt.flat())}${after(previous)}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, previous, ruleName }) {
    return `expected ${wanted(ruleName, expectedIterationPaths)}${after(previous)}, found ${describeToken(actual[0])}`;
  },
};
