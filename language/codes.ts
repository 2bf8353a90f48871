// Every diagnostic code the language part can emit, with its severity and a title. The
// reference `spec/diagnostics.md` documents each one; a test holds the two in step.
// Ranges: E1xx syntax and limits, E2xx names, E3xx types, E4xx rules and effects,
// E5xx regexes, E6xx packages, imports and settings, W0xx warnings.

/** The registry entry of one code. */
export interface CodeInfo {
  readonly severity: "error" | "warning";
  readonly title: string;
}

/** All codes. Add new ones here (never renumber: codes are a stable contract). */
export const CODES = {
  E100: { severity: "error", title: "syntax error" },
  E101: { severity: "error", title: "unterminated string" },
  E102: { severity: "error", title: "unterminated block comment" },
  E103: { severity: "error", title: "unexpected character" },
  E104: { severity: "error", title: "invalid escape sequence" },
  E105: { severity: "error", title: "invalid number or duration" },
  E106: { severity: "error", title: "unterminated regex literal" },
  E107: { severity: "error", title: "nesting too deep" },
  E108: { severity: "error", title: "file too large" },
  E109: { severity: "error", title: "comparisons do not chain" },
  E110: { severity: "error", title: "invalid message interpolation" },
  E111: { severity: "error", title: "ordered quantifier needs 'any'" },
  E112: { severity: "error", title: "invalid effect target" },

  E200: { severity: "error", title: "unknown name" },
  E201: { severity: "error", title: "unknown field" },
  E202: { severity: "error", title: "unknown function" },
  E203: { severity: "error", title: "duplicate declaration" },
  E204: { severity: "error", title: "recursive definition" },
  E205: { severity: "error", title: "unknown package" },
  E206: { severity: "error", title: "unknown detector" },
  E207: { severity: "error", title: "name shadows another" },
  E208: { severity: "error", title: "unknown rule" },
  E209: { severity: "error", title: "name not available in this phase" },
  E210: { severity: "error", title: "unknown parameter" },
  E211: { severity: "error", title: "parameter set twice" },

  E300: { severity: "error", title: "type mismatch" },
  E301: { severity: "error", title: "not a function" },
  E302: { severity: "error", title: "wrong number of arguments" },
  E303: { severity: "error", title: "argument type mismatch" },
  E304: { severity: "error", title: "condition is not a boolean" },
  E305: { severity: "error", title: "quantifier over a non-list" },
  E306: { severity: "error", title: "cannot index this value" },
  E307: { severity: "error", title: "not a pattern" },
  E308: { severity: "error", title: "value does not fit the parameter" },

  E400: { severity: "error", title: "effect not valid in this phase" },
  E401: { severity: "error", title: "redact target is not a string field" },
  E402: { severity: "error", title: "set target is not a field" },
  E403: { severity: "error", title: "unknown phase" },
  E404: { severity: "error", title: "unknown severity" },
  E405: { severity: "error", title: "duplicate metadata" },
  E406: { severity: "error", title: "invalid control id" },
  E407: { severity: "error", title: "invalid test" },
  E408: { severity: "error", title: "set value does not fit the field" },
  E409: { severity: "error", title: "duplicate phase" },

  E500: { severity: "error", title: "invalid regex" },
  E501: { severity: "error", title: "regex may backtrack catastrophically" },
  E502: { severity: "error", title: "unsupported regex feature" },
  E503: { severity: "error", title: "invalid regex flag" },
  E504: { severity: "error", title: "regex escape needs the u flag" },

  E600: { severity: "error", title: "missing package declaration" },
  E601: { severity: "error", title: "import cycle" },
  E602: { severity: "error", title: "conflicting settings" },
  E603: { severity: "error", title: "misplaced declaration" },
  E604: { severity: "error", title: "cannot read file" },
  E605: { severity: "error", title: "invalid tool schema" },

  W001: { severity: "warning", title: "unused const" },
  W002: { severity: "warning", title: "unused def" },
  W003: { severity: "warning", title: "unused import" },
  W004: { severity: "warning", title: "files disagree on a setting" },
  W005: { severity: "warning", title: "unused variable" },
  W006: { severity: "warning", title: "an absent field keeps the rule from firing" },
  W007: { severity: "warning", title: "transforms depend on their order" },
  W008: { severity: "warning", title: "quantifier condition reaches past its variable" },
} as const satisfies Record<string, CodeInfo>;

/** A registered diagnostic code. */
export type DiagnosticCode = keyof typeof CODES;

/**
 * The lints: warnings about rules that may not mean what they seem to (check/lints.ts). Tests of
 * other checks leave them out of their comparisons unless they ask for one (spec/conformance.md).
 */
export const LINT_CODES: ReadonlySet<string> = new Set(["W006", "W007", "W008"]);
