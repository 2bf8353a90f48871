// The detector table: named patterns from the standard library that `matches`, `contains` and
// `redact` accept in place of a regex (`output.text matches pii.email`). This table is the
// contract between the checker (which names exist) and the engine (which implements each, with
// validation beyond a regex where the doc says so, e.g. the Luhn check of card numbers).

/** One detector: its dotted name, what it finds, and an example of text it finds. */
export interface Detector {
  readonly name: string;
  readonly doc: string;
  readonly example: string;
}

/** Every detector, by family (`pii.*`, `secret.*`). */
export const DETECTOR_LIST: readonly Detector[] = [
  { name: "pii.email", doc: "An email address (local part, `@`, a domain with a dot).", example: "ann@example.com" },
  { name: "pii.phone", doc: "A phone number: E.164 (`+` and 8 to 15 digits) or a national number of 7 to 15 digits with common separators.", example: "+1 415-555-0132" },
  { name: "pii.ssn", doc: "A US Social Security number `AAA-GG-SSSS`, excluding the never-issued ranges (000, 666, 9xx areas; 00 group; 0000 serial).", example: "123-45-6789" },
  { name: "pii.credit_card", doc: "A payment card number of 13 to 19 digits, optionally grouped by spaces or dashes, that passes the Luhn check.", example: "4111 1111 1111 1111" },
  { name: "pii.iban", doc: "An International Bank Account Number whose mod-97 check digits are valid.", example: "DE89 3704 0044 0532 0130 00" },
  { name: "pii.ip", doc: "An IPv4 address in dotted-decimal form or an IPv6 address.", example: "192.0.2.17" },
  { name: "pii.passport", doc: "A passport number next to the word passport (6 to 9 letters and digits); context-dependent, so it finds few false positives.", example: "passport no. X1234567" },
  { name: "pii.date_of_birth", doc: "A calendar date next to words such as `DOB` or `date of birth`.", example: "DOB: 1984-02-29" },
  { name: "secret.aws_key", doc: "An AWS access key id (`AKIA`/`ASIA` and 16 upper-case letters or digits).", example: "AKIAIOSFODNN7EXAMPLE" },
  { name: "secret.github_token", doc: "A GitHub token: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 36 characters, or a fine-grained `github_pat_` token.", example: "ghp_0123456789abcdefghijklmnopqrstuvwxyz" },
  { name: "secret.slack_token", doc: "A Slack token (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`) or incoming-webhook URL.", example: "xoxb-123456789012-abcdefghij" },
  { name: "secret.stripe_key", doc: "A Stripe secret or restricted key (`sk_live_`, `rk_live_`, and the `_test_` forms).", example: "sk_live_4eC39HqLyjWDarjtT1zdp7dc" },
  { name: "secret.google_api_key", doc: "A Google API key (`AIza` and 35 characters).", example: "AIzaSyA-1234567890abcdefghijklmnopqrstu" },
  { name: "secret.openai_key", doc: "An OpenAI API key (`sk-` or `sk-proj-` and a long token).", example: "sk-proj-abc123..." },
  { name: "secret.jwt", doc: "A JSON Web Token: three base64url segments separated by dots, the first decoding to a JSON header.", example: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig" },
  { name: "secret.private_key", doc: "A PEM private key block (`-----BEGIN ... PRIVATE KEY-----` through its END line).", example: "-----BEGIN RSA PRIVATE KEY-----" },
  { name: "secret.generic_api_key", doc: "A long high-entropy token assigned to a name such as `api_key`, `secret`, `token` or `password` (`api_key = \"...\"`).", example: "api_key=\"8f2b1c9e0d7a4f6b\"" },
];

/** Every detector by its dotted name. */
export const DETECTORS: ReadonlyMap<string, Detector> = new Map(DETECTOR_LIST.map((d) => [d.name, d]));

/** The detector families (`pii`, `secret`): a bare name that starts a detector reference. */
export const DETECTOR_NAMESPACES: ReadonlySet<string> = new Set(DETECTOR_LIST.map((d) => d.name.slice(0, d.name.indexOf("."))));
