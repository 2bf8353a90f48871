import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DETECTOR_LIST } from "../../../../language/detectors.ts";
import { DETECTOR_IMPLS, getDetector } from "../detectors.ts";
import { replaceMatches } from "../../../compile/reference.ts";
import { compilePolicyRegex } from "../regex-guard.ts";

test("every detector the language declares is implemented under the same name, and nothing else", () => {
  assert.deepEqual(Object.keys(DETECTOR_IMPLS).sort(), DETECTOR_LIST.map((d) => d.name).sort());
  for (const d of DETECTOR_LIST) {
    const impl = getDetector(d.name);
    assert.ok(impl, d.name);
    assert.equal(impl.name, d.name);
    assert.ok(impl.doc.length > 0, `${d.name} has a doc`);
  }
  assert.equal(getDetector("pii.nothing"), undefined);
  assert.equal(getDetector("toString"), undefined);
});

test("every complete example in the language's detector table is found", () => {
  for (const d of DETECTOR_LIST) {
    // An example cut short with "..." illustrates the shape only.
    if (d.example.endsWith("...")) continue;
    assert.equal(DETECTOR_IMPLS[d.name].test(d.example), true, `${d.name} finds its example ${JSON.stringify(d.example)}`);
  }
});

test("redact replaces every match, counts them, and returns the input itself when nothing matches", () => {
  const redact = (text: string, m: Parameters<typeof replaceMatches>[1], r: string): string => replaceMatches(text, m, r).text;
  const card = DETECTOR_IMPLS["pii.credit_card"];
  const text = "cards 4111 1111 1111 1111 and 5555555555554444 on file";
  assert.deepEqual(replaceMatches(text, card, "[CARD]"), { text: "cards [CARD] and [CARD] on file", count: 2 });
  const clean = "nothing to see";
  assert.equal(redact(clean, card, "[CARD]"), clean);
  assert.equal(replaceMatches(clean, card, "[CARD]").count, 0);
  const mail = DETECTOR_IMPLS["pii.email"];
  assert.equal(redact("a@x.com,b@y.org", mail, ""), ",");
  assert.equal(redact("ann@example.com", mail, "$&"), "$&", "the replacement is literal text, not a pattern");
  assert.equal(redact("id 42 and 7", compilePolicyRegex("\\d+", ""), "#"), "id # and #", "user regexes redact too");
});

// Strings built from the fragments detectors look for, so that properties reach validation
// code and not only the fast "no candidate" path.
const fragment = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom("@", ".", ":", "::", "-", " ", "+", "(", ")", "_", "/", "=", "\n", "eyJ", "ey", "AKIA", "ghp_", "xoxb-", "sk-", "sk_live_", "AIza", "DE89", "-----BEGIN ", "PRIVATE KEY-----", "-----END ", "DOB: ", "passport no. ", "api_key=", "1984-02-29"),
  fc.stringMatching(/^[0-9]{1,20}$/),
  fc.stringMatching(/^[0-9a-fA-F:]{1,12}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
);
const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 100 }), // any code points, lone surrogates included
  fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join("")),
);

test("property: detectors never throw, and find returns ordered, non-overlapping, in-bounds ranges that test agrees with", () => {
  const detectors = Object.values(DETECTOR_IMPLS);
  fc.assert(
    fc.property(text, (s) => {
      for (const d of detectors) {
        const found = d.find(s);
        let last = 0;
        for (const [start, end] of found) {
          assert.ok(Number.isInteger(start) && Number.isInteger(end), d.name);
          assert.ok(start >= last && start < end && end <= s.length, `${d.name}: [${start}, ${end}) after ${last} in ${JSON.stringify(s)}`);
          last = end;
        }
        assert.equal(d.test(s), found.length > 0, `${d.name}.test agrees with find on ${JSON.stringify(s)}`);
      }
    }),
    { numRuns: 1500 },
  );
});

// Detectors that need the words before a value (`passport no.`, `DOB:`, `api_key =`) are
// left out: the value alone is rightly not a match.
const CONTEXTUAL = new Set(["pii.passport", "pii.date_of_birth", "secret.generic_api_key", "secret.aws_key"]);

test("property: a match of a self-contained detector is still one on its own", () => {
  const detectors = Object.values(DETECTOR_IMPLS).filter((d) => !CONTEXTUAL.has(d.name));
  fc.assert(
    fc.property(text, (s) => {
      for (const d of detectors) {
        for (const [start, end] of d.find(s)) {
          const alone = ` ${s.slice(start, end)} `;
          assert.deepEqual(d.find(alone), [[1, alone.length - 1]], `${d.name}: ${JSON.stringify(s.slice(start, end))} alone`);
        }
      }
    }),
    { numRuns: 500 },
  );
});
