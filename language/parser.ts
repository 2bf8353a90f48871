// The grammar, and nothing else: tokens -> CST. Precedence is not encoded here: an expression
// is a flat `operand (op operand)*` list that `cst-to-ast.ts` folds by precedence. That keeps
// the recursion per parenthesis level small (three rules), so the 256 levels that
// spec/decisions.md allows parse within Node's default stack, and lets the AST step give
// precise diagnostics for chained comparisons and misplaced `not`.
//
// One instance is built at load time and reused; `recoveryEnabled` lets one run report every
// syntax error of a file.
import { CstParser, type CstNode, type IToken } from "chevrotain";
import { syntaxMessages } from "./syntax-messages.ts";
import * as T from "./tokens.ts";

/** The parser: one method per grammar rule; `file` and `templateExpression` are the entry points. */
export class PolicyParser extends CstParser {
  constructor() {
    super([...T.ALL_TOKENS], { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: syntaxMessages });
    this.performSelfAnalysis();
  }

  /** A whole file. */
  file = this.RULE("file", () => {
    this.MANY(() => this.SUBRULE(this.topDecl));
  });

  /** The text of one `{...}` interpolation in a message. */
  templateExpression = this.RULE("templateExpression", () => {
    this.SUBRULE(this.expression);
  });

  private topDecl = this.RULE("topDecl", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.packageDecl) },
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.defaultDecl) },
      { ALT: () => this.SUBRULE(this.onErrorDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.configureDecl) },
      { ALT: () => this.SUBRULE(this.defDecl) },
      { ALT: () => this.SUBRULE(this.ruleDecl) },
      { ALT: () => this.SUBRULE(this.testDecl) },
    ]);
  });

  private packageDecl = this.RULE("packageDecl", () => {
    this.CONSUME(T.Package);
    this.SUBRULE(this.qualifiedName);
  });

  private importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.SUBRULE(this.qualifiedName);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier);
    });
  });

  private defaultDecl = this.RULE("defaultDecl", () => {
    this.CONSUME(T.Default);
    this.SUBRULE(this.settingValue);
  });

  private onErrorDecl = this.RULE("onErrorDecl", () => {
    this.CONSUME(T.OnError);
    this.SUBRULE(this.settingValue);
  });

  private settingValue = this.RULE("settingValue", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Deny) }, { ALT: () => this.CONSUME(T.Allow) }]);
    this.OPTION(() => {
      this.CONSUME(T.On);
      this.SUBRULE(this.phaseList);
    });
  });

  private phaseList = this.RULE("phaseList", () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.Identifier);
    });
  });

  private qualifiedName = this.RULE("qualifiedName", () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.IdentifierName);
    });
  });

  private constDecl = this.RULE("constDecl", () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression);
  });

  /** `param NAME [: TYPE] = default`: TYPE is a run of words such as `list of string`, read by the checker. */
  private paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.AT_LEAST_ONE(() => this.CONSUME2(T.Identifier));
    });
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression);
  });

  /** `configure a.b { NAME = value, ... }`: values for the params of package `a.b`. */
  private configureDecl = this.RULE("configureDecl", () => {
    this.CONSUME(T.Configure);
    this.SUBRULE(this.qualifiedName);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.binding);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  /** `NAME = value` in a `configure` block or a test's `with` line. */
  private binding = this.RULE("binding", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression);
  });

  private defDecl = this.RULE("defDecl", () => {
    this.CONSUME(T.Def);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.CONSUME2(T.Identifier);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.CONSUME3(T.Identifier);
      });
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression);
  });

  private ruleDecl = this.RULE("ruleDecl", () => {
    this.CONSUME(T.Rule);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.On);
    this.SUBRULE(this.phaseList);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.ruleItem));
    this.CONSUME(T.RBrace);
  });

  private ruleItem = this.RULE("ruleItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.severityItem) },
      { ALT: () => this.SUBRULE(this.controlsItem) },
      { ALT: () => this.SUBRULE(this.tagsItem) },
      { ALT: () => this.SUBRULE(this.ownerItem) },
      { ALT: () => this.SUBRULE(this.whenItem) },
      { ALT: () => this.SUBRULE(this.unlessItem) },
      { ALT: () => this.SUBRULE(this.thenItem) },
    ]);
  });

  private severityItem = this.RULE("severityItem", () => {
    this.CONSUME(T.SeverityKw);
    this.CONSUME(T.Identifier);
  });

  private controlsItem = this.RULE("controlsItem", () => {
    this.CONSUME(T.Controls);
    this.SUBRULE(this.stringList);
  });

  private tagsItem = this.RULE("tagsItem", () => {
    this.CONSUME(T.Tags);
    this.SUBRULE(this.stringList);
  });

  private ownerItem = this.RULE("ownerItem", () => {
    this.CONSUME(T.Owner);
    this.CONSUME(T.StringLiteral);
  });

  private stringList = this.RULE("stringList", () => {
    this.CONSUME(T.StringLiteral);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.StringLiteral);
    });
  });

  private whenItem = this.RULE("whenItem", () => {
    this.CONSUME(T.When);
    this.SUBRULE(this.expression);
  });

  private unlessItem = this.RULE("unlessItem", () => {
    this.CONSUME(T.Unless);
    this.SUBRULE(this.expression);
  });

  private thenItem = this.RULE("thenItem", () => {
    this.CONSUME(T.Then);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          this.AT_LEAST_ONE(() => {
            this.SUBRULE(this.effect);
            this.OPTION(() => this.CONSUME(T.Comma));
          });
          this.CONSUME(T.RBrace);
        },
      },
      { ALT: () => this.SUBRULE2(this.effect) },
    ]);
  });

  private effect = this.RULE("effect", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.denyEffect) },
      { ALT: () => this.SUBRULE(this.requireApprovalEffect) },
      { ALT: () => this.SUBRULE(this.allowEffect) },
      { ALT: () => this.SUBRULE(this.warnEffect) },
      { ALT: () => this.SUBRULE(this.redactEffect) },
      { ALT: () => this.SUBRULE(this.setEffect) },
    ]);
  });

  private denyEffect = this.RULE("denyEffect", () => {
    this.CONSUME(T.Deny);
    this.OPTION(() => this.CONSUME(T.StringLiteral));
  });

  private requireApprovalEffect = this.RULE("requireApprovalEffect", () => {
    this.CONSUME(T.RequireApproval);
    this.OPTION(() => this.CONSUME(T.StringLiteral));
    this.OPTION2(() => {
      this.CONSUME(T.From);
      this.CONSUME2(T.StringLiteral);
    });
  });

  private allowEffect = this.RULE("allowEffect", () => {
    this.CONSUME(T.Allow);
  });

  private warnEffect = this.RULE("warnEffect", () => {
    this.CONSUME(T.Warn);
    this.OPTION(() => this.CONSUME(T.StringLiteral));
  });

  private redactEffect = this.RULE("redactEffect", () => {
    this.CONSUME(T.Redact);
    this.OR([{ ALT: () => this.CONSUME(T.RegexLiteral) }, { ALT: () => this.SUBRULE(this.qualifiedName) }]);
    this.CONSUME(T.In);
    this.SUBRULE(this.arithExpr);
    this.OPTION(() => {
      this.CONSUME(T.With);
      this.CONSUME(T.StringLiteral);
    });
  });

  private setEffect = this.RULE("setEffect", () => {
    this.CONSUME(T.SetKw);
    this.SUBRULE(this.arithExpr);
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression);
  });

  private testDecl = this.RULE("testDecl", () => {
    this.CONSUME(T.Test);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.LBrace);
    this.MANY2(() => {
      this.CONSUME(T.With);
      this.SUBRULE(this.binding);
    });
    this.CONSUME(T.On);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.expression);
    this.MANY(() => this.SUBRULE(this.expectClause));
    this.CONSUME(T.RBrace);
  });

  private expectClause = this.RULE("expectClause", () => {
    this.CONSUME(T.Expect);
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Deny) }, { ALT: () => this.CONSUME(T.RequireApproval) }, { ALT: () => this.CONSUME(T.Allow) }]);
          this.OPTION(() => {
            this.CONSUME(T.By);
            this.SUBRULE(this.ruleRefs);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Warn);
          this.CONSUME2(T.By);
          this.SUBRULE2(this.ruleRefs);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Payload);
          this.CONSUME(T.Dot);
          this.CONSUME(T.IdentifierName);
          this.MANY(() => this.SUBRULE(this.pathStep));
          this.CONSUME(T.EqEq);
          this.SUBRULE(this.expression);
        },
      },
    ]);
  });

  private ruleRefs = this.RULE("ruleRefs", () => {
    this.SUBRULE(this.qualifiedName);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.qualifiedName);
    });
  });

  private pathStep = this.RULE("pathStep", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.CONSUME(T.IdentifierName);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  // -- expressions ------------------------------------------------------------------------

  private expression = this.RULE("expression", () => {
    this.SUBRULE(this.operand);
    this.MANY(() => {
      this.SUBRULE(this.binaryOp);
      this.SUBRULE2(this.operand);
    });
  });

  /** The additive level: a quantifier's collection, and effect targets, where `in`, `=` and `with` follow. */
  private arithExpr = this.RULE("arithExpr", () => {
    this.SUBRULE(this.operand);
    this.MANY(() => {
      this.SUBRULE(this.arithOp);
      this.SUBRULE2(this.operand);
    });
  });

  private binaryOp = this.RULE("binaryOp", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Or) },
      { ALT: () => this.CONSUME(T.And) },
      { ALT: () => this.CONSUME(T.EqEq) },
      { ALT: () => this.CONSUME(T.NotEq) },
      { ALT: () => this.CONSUME(T.LtEq) },
      { ALT: () => this.CONSUME(T.GtEq) },
      { ALT: () => this.CONSUME(T.Lt) },
      { ALT: () => this.CONSUME(T.Gt) },
      { ALT: () => this.CONSUME(T.In) },
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.CONSUME2(T.In);
        },
      },
      { ALT: () => this.CONSUME(T.Contains) },
      { ALT: () => this.CONSUME(T.Has) },
      { ALT: () => this.CONSUME(T.Matches) },
      { ALT: () => this.CONSUME(T.Like) },
      {
        ALT: () => {
          this.CONSUME(T.Starts);
          this.CONSUME(T.With);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Ends);
          this.CONSUME2(T.With);
        },
      },
      { ALT: () => this.SUBRULE(this.arithOp) },
    ]);
  });

  private arithOp = this.RULE("arithOp", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Plus) },
      { ALT: () => this.CONSUME(T.Minus) },
      { ALT: () => this.CONSUME(T.Star) },
      { ALT: () => this.CONSUME(T.Slash) },
      { ALT: () => this.CONSUME(T.Percent) },
    ]);
  });

  /** Prefix `not` / `-` (their reach is decided by precedence later), a primary, then postfix steps. */
  private operand = this.RULE("operand", () => {
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Not) }, { ALT: () => this.CONSUME(T.Minus) }]);
    });
    this.SUBRULE(this.atom);
    this.MANY2(() => this.SUBRULE(this.postfixOp));
  });

  private postfixOp = this.RULE("postfixOp", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.CONSUME(T.IdentifierName);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.OPTION(() => this.SUBRULE(this.exprList));
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  /** `a, b, c` with an optional trailing comma (lists and call arguments). */
  private exprList = this.RULE("exprList", () => {
    this.SUBRULE(this.expression);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.expression);
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
  });

  private atom = this.RULE("atom", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.Duration) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.RegexLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.listLit) },
      { ALT: () => this.SUBRULE(this.objectLit) },
      { ALT: () => this.SUBRULE(this.quantifier) },
    ]);
  });

  private parenExpr = this.RULE("parenExpr", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  private listLit = this.RULE("listLit", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => this.SUBRULE(this.exprList));
    this.CONSUME(T.RBracket);
  });

  private objectLit = this.RULE("objectLit", () => {
    this.CONSUME(T.LBrace);
    this.OPTION(() => {
      this.SUBRULE(this.objectEntry);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.objectEntry);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  private objectEntry = this.RULE("objectEntry", () => {
    this.OR([{ ALT: () => this.CONSUME(T.IdentifierName) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });

  /** `any|all|count x (then y)* in xs (: body | where body)?`; which separator fits which quantifier is checked later. */
  private quantifier = this.RULE("quantifier", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Any) }, { ALT: () => this.CONSUME(T.All) }, { ALT: () => this.CONSUME(T.Count) }]);
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Then);
      this.CONSUME2(T.Identifier);
    });
    this.CONSUME(T.In);
    this.SUBRULE(this.arithExpr);
    this.OPTION(() => {
      this.OR2([{ ALT: () => this.CONSUME(T.Colon) }, { ALT: () => this.CONSUME(T.Where) }]);
      this.SUBRULE(this.expression);
    });
  });
}

/** The shared parser instance (building one runs chevrotain's grammar analysis, which is slow). */
export const parser = new PolicyParser();

/** Parses tokens with the given entry rule; errors are left in `parser.errors` until the next call. */
export function runParser(tokens: IToken[], entry: "file" | "templateExpression"): CstNode {
  parser.input = tokens;
  return entry === "file" ? parser.file() : parser.templateExpression();
}
