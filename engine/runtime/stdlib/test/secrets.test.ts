import { test } from "node:test";
import { awsKey, genericApiKey, githubToken, googleApiKey, openaiKey, slackToken, stripeKey } from "../secrets.ts";
import { assertFinds, assertNone } from "./support.ts";

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// Deterministic pseudo-random tokens, so the suites are reproducible.
function token(length: number, seed: number, alphabet = B62): string {
  let s = "";
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += alphabet[x % alphabet.length];
  }
  return s;
}

test("aws_key: finds access key ids, and secret keys where they are named", () => {
  for (const id of ["AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A", "AKIA2E0A8F3B244C9986", "ABIAZZZZZZZZZZZZZZZZ"]) {
    assertFinds(awsKey, id);
    assertFinds(awsKey, `key=${id};`, id);
  }
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  assertFinds(awsKey, `aws_secret_access_key = ${secret}`, secret);
  assertFinds(awsKey, `AWS_SECRET_ACCESS_KEY="${secret}"`, secret);
  assertFinds(awsKey, `{"SecretAccessKey": "${secret}"}`, secret);
  assertFinds(awsKey, `aws_secret_key: '${secret}'`, secret);
});

test("aws_key: rejects other prefixes, wrong lengths and unnamed 40-character runs", () => {
  for (const text of [
    "AKIAIOSFODNN7EXAMPL", // 15 after the prefix
    "AKIAIOSFODNN7EXAMPLEX", // 17
    "AIDAIOSFODNN7EXAMPLE", // a user id, not a key
    "akiaiosfodnn7example",
    "XAKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "secret = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "aws_secret_access_key = tooshort",
  ]) {
    assertNone(awsKey, text);
  }
});

test("github_token: finds classic and fine-grained tokens", () => {
  for (const prefix of ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) {
    const t = prefix + token(36, prefix.charCodeAt(2));
    assertFinds(githubToken, t);
    assertFinds(githubToken, `Authorization: token ${t}`, t);
  }
  const pat = `github_pat_${token(22, 7)}_${token(59, 8)}`;
  assertFinds(githubToken, pat);
  assertFinds(githubToken, `GITHUB_TOKEN=${pat}`, pat);
  assertFinds(githubToken, "ghp_0123456789abcdefghijklmnopqrstuvwxyz");
});

test("github_token: rejects short, glued and unknown-prefix tokens", () => {
  for (const text of [
    `ghp_${token(35, 1)}`,
    `ghx_${token(36, 1)}`,
    `xghp_${token(36, 1)}`,
    `ghp_${token(36, 1)}_x`,
    `GHP_${token(36, 1)}`,
    `github_pat_${token(10, 2)}`,
    "ghp_",
    "the ghp_ prefix marks personal tokens",
  ]) {
    assertNone(githubToken, text);
  }
});

test("slack_token: finds bot, user and app tokens and webhook URLs", () => {
  for (const t of [
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef",
    "xoxr-123456789012-abcdefghijklmn",
    "xoxb-123456789012-abcdefghij",
    "xapp-1-A0123456789-1234567890123-abcdef0123456789",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "hooks.slack.com/services/TABCDEFGH/BABCDEFGH/abcdefghijklmnop1234",
    "xoxs-1234567890-abcdefghijkl",
  ]) {
    assertFinds(slackToken, t);
    assertFinds(slackToken, `token: ${t}`, t);
  }
});

test("slack_token: rejects look-alikes", () => {
  for (const text of ["xoxb-", "xoxb-abc-def", "xoxa-2-123456789012-abcdefghij", "xoxz-123456789012-abcdefghij", "xoxb-12345-abcdefghij", "axoxb-123456789012-abcdefghij", "xoxb-123456789012-abc", "https://hooks.slack.com/services/", "slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"]) {
    assertNone(slackToken, text);
  }
});

test("stripe_key: finds secret and restricted keys, live and test", () => {
  for (const k of [
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    `rk_live_${token(24, 3)}`,
    `sk_test_${token(99, 4)}`,
    `sk_live_${token(16, 5)}`,
    `rk_test_${token(32, 17)}`,
    `sk_live_51${token(97, 18)}`,
    `sk_test_${token(24, 19)}`,
    `rk_live_${token(60, 20)}`,
  ]) {
    assertFinds(stripeKey, k);
    assertFinds(stripeKey, `Stripe.apiKey = "${k}";`, k);
  }
});

test("stripe_key: rejects publishable keys, short keys and other prefixes", () => {
  for (const text of [
    "pk_live_4eC39HqLyjWDarjtT1zdp7dc", // publishable: meant to be public
    "pk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_live_short",
    "sk_prod_4eC39HqLyjWDarjtT1zdp7dc",
    "xsk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc_x",
    "SK_LIVE_4eC39HqLyjWDarjtT1zdp7dc",
    "whsec_4eC39HqLyjWDarjtT1zdp7dc",
  ]) {
    assertNone(stripeKey, text);
  }
});

test("google_api_key: finds AIza keys of exactly 39 characters", () => {
  for (const k of [
    "AIzaSyA-1234567890abcdefghijklmnopqrstu",
    `AIza${token(35, 6)}`,
    `AIza${token(35, 9, `${B62}-_`)}`,
    `AIzaSy${token(33, 22)}`,
    `AIza${token(34, 23)}-`,
    `AIza${token(34, 24)}_`,
    `AIza_${token(34, 25)}`,
    `AIza${token(35, 26)}`,
  ]) {
    assertFinds(googleApiKey, k);
    assertFinds(googleApiKey, `https://maps.googleapis.com/maps/api/js?key=${k}&callback=init`, k);
  }
});

test("google_api_key: rejects wrong lengths, case and glued keys", () => {
  for (const text of [
    `AIza${token(34, 6)}`,
    `AIza${token(36, 6)}`,
    `aiza${token(35, 6)}`,
    `AIZA${token(35, 6)}`,
    `XAIza${token(35, 6)}`,
    `AIza${token(35, 6)}x`,
    `AIza${token(35, 6)}-`,
    "AIza",
  ]) {
    assertNone(googleApiKey, text);
  }
});

test("openai_key: finds random sk- keys of every kind", () => {
  for (const k of [
    `sk-${token(48, 11)}`,
    `sk-proj-${token(120, 12, `${B62}-_`)}`,
    `sk-svcacct-${token(64, 13)}`,
    `sk-admin-${token(40, 14)}`,
    `sk-${token(20, 27)}T3BlbkFJ${token(20, 28)}`,
    `sk-proj-${token(156, 29)}`,
    `sk-${token(32, 30)}`,
    `sk-None-${token(48, 31)}`,
  ]) {
    assertFinds(openaiKey, k);
    assertFinds(openaiKey, `OPENAI_API_KEY=${k}`, k);
  }
});

test("openai_key: rejects dashed words, Anthropic keys, short and glued tokens", () => {
  for (const text of [
    "sk-learn-tutorial-for-beginners-and-experts",
    `sk-ant-api03-${token(90, 15)}`,
    `sk-${token(20, 16)}`,
    `sk-${"a1".repeat(30)}`, // no capitals: not random base62
    `ask-${token(48, 11)}`,
    `risk-${token(48, 11)}`,
    `sk_${token(48, 11)}`,
    "sk-",
  ]) {
    assertNone(openaiKey, text);
  }
});

test("generic_api_key: finds high-entropy values assigned to credential names, and only the value", () => {
  assertFinds(genericApiKey, 'api_key="8f2b1c9e0d7a4f6b"', "8f2b1c9e0d7a4f6b");
  assertFinds(genericApiKey, '{"client_secret": "Zm9vYmFyYmF6cXV4MTIzNDU2"}', "Zm9vYmFyYmF6cXV4MTIzNDU2");
  assertFinds(genericApiKey, "X-Auth-Token: 3f7a9c2e1b8d4f60a5e7c9b1d3f5a7c9", "3f7a9c2e1b8d4f60a5e7c9b1d3f5a7c9");
  assertFinds(genericApiKey, "MY_SERVICE_API_KEY=ab12cd34ef56gh78ij90", "ab12cd34ef56gh78ij90");
  assertFinds(genericApiKey, "password: hunter22x", "hunter22x");
  assertFinds(genericApiKey, "access_key => 'AbC123dEf456GhI789'", "AbC123dEf456GhI789");
  assertFinds(genericApiKey, "token := q8w7e6r5t4y3u2i1o0p9", "q8w7e6r5t4y3u2i1o0p9");
  assertFinds(genericApiKey, "secret=" + token(40, 21), token(40, 21));
});

test("generic_api_key: rejects placeholders, words and low-entropy values", () => {
  for (const text of [
    'api_key="your_api_key_here_123"',
    "api_key=xxxxxxxxxxxxxxxxxxxx",
    "token: abcdefghijklmnopqrstuvwxyz",
    "secret=1111111111111111111111",
    "password: changeme123",
    "password: short1",
    "the token was revoked",
    "api_key=${API_KEY}",
    'secret = "<redacted>"',
    "tokenizer=1234567890abcdefghij".replace("tokenizer", "colour"),
  ]) {
    assertNone(genericApiKey, text);
  }
});
