// approvals.ts on its own, without a pipeline: the canonical note text (one text per approval, any
// deviation refused), who counts under which rule (roles, two-person, age, clock skew, reuse, the
// same person twice), the gate's detail, and when a replay waiver stands. approvals.test.ts walks
// the same rules through whole promotions; these pin each boundary and message, which mutation
// testing found no pipeline test decided (issue 27).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { generateKey, parseSignerKey, parseVerifierKey, signNote } from "../../audit/index.ts";
import type { SignerKey } from "../../audit/index.ts";
import { approvalId, approvalText, checkApprovals, parseApprovalText, promotionRule, rollbackRule, signApproval } from "../approvals.ts";
import type { ApprovalRequest, ApprovalRule, ApprovalText } from "../approvals.ts";
import type { Approver, EnvironmentsConfig } from "../config.ts";
import { EnvironmentError } from "../errors.ts";

const HOUR = 3_600_000;
const NOW = new Date("2026-12-07T10:00:00.000Z");
const B1 = `sha256:${"1".repeat(64)}`;
const B2 = `sha256:${"2".repeat(64)}`;

function person(name: string, roles: string[]): { approver: Approver; signer: SignerKey } {
  const k = generateKey(name);
  return { approver: { name, roles, key: parseVerifierKey(k.verifierKey) }, signer: parseSignerKey(k.signerKey) };
}
const alice = person("alice", ["release"]);
const bob = person("bob", ["sre", "release"]);
const carol = person("carol", ["dev"]);
const config = { file: "<inline>", approvers: new Map([alice, bob, carol].map((p) => [p.approver.name, p.approver])), environments: [] } as EnvironmentsConfig;

const request: ApprovalRequest = { action: "promote", from: "staging", to: "production", bundle: B1, replacing: B2, change: 7, skip: [] };
const sign = (who: { approver: Approver; signer: SignerKey }, r: ApprovalRequest = request, options: { waiveReplay?: string; now?: Date } = {}) => signApproval(r, who.approver.name, who.signer, { now: NOW, ...options });
const one: ApprovalRule = { roles: ["release"], twoPerson: false, maxAgeMs: 24 * HOUR };
const two: ApprovalRule = { roles: ["release"], twoPerson: true, maxAgeMs: 24 * HOUR };
const check = (notes: string[], rule: ApprovalRule | null, r: ApprovalRequest = request, used = new Map<string, number>(), now = NOW) => checkApprovals(notes, config, r, rule, used, now);
const rejected = (notes: string[], rule: ApprovalRule | null, r?: ApprovalRequest, used?: Map<string, number>, now?: Date) => check(notes, rule, r, used, now).evidence.map((e) => e.rejected);

const full: ApprovalText = { ...request, skip: ["qa", "uat"], approver: "alice", time: NOW.toISOString(), waiveReplay: "first release" };
const FULL_TEXT = "palisade.approval/1\napprover alice\naction promote\nfrom staging\nto production\n" +
  `bundle ${B1}\nreplacing ${B2}\nchange 7\nskip qa,uat\nwaive-replay first release\ntime 2026-12-07T10:00:00.000Z\n`;

test("the approval text: one canonical form, every field in order, optional ones omitted, and it parses back", () => {
  assert.equal(approvalText(full), FULL_TEXT);
  assert.deepEqual(parseApprovalText(FULL_TEXT), full);
  const rollback: ApprovalText = { action: "rollback", from: null, to: "production", bundle: B2, replacing: null, change: 12, skip: [], approver: "bob", time: NOW.toISOString(), waiveReplay: null };
  const text = `palisade.approval/1\napprover bob\naction rollback\nto production\nbundle ${B2}\nreplacing none\nchange 12\ntime 2026-12-07T10:00:00.000Z\n`;
  assert.equal(approvalText(rollback), text);
  assert.deepEqual(parseApprovalText(text), rollback);
});

test("the approval text: any deviation from the canonical form is no approval", () => {
  const lines = FULL_TEXT.split("\n");
  const without = (prefix: string) => lines.filter((l) => !l.startsWith(`${prefix} `)).join("\n");
  const swap = (prefix: string, value: string) => lines.map((l) => (l.startsWith(`${prefix} `) ? `${prefix} ${value}` : l)).join("\n");
  const bad: Array<[string, string]> = [
    ["no final newline", FULL_TEXT.slice(0, -1)],
    ["another format", FULL_TEXT.replace("palisade.approval/1", "palisade.approval/2")],
    ["no approver", without("approver")],
    ["no action", without("action")],
    ["an action that is neither promote nor rollback", swap("action", "merge").replace(/^from .*\n/m, "")],
    ["a promotion without its source", without("from")],
    ["a rollback naming a source", swap("action", "rollback")],
    ["no target", without("to")],
    ["no bundle", without("bundle")],
    ["no replacing", without("replacing")],
    ["no change", without("change")],
    ["no time", without("time")],
    ["change 0", swap("change", "0")],
    ["change -1", swap("change", "-1")],
    ["change 07", swap("change", "07")],
    ["change of 16 digits", swap("change", "1234567890123456")],
    ["change with a sign", swap("change", "+7")],
    ["a time that is no time", swap("time", "tomorrow")],
    ["fields out of order", FULL_TEXT.replace("to production\nbundle", "bundle").replace("replacing", "to production\nreplacing")],
    ["an extra line", FULL_TEXT.replace("time ", "note hi\ntime ")],
    ["a line after the time", `${FULL_TEXT}extra 1\n`],
    ["an empty skip", swap("skip", "")],
    ["an empty name among the skipped", swap("skip", "qa,,uat")],
    ["a trailing comma in skip", swap("skip", "qa,")],
  ];
  for (const [name, text] of bad) assert.equal(parseApprovalText(text), undefined, name);
  // The largest change the form admits (15 digits), and a change of several digits, are approvals.
  assert.equal(parseApprovalText(swap("change", "999999999999999"))?.change, 999_999_999_999_999);
  assert.equal(parseApprovalText(swap("change", "10"))?.change, 10);
});

test("signing: the waiver reason is trimmed and must be one line of at most 200 characters", () => {
  const note = sign(alice, request, { waiveReplay: "  new target  " });
  assert.equal(parseApprovalText(note.slice(0, note.indexOf("\n\n") + 1))?.waiveReplay, "new target");
  assert.ok(sign(alice, request, { waiveReplay: "x".repeat(200) }));
  for (const reason of ["", "   ", "x".repeat(201), "two\nlines", "a\u0000b", "del\u007f"]) {
    assert.throws(() => sign(alice, request, { waiveReplay: reason }), (e: unknown) => e instanceof EnvironmentError && e.code === "approval/unreadable" && e.message === "a replay waiver needs a reason of one line, at most 200 characters", JSON.stringify(reason));
  }
});

test("an approval's id is the digest of its text, whoever signs it; a note that is not one is hashed whole", () => {
  const text = approvalText({ ...request, approver: "alice", time: NOW.toISOString(), waiveReplay: null });
  const hex = (s: string) => `sha256:${createHash("sha256").update(s, "utf8").digest("hex")}`;
  assert.equal(approvalId(signNote(text, alice.signer)), hex(text));
  assert.equal(approvalId(signNote(text, [alice.signer, bob.signer])), hex(text));
  assert.equal(approvalId("alice"), hex("alice"));
});

test("the rules: a promotion's from its config (none without one), a rollback's one approver with the same roles", () => {
  assert.equal(promotionRule(null), null);
  assert.deepEqual(promotionRule({ roles: ["release"], twoPerson: true, maxAgeMs: HOUR }), { roles: ["release"], twoPerson: true, maxAgeMs: HOUR });
  assert.deepEqual(rollbackRule({ roles: ["release"], twoPerson: true, maxAgeMs: HOUR }), { roles: ["release"], twoPerson: false, maxAgeMs: HOUR });
  assert.deepEqual(rollbackRule(null), { roles: null, twoPerson: false, maxAgeMs: 24 * HOUR });
});

test("who counts: the named approver's key, this very change, the role, once per person, never a used note", () => {
  const good = sign(alice);
  const c = check([good, sign(bob)], two);
  assert.equal(c.satisfied, true);
  assert.deepEqual(c.counted.map((a) => a.name), ["alice", "bob"]);
  assert.deepEqual(c.evidence.map((e) => [e.approver, e.roles, e.role, e.counted, e.rejected, e.digest, e.note]), [
    ["alice", ["release"], "release", true, null, approvalId(good), good],
    ["bob", ["sre", "release"], "release", true, null, approvalId(sign(bob)), sign(bob)],
  ]);
  assert.equal(c.detail, "approved by alice and bob (signed with role 'release', two-person rule)");
  assert.equal(c.waiver, null);

  const text = approvalText({ ...request, approver: "alice", time: NOW.toISOString(), waiveReplay: null });
  assert.deepEqual(rejected(["garbage", signNote("hello\n", alice.signer), signNote(text.replace("alice", "mallory"), alice.signer), signNote(text, bob.signer)], one), [
    "not a signed note",
    "not a palisade.approval/1 approval",
    "'mallory' is not a configured approver",
    "not signed by alice's key: note has no verifiable signatures",
  ]);
  const evidence = check([signNote(text, bob.signer)], one).evidence[0];
  assert.deepEqual([evidence.approver, evidence.roles, evidence.role, evidence.counted], [null, [], null, false], "a signature by the wrong key names nobody");

  // Each field of the change, changed alone, makes the approval another change's.
  const others: Array<[Partial<ApprovalRequest>, string]> = [
    [{ bundle: B2 }, `promoting ${B2} from 'staging' to 'production' (replacing ${B2}, change 7)`],
    [{ from: "qa" }, `promoting ${B1} from 'qa' to 'production' (replacing ${B2}, change 7)`],
    [{ to: "eu" }, `promoting ${B1} from 'staging' to 'eu' (replacing ${B2}, change 7)`],
    [{ replacing: null }, `promoting ${B1} from 'staging' to 'production' (replacing nothing, change 7)`],
    [{ change: 8 }, `promoting ${B1} from 'staging' to 'production' (replacing ${B2}, change 8)`],
    [{ skip: ["qa", "uat"] }, `promoting ${B1} from 'staging' to 'production' (replacing ${B2}, change 7) past qa, uat`],
    [{ action: "rollback", from: null }, `rolling 'production' back from ${B2} to ${B1} (change 7)`],
  ];
  const want = `promoting ${B1} from 'staging' to 'production' (replacing ${B2}, change 7)`;
  for (const [diff, says] of others) {
    const c2 = check([sign(alice, { ...request, ...diff })], one);
    assert.deepEqual(c2.evidence.map((e) => [e.approver, e.counted, e.rejected]), [["alice", false, `approves ${says}, not ${want}`]], JSON.stringify(diff));
  }
  // The action on its own: a promotion's approval is none for a request that names the same source but rolls back.
  assert.equal(check([sign(alice)], one, { ...request, action: "rollback" }).satisfied, false);
  const skipping = { ...request, skip: ["qa", "uat"] };
  assert.equal(check([sign(alice, skipping)], one, skipping).satisfied, true, "the same skip list is the same change");
  assert.equal(check([sign(alice, { ...request, skip: ["qa"] })], one, skipping).satisfied, false);
  const rb: ApprovalRequest = { action: "rollback", from: null, to: "production", bundle: B1, replacing: null, change: 3, skip: [] };
  assert.deepEqual(rejected([sign(alice, { ...rb, bundle: B2 })], one, rb), [`approves rolling 'production' back from nothing to ${B2} (change 3), not rolling 'production' back from nothing to ${B1} (change 3)`]);

  assert.deepEqual(rejected([good], one, request, new Map([[approvalId(good), 41]])), ["already used for the change recorded at audit entry 41"]);
  assert.deepEqual(rejected([good, sign(alice, request, { now: new Date(NOW.getTime() - 1000) })], two), [null, "a second approval by alice: each person counts once"]);
  const roles: ApprovalRule = { roles: ["release", "sre"], twoPerson: false, maxAgeMs: HOUR };
  const carols = check([sign(carol)], roles);
  assert.deepEqual(carols.evidence.map((e) => [e.approver, e.roles, e.role, e.counted, e.rejected]), [["carol", ["dev"], null, false, "carol holds none of the roles 'release', 'sre'"]]);
  assert.equal(carols.detail, "needs an approver with role 'release' or 'sre', each signing this change; signed and qualifying: none; not counted: carol: carol holds none of the roles 'release', 'sre'");
  assert.equal(check([sign(bob)], { ...roles, roles: ["sre", "release"] }).evidence[0].role, "sre", "the first required role the approver holds");
  assert.equal(check([sign(carol)], { roles: null, twoPerson: false, maxAgeMs: HOUR }).evidence[0].role, null, "no role required, none recorded");
});

test("when: a clock a little ahead is tolerated (5 minutes), an approval lasts the rule's age and no longer, 24 h without a rule", () => {
  const at = (ms: number) => sign(alice, request, { now: new Date(NOW.getTime() + ms) });
  assert.deepEqual(rejected([at(5 * 60_000)], one), [null], "exactly at the skew");
  assert.deepEqual(rejected([at(5 * 60_000 + 1)], one), ["signed at 2026-12-07T10:05:00.001Z, in the future"]);
  const twoHours: ApprovalRule = { ...one, maxAgeMs: 2 * HOUR };
  assert.deepEqual(rejected([at(-2 * HOUR)], twoHours), [null], "exactly the age");
  assert.deepEqual(rejected([at(-2 * HOUR - 1)], twoHours), ["signed at 2026-12-07T07:59:59.999Z, longer ago than the 2 h an approval lasts"]);
  assert.deepEqual(rejected([at(-24 * HOUR)], null), [null]);
  assert.deepEqual(rejected([at(-24 * HOUR - 1)], null), ["signed at 2026-12-06T09:59:59.999Z, longer ago than the 24 h an approval lasts"]);
});

test("the gate's detail and verdict: none needed, one, two distinct people", () => {
  assert.deepEqual(check([], null), { evidence: [], counted: [], satisfied: true, detail: "no approval required", waiver: null });
  assert.equal(check([sign(carol), "x"], null).detail, "no approval required; signed by carol; not counted: ?: not a signed note");
  assert.equal(check(["x", sign(carol)], one).detail, "needs an approver with role 'release', each signing this change; signed and qualifying: none; not counted: ?: not a signed note; carol: carol holds none of the roles 'release'");
  assert.equal(check([sign(alice)], one).detail, "approved by alice (signed with role 'release')");
  assert.equal(check([sign(alice)], { roles: null, twoPerson: false, maxAgeMs: HOUR }).detail, "approved by alice (signed)");
  const half = check([sign(alice)], two);
  assert.equal(half.satisfied, false);
  assert.equal(half.detail, "needs two distinct approvers with role 'release', each signing this change; signed and qualifying: alice");
  assert.equal(check([], one).detail, "needs an approver with role 'release', each signing this change; signed and qualifying: none");
  assert.equal(check([], one).satisfied, false);
});

test("a replay waiver stands only when those who signed it would satisfy the rule on their own", () => {
  const waive = (who: typeof alice, reason: string) => sign(who, request, { waiveReplay: reason });
  assert.deepEqual(check([waive(alice, "new target")], one).waiver, { reason: "new target", approvers: ["alice"] });
  assert.deepEqual(check([waive(alice, "new target")], null).waiver, { reason: "new target", approvers: ["alice"] }, "one signer at least, even when no approval is needed");
  assert.equal(check([waive(alice, "new target"), sign(bob)], two).waiver, null, "one of two waived");
  assert.deepEqual(check([waive(alice, "new target"), waive(bob, "new target")], two).waiver, { reason: "new target", approvers: ["alice", "bob"] });
  assert.deepEqual(check([waive(alice, "new target"), waive(bob, "empty")], two).waiver, { reason: "new target / empty", approvers: ["alice", "bob"] });
  assert.equal(check([waive(carol, "mine")], one).waiver, null, "a waiver by someone who does not count");
});
