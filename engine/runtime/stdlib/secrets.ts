// Credentials recognised by their issuer's prefix (AWS, GitHub, Slack, Stripe, Google,
// OpenAI) or by being assigned to a credential-like name. Each regex starts with a negative
// lookbehind of the class its token is made of, so a failed attempt is never retried from
// inside the same run, and its runs are either bounded or followed by a character outside
// their class: the scans are linear.
import { isDigit, isWord } from "./chars.ts";
import { shannonEntropy } from "./checksums.ts";
import { detector, mergeScans, prefixOpen, regexExtent, regexScan, type Detector, type Span } from "./detector.ts";

// The characters that may continue each token (what its closing lookahead excludes).
const isTokenChar = (c: number): boolean => isWord(c) || c === 45;
const isWebhookChar = (c: number): boolean => isTokenChar(c) || c === 47;

function accept(): boolean {
  return true;
}

// Narrows a match to its last capture group, which ends it: the name a secret is assigned
// to stays readable after `redact`.
function narrowToLastGroup(m: RegExpExecArray, span: Span): void {
  span.start = span.end - m[m.length - 1].length;
}

// Long-term (AKIA) and temporary (ASIA) access key ids, and the ABIA/ACCA credential forms.
const AWS_KEY_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
// A 40-character secret access key only counts where it is named as one: on its own it is
// indistinguishable from any other base64 run.
const AWS_SECRET = /(?<![A-Za-z0-9])(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)["']?[ \t]{0,3}(?::=|=>|[:=])[ \t]{0,3}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi;

/** `secret.aws_key`. */
export const awsKey: Detector = detector(
  "secret.aws_key",
  "An AWS access key id (`AKIA`, `ASIA`, `ABIA` or `ACCA` and 16 capital letters or digits), or a 40-character secret access key assigned to a name such as `aws_secret_access_key`.",
  mergeScans(
    regexScan(AWS_KEY_ID, accept),
    regexScan(AWS_SECRET, (_t, m, span) => (narrowToLastGroup(m, span), true)),
  ),
  Math.max(regexExtent(AWS_KEY_ID), regexExtent(AWS_SECRET)),
);

const GITHUB = /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9]{22,}_[A-Za-z0-9]{30,})(?![A-Za-z0-9_])/g;

/** `secret.github_token`. */
export const githubToken: Detector = {
  ...detector(
    "secret.github_token",
    "A GitHub token: `ghp_`, `gho_`, `ghu_`, `ghs_` or `ghr_` and 36 or more letters and digits, or a fine-grained `github_pat_` token.",
    regexScan(GITHUB, accept),
    regexExtent(GITHUB),
  ),
  open: prefixOpen(["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"], isWord),
};

const SLACK =
  /(?<![A-Za-z0-9_-])(?:xox[abposr]-\d{6,}-[A-Za-z0-9-]{6,}|xapp-\d-[A-Za-z0-9-]{20,}|(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows)\/T[A-Z0-9]{6,}\/[AB][A-Z0-9]{6,}\/[A-Za-z0-9]{16,})(?![A-Za-z0-9_-])/g;

/** `secret.slack_token`. */
export const slackToken: Detector = {
  ...detector(
    "secret.slack_token",
    "A Slack token (`xoxb-`, `xoxp-`, `xoxa-`, `xoxo-`, `xoxr-`, `xoxs-` followed by a numeric id and more, or an app-level `xapp-` token) or an incoming-webhook URL.",
    regexScan(SLACK, accept),
    regexExtent(SLACK),
  ),
  open: prefixOpen(["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xapp-", "https://hooks.slack.com/", "http://hooks.slack.com/", "hooks.slack.com/"], isWebhookChar),
};

const STRIPE = /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?![A-Za-z0-9_])/g;

/** `secret.stripe_key`. */
export const stripeKey: Detector = {
  ...detector(
    "secret.stripe_key",
    "A Stripe secret or restricted key: `sk_live_`, `rk_live_`, `sk_test_` or `rk_test_` and 16 or more letters and digits.",
    regexScan(STRIPE, accept),
    regexExtent(STRIPE),
  ),
  open: prefixOpen(["sk_live_", "sk_test_", "rk_live_", "rk_test_"], isWord),
};

const GOOGLE = /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g;

/** `secret.google_api_key`. */
export const googleApiKey: Detector = detector(
  "secret.google_api_key",
  "A Google API key: `AIza` and 35 letters, digits, `-` or `_`.",
  regexScan(GOOGLE, accept),
  regexExtent(GOOGLE),
);

// `sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-` and a long random part. Anthropic's `sk-ant-`
// keys share the prefix and are left out by name. Random keys of this length practically
// always mix digits and both cases; words joined by dashes (`sk-learn-...`) do not.
const OPENAI = /(?<![A-Za-z0-9_-])sk-(?!ant-)[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g;

function mixedCase(text: string, start: number, end: number): boolean {
  let kinds = 0;
  for (let i = start; i < end && kinds !== 7; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) kinds |= 1;
    else if (c >= 65 && c <= 90) kinds |= 2;
    else if (c >= 97 && c <= 122) kinds |= 4;
  }
  return kinds === 7;
}

/** `secret.openai_key`. */
export const openaiKey: Detector = {
  ...detector(
    "secret.openai_key",
    "An OpenAI API key: `sk-` (or `sk-proj-`, `sk-svcacct-`, `sk-admin-`) and 32 or more characters mixing digits, capitals and small letters.",
    regexScan(OPENAI, (text, _m, span) => mixedCase(text, span.start + 3, span.end)),
    regexExtent(OPENAI),
  ),
  open: prefixOpen(["sk-"], isTokenChar),
};

// A value assigned to a credential-like name: `api_key = "..."`, `"client_secret": "..."`,
// `X-Auth-Token: ...`, `PASSWORD=...`. The name may sit inside a longer identifier
// (`OPENAI_API_KEY`). Every quantifier is bounded; `=` only ends a value (base64 padding), so
// a chain of assignments (`a=b=c`) is not read as one long value.
const GENERIC =
  /(api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|credentials?|auth[_-]?key|access[_-]?key|private[_-]?key)[A-Za-z0-9_-]{0,24}["']?[ \t]{0,3}(?::=|=>|[:=])[ \t]{0,3}["']?([A-Za-z0-9_\-+/.~]{8,256}={0,2})/gi;

// Values that stand for a secret rather than being one (`your_api_key_here`, `xxxxxxxx`).
const PLACEHOLDER = /^(?:x+|(?:your|my|the|some|example|sample|dummy|fake|changeme|redacted|placeholder)[_\-.]?.*)$/i;
const PASSWORD_NAME = /^(?:passw|pwd)/i;

function validGeneric(text: string, m: RegExpExecArray, span: Span): boolean {
  const value = m[2];
  const isPassword = PASSWORD_NAME.test(m[1]);
  if (value.length < (isPassword ? 8 : 16) || PLACEHOLDER.test(value)) return false;
  const end = span.end;
  const start = end - value.length;
  let letters = false;
  let digits = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) digits = true;
    else if (((c | 0x20) >= 97 && (c | 0x20) <= 122)) letters = true;
  }
  if (!letters || !digits) return false;
  if (shannonEntropy(text, start, end) < (isPassword ? 2.5 : 3)) return false;
  span.start = start;
  return true;
}

/** `secret.generic_api_key`. */
export const genericApiKey: Detector = detector(
  "secret.generic_api_key",
  "A high-entropy value (letters and digits, 16 to 256 characters; 8 or more for passwords) assigned to a name such as `api_key`, `secret`, `token` or `password`, as in `api_key = \"...\"` or `\"token\": \"...\"`.",
  regexScan(GENERIC, validGeneric),
  regexExtent(GENERIC),
);
