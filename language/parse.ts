// The parser's entry point: text -> `PolicyFile` plus diagnostics. Limits first (E108 size,
// E107 nesting on the token stream), then lexing, parsing with recovery, and the CST-to-AST
// step. Nothing here throws: chevrotain failures and stack overflows become diagnostics.
import { EOF, type IRecognitionException, type IToken } from "chevrotain";
import type { PolicyFile } from "./ast.ts";
import { exprDepth } from "./ast-util.ts";
import { buildFile, type Ctx } from "./cst-to-ast.ts";
import { diagnostic, hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.ts";
import { lex, tokenEnd } from "./lexer.ts";
import { lineIndex, type LineIndex } from "./line-index.ts";
import { parser, runParser } from "./parser.ts";
import { describeToken } from "./syntax-messages.ts";
import { fileStart } from "./span.ts";
import * as T from "./tokens.ts";

/** The largest source accepted, in UTF-16 code units (spec/decisions.md: 4 MiB). */
export const MAX_SOURCE_LENGTH = 4 * 1024 * 1024;
/** The deepest nesting of brackets and expression levels accepted (spec/decisions.md). */
export const MAX_NESTING = 256;
/**
 * The longest chain of operators and `.field` steps in one expression (chains build left-deep
 * trees), so that the recursive passes after parsing (checker, formatter, compiler) stay far
 * from the stack limit even for a 4 MiB `a + a + ...`. Checked on tokens, and again on the tree.
 */
export const MAX_EXPR_DEPTH = 1024;

/** What `parse` returns: the file iff there are no error diagnostics. */
export interface ParseResult {
  readonly file: PolicyFile | null;
  readonly diagnostics: Diagnostic[];
}

const OPEN = new Set([T.LParen, T.LBracket, T.LBrace]);
const CLOSE = new Set([T.RParen, T.RBracket, T.RBrace]);
const QUANTIFIERS = new Set([T.Any, T.All, T.Count]);
// Keywords that start a declaration, a rule item, an effect or an expectation: a quantifier's
// body cannot reach past them, so they end its nesting.
const CLAUSE_STARTS = new Set([
  T.Package, T.Import, T.Const, T.Param, T.Configure, T.Def, T.Rule, T.Test, T.Default, T.OnError, T.When, T.Unless, T.Expect,
  T.Deny, T.RequireApproval, T.Allow, T.Warn, T.Redact, T.SetKw, T.SeverityKw, T.Controls, T.Tags, T.Owner,
]);

const CHAIN_OPS = new Set([
  T.Or, T.And, T.EqEq, T.NotEq, T.Lt, T.LtEq, T.Gt, T.GtEq, T.In, T.Contains, T.Has, T.Matches, T.Like, T.Starts, T.Ends,
  T.Plus, T.Minus, T.Star, T.Slash, T.Percent, T.Dot,
]);

/** Where the token stream first goes past a limit, and which one. */
export interface TooDeep {
  readonly token: IToken;
  readonly limit: "nesting" | "chain";
}

/**
 * The first token at which nesting exceeds `MAX_NESTING`, or a chain of operators and
 * postfix steps exceeds `MAX_EXPR_DEPTH`; null when neither does. Each open bracket is a
 * level; inside one, each quantifier whose body is still open is a level (its body runs to the
 * closing bracket, a comma or a clause keyword); a run of prefix `not` / `-` adds its length.
 * Operators and `.`, `[`, `(` steps after an operand lengthen the chain (a left-deep tree).
 * This bounds the parser's recursion, and the depth of the tree, before parsing starts.
 */
export function tooDeep(tokens: readonly IToken[]): TooDeep | null {
  const quantifiers: number[] = [0];
  const chains: number[] = [0];
  let level = 0;
  let chain = 0;
  let prefixRun = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const type = t.tokenType;
    const operandMayStart = T.regexMayStartAfter(tokens, i);
    const isPrefix = (type === T.Not && tokens[i + 1]?.tokenType !== T.In) || (type === T.Minus && operandMayStart);
    prefixRun = isPrefix ? prefixRun + 1 : 0;
    if ((CHAIN_OPS.has(type) && !isPrefix) || ((type === T.LParen || type === T.LBracket) && !operandMayStart)) {
      chains[chains.length - 1]++;
      chain++;
    }
    if (OPEN.has(type)) {
      level++;
      quantifiers.push(0);
      chains.push(0);
    } else if (CLOSE.has(type)) {
      if (quantifiers.length > 1) {
        level -= 1 + quantifiers.pop()!;
        chain -= chains.pop()!;
      }
    } else if (QUANTIFIERS.has(type)) {
      quantifiers[quantifiers.length - 1]++;
      level++;
    } else if (type === T.Comma || CLAUSE_STARTS.has(type)) {
      level -= quantifiers[quantifiers.length - 1];
      quantifiers[quantifiers.length - 1] = 0;
      chain -= chains[chains.length - 1];
      chains[chains.length - 1] = 0;
    }
    if (level + prefixRun > MAX_NESTING) return { token: t, limit: "nesting" };
    if (level + chain > MAX_EXPR_DEPTH) return { token: t, limit: "chain" };
  }
  return null;
}

function parseErrorDiagnostic(e: IRecognitionException, text: string, path: string, lines: LineIndex): Diagnostic {
  const t = e.token;
  const previous = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  const atEnd = t === undefined || t.tokenType === EOF || !Number.isFinite(t.startOffset);
  const span = atEnd ? lines.span(text.length, text.length) : lines.span(t.startOffset, tokenEnd(t));
  // "expected '}' after 'b', found '='" misleads: the author wrote a comparison with one '='.
  const afterOperand = previous !== undefined && previous.tokenType !== EOF && !T.regexMayStartAfter([previous]);
  const slip = t?.image === "=" && afterOperand && !/^expected '='/.test(e.message);
  const message = slip ? `unexpected '=' after ${describeToken(previous)}` : e.message;
  return diagnostic("E100", path, span, message, slip ? "use '==' to compare; '=' only appears in const, def and set" : helpFor(e, t, previous));
}

/** A one-line fix for the common slips. */
function helpFor(e: IRecognitionException, t: IToken | undefined, previous: IToken | undefined): string | undefined {
  const image = t?.image ?? "";
  if (t !== undefined && t.tokenType !== EOF && T.KEYWORDS.includes(t.tokenType) && /expected a name/.test(e.message)) {
    return `'${image}' is a keyword; choose another name`;
  }
  if ((image === "else" || image === "if") && /expected/.test(e.message)) return "rules have no 'if'/'else': use 'when' and 'unless'";
  if (/found the end of the file/.test(e.message) && /'}'/.test(e.message)) return "a '{' is not closed";
  const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1] ?? "";
  if (/^expected ':'/.test(e.message) && rule === "quantifier") return "a quantifier reads 'any x in xs: condition'";
  if (/^expected '='/.test(e.message) && image === "==" && rule === "setEffect") return "'set' assigns with a single '=': set tool.args.amount = 500";
  if (/^expected '[\])}]'/.test(e.message) && t !== undefined && t.tokenType !== EOF && ["exprList", "listLit", "objectLit", "postfixOp", "defDecl"].includes(rule)) {
    return "separate the items with ','";
  }
  return undefined;
}

/**
 * Whether a parse error sits on the first token after characters the lexer rejected: the
 * parser only stumbles because they were dropped, and the lexer's diagnostic says it better.
 */
function causedByLexError(e: IRecognitionException, tokens: readonly IToken[], lexDiags: readonly Diagnostic[]): boolean {
  if (lexDiags.length === 0) return false;
  const at = e.token !== undefined && Number.isFinite(e.token.startOffset) ? e.token.startOffset : Number.POSITIVE_INFINITY;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].startOffset < at) lo = mid + 1;
    else hi = mid;
  }
  const prevEnd = lo > 0 ? tokenEnd(tokens[lo - 1]) : 0;
  return lexDiags.some((d) => d.code === "E103" && d.span.start.offset >= prevEnd && d.span.start.offset < at);
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const key = `${d.code}:${d.span.start.offset}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function finish(file: PolicyFile | null, diags: Diagnostic[]): ParseResult {
  const diagnostics = sortDiagnostics(dedupe(diags));
  return { file: hasErrors(diagnostics) ? null : file, diagnostics };
}

/**
 * Parses one `.policy` file. Never throws: the file is returned iff no error was found, and
 * every problem is a diagnostic with a valid span into `text`.
 */
export function parse(text: string, path: string): ParseResult {
  if (text.length > MAX_SOURCE_LENGTH) {
    return finish(null, [
      diagnostic("E108", path, fileStart, `file is too large: ${text.length} characters, the limit is ${MAX_SOURCE_LENGTH} (4 MiB)`, "split the policies into several files"),
    ]);
  }
  const lines = lineIndex(text);
  try {
    const lexed = lex(text, path, lines);
    const deep = tooDeep(lexed.tokens);
    if (deep !== null) {
      const at = lines.span(deep.token.startOffset, tokenEnd(deep.token));
      const d =
        deep.limit === "nesting"
          ? diagnostic("E107", path, at, `nesting too deep: more than ${MAX_NESTING} levels of brackets or expressions`, "move inner parts into consts or defs")
          : diagnostic("E107", path, at, `expression too long: more than ${MAX_EXPR_DEPTH} operators or '.field' steps in a row`, "split it into consts or defs, or use 'in [...]' for long lists of alternatives");
      return finish(null, [...lexed.diagnostics, d]);
    }
    const cst = runParser(lexed.tokens, "file");
    const parseErrors = parser.errors.filter((e) => !causedByLexError(e, lexed.tokens, lexed.diagnostics));
    const diags = [...lexed.diagnostics, ...parseErrors.map((e) => parseErrorDiagnostic(e, text, path, lines))];
    const ctx: Ctx = { text, file: path, lines, diagnostics: diags };
    const file = buildFile(ctx, cst, lexed.comments);
    for (const decl of file.decls) {
      // Each level of a tree takes at least one character: short declarations cannot be too deep.
      if (decl.span.end.offset - decl.span.start.offset > MAX_EXPR_DEPTH && exprDepth(decl) > MAX_EXPR_DEPTH) {
        diags.push(diagnostic("E107", path, decl.span, `expression too deep: more than ${MAX_EXPR_DEPTH} nested operators or steps`, "split it into consts or defs"));
      }
    }
    return finish(file, diags);
  } catch (e) {
    if (e instanceof RangeError) {
      return finish(null, [diagnostic("E107", path, fileStart, "nesting too deep to parse", "move inner parts into consts or defs")]);
    }
    const message = e instanceof Error ? e.message : String(e);
    return finish(null, [diagnostic("E100", path, fileStart, `the parser failed on this file: ${message.slice(0, 200)}`, "please report this as a bug, with the file")]);
  }
}
