// Unbounded secret formats (PEM keys, JWTs, Stripe, OpenAI, fine-grained GitHub and Slack
// tokens) no longer hold a whole answer to its end (issue 17, session 7): a stream holds back
// only from the start of a token that may still be open, so the shipped SOC 2 policy streams
// progressively, and no chunking of a 3 KB PEM key or a long JWT shows a raw piece of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { createGuard } from "../index.ts";
import { guardText, OutputStream } from "../text.ts";
import { streamHold } from "../needs.ts";
import { HOLD_ALL } from "../needs.ts";

const SOC2 = readFileSync(new URL("../../../stdlib-policies/soc2/soc2.policy", import.meta.url), "utf8");
const guard = createGuard({ policies: [{ path: "soc2.policy", text: SOC2 }], env: "t", agent: "a" });

async function streamed(text: string, chunks: readonly number[]): Promise<{ shown: string; early: string; pieces: string[] }> {
  const s = new OutputStream(guard.session("chat"));
  const pieces: string[] = [];
  for (let i = 0, k = 0; i < text.length; k++) {
    const n = chunks[k % chunks.length]!;
    pieces.push(s.push(text.slice(i, i + n)));
    i += n;
  }
  const early = pieces.join("");
  pieces.push(await s.end());
  return { shown: pieces.join(""), early, pieces };
}

const b64 = (n: number, seed: number): string => Array.from({ length: n }, (_, i) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 37 + seed * 11 + ((i * i) % 7)) % 64]).join("");
const BODY = Array.from({ length: 48 }, (_, i) => b64(64, i)).join("\n");
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${BODY}\n-----END RSA PRIVATE KEY-----`;
const url = (s: string): string => s.replace(/\+/g, "-").replace(/\//g, "_");
const JWT = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${url(b64(2400, 3))}.${url(b64(43, 5))}`;
const PROSE = "Here is what you asked for, with the details below. ".repeat(30);

// Pieces of the secret long enough that showing one would be a leak.
function rawPieces(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 16 <= secret.length; i += 8) {
    const p = secret.slice(i, i + 16);
    if (!PROSE.includes(p) && !/-----|BEGIN|END|PRIVATE/.test(p)) out.push(p);
  }
  return out;
}

test("the SOC 2 policy streams a long answer progressively: text is shown before the end", async () => {
  assert.ok(guard.core.streamHold < 2000, `bounded hold-back ${guard.core.streamHold}`);
  assert.deepEqual([...guard.core.streamOpen], ["secret.github_token", "secret.jwt", "secret.openai_key", "secret.private_key", "secret.slack_token", "secret.stripe_key"]);
  // A client that cannot tell open tokens (the service, Python) still holds the whole answer.
  assert.equal(streamHold(guard.core.policySet), HOLD_ALL);
  const text = `${PROSE}${PROSE}${PROSE}`;
  const { shown, early } = await streamed(text, [37]);
  assert.equal(shown, text);
  assert.ok(early.length > text.length / 2, `only ${early.length} of ${text.length} shown before the end`);
});

test("text before an open token streams; the token is redacted whole once it ends", async () => {
  for (const secret of [PEM, JWT, `sk_live_${"a1B2c3D4".repeat(40)}`, `sk-proj-${"Ab3dE5gH".repeat(40)}`, `github_pat_${"a1B2c3D4".repeat(5)}_${"x9Y8z7W6".repeat(40)}`, `xoxb-123456789012-${"aB3".repeat(100)}`]) {
    const text = `${PROSE}${secret}\n${PROSE}`;
    const whole = await guardText(guard.session("w"), "output", text);
    assert.ok(whole.includes("[SECRET]") && !whole.includes(secret.slice(40, 60)), secret.slice(0, 12));
    const { shown, early } = await streamed(text, [5, 13, 2]);
    assert.equal(shown, whole, secret.slice(0, 12));
    assert.ok(early.length >= PROSE.length - guard.core.streamHold - 64, `${secret.slice(0, 12)}: ${early.length} shown early`);
  }
});

test("no chunking of a 3 KB PEM key or a long JWT shows a raw piece of it", async () => {
  assert.ok(PEM.length > 3000 && JWT.length > 2400);
  const cases = [PEM, JWT, `${PEM.slice(0, 1500)}\nthe key was cut off here.`, JWT.replace(".", ".\u200b")];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...cases), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 12 }), async (secret, chunks) => {
      const text = `${PROSE.slice(0, 300)} ${secret} and that is all.`;
      const whole = await guardText(guard.session("w"), "output", text);
      assert.ok(whole.includes("[SECRET]"));
      const { shown, pieces } = await streamed(text, chunks);
      assert.equal(shown, whole);
      for (const p of rawPieces(secret)) assert.ok(!pieces.some((piece) => piece.includes(p)) && !shown.includes(p), `raw piece ${p} shown`);
    }),
    { numRuns: 40 },
  );
});

test("a prefix cut between two deltas still opens a token", async () => {
  for (const secret of [PEM, JWT]) {
    const text = `ok ${secret} done`;
    const whole = await guardText(guard.session("w"), "output", text);
    for (let cut = 1; cut < 16; cut++) assert.equal((await streamed(text, [3 + cut, 1, 1, 1, 700])).shown, whole);
  }
});

test("a prefix glued to the word before it streams as the whole text decides it", async () => {
  const text = `the monkey${JWT.slice(2)} and the task-${"Ab3dE5gH".repeat(5)} end`;
  const whole = await guardText(guard.session("w"), "output", text);
  for (const n of [1, 3, 7, 50]) assert.equal((await streamed(text, [n])).shown, whole, `chunks of ${n}`);
});
