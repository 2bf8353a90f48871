// A doctored report fails verification, loudly and by name: an edited entry, an edited proof,
// an edited checkpoint, a swapped signature, a swapped key, an edited claim, summary or count.
// The untouched report verifies, so each failure below is the doctoring's doing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog, generateKey, parseSignerKey, signNote } from "../../audit/index.ts";
import { toHtml } from "../html.ts";
import { toOscal } from "../oscal.ts";
import type { Report } from "../report.ts";
import { verifyReport } from "../verify.ts";
import { seedLog } from "./seed.ts";
import type { SeededLog } from "./seed.ts";
import { palisade } from "./support.ts";

let seed: SeededLog;
let original: Report;
let log: AuditLog;

before(async () => {
  seed = await seedLog(1);
  const r = await palisade(["report", "--framework", "soc2", "--from", seed.from, "--to", seed.to, "--format", "json", "--db", seed.db]);
  assert.equal(r.code, 0, r.stderr);
  original = JSON.parse(r.stdout) as Report;
  writeFileSync(join(seed.dir, "soc2.json"), r.stdout);
  log = await AuditLog.open(seed.db);
});
after(async () => {
  await log.close();
  rmSync(seed.dir, { recursive: true, force: true });
});

// Deliberately loose: the doctoring below reaches into arbitrary fields of a parsed copy.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Mutable = any;
const copy = (): Mutable => JSON.parse(JSON.stringify(original)) as Mutable;

async function problems(doctored: unknown, withLog = false, keys: readonly string[] = [seed.verifierKey]): Promise<string[]> {
  return [...(await verifyReport(doctored, withLog ? { log, verifierKeys: keys } : { verifierKeys: keys })).problems];
}

/** A cited decision that was denied, and its place in `entries`. */
function deniedEntry(r: Mutable): { at: number; index: number } {
  const at = (r.entries as Mutable[]).findIndex((e) => String(e.entry).includes('"decision":"deny"'));
  assert.ok(at >= 0);
  return { at, index: Number(r.entries[at].index) };
}

describe("report verify", () => {
  test("the untouched report verifies, alone and against the log", async () => {
    assert.deepEqual(await problems(original), []);
    assert.deepEqual(await problems(original, true), []);
  });

  test("an edited entry is caught and named", async () => {
    const r = copy();
    const { at, index } = deniedEntry(r);
    (r.entries[at] as unknown as Record<string, string>).entry = String(r.entries[at].entry).replace('"decision":"deny"', '"decision":"allow"');
    const p = await problems(r);
    assert.ok(p.some((m) => m.includes(`entry ${index}: its text does not hash`)), p.join("\n"));
  });

  test("an edited entry with a recomputed leaf hash still fails its inclusion proof", async () => {
    const { leafHash, toHex } = await import("../../audit/index.ts");
    const r = copy();
    const { at, index } = deniedEntry(r);
    const text = String(r.entries[at].entry).replace('"decision":"deny"', '"decision":"allow"');
    const e = r.entries[at] as unknown as Record<string, string>;
    e.entry = text;
    e.leaf_hash = toHex(leafHash(new TextEncoder().encode(text)));
    const p = await problems(r);
    assert.ok(p.some((m) => m.includes(`entry ${index}: the inclusion proof does not lead`)), p.join("\n"));
  });

  test("an edited proof is caught", async () => {
    const r = copy();
    const at = (r.entries as Mutable[]).findIndex((e) => (e.proof as Mutable[]).length > 0);
    const proof = r.entries[at].proof as unknown as string[];
    proof[0] = (proof[0][0] === "0" ? "1" : "0") + proof[0].slice(1);
    const p = await problems(r);
    assert.ok(p.some((m) => m.includes(`entry ${Number(r.entries[at].index)}: the inclusion proof does not lead`)), p.join("\n"));
  });

  test("an edited checkpoint is caught", async () => {
    const r = copy();
    const log_ = r.log as unknown as Record<string, string | number>;
    const note = String(log_.checkpoint);
    const lines = note.split("\n");
    lines[1] = String(Number(lines[1]) + 1);
    log_.checkpoint = lines.join("\n");
    const p = await problems(r);
    assert.ok(p.some((m) => m.startsWith("the checkpoint signature does not verify")), p.join("\n"));
  });

  test("without a trusted key nothing verifies, whatever key the report names", async () => {
    const p = await problems(original, false, []);
    assert.ok(p.some((m) => m.startsWith("no trusted verifier key was given")), p.join("\n"));
  });

  test("a signature swapped for another key's is caught", async () => {
    const r = copy();
    const log_ = r.log as unknown as Record<string, string>;
    const note = log_.checkpoint;
    const body = note.slice(0, note.indexOf("\n\n") + 1);
    const other = generateKey("compliance.test/audit");
    log_.checkpoint = signNote(body, parseSignerKey(other.signerKey));
    const p = await problems(r);
    assert.ok(p.some((m) => m.startsWith("the checkpoint signature does not verify")), p.join("\n"));

    // Swapping the named key too makes the report self-consistent, and it still fails: only the trusted key counts.
    log_.verifier_key = other.verifierKey;
    const p2 = await problems(r);
    assert.ok(p2.some((m) => m.startsWith("the checkpoint signature does not verify with the trusted key")), p2.join("\n"));
    // Trusting the forger's key is the caller's choice, and then the report names its signer.
    assert.deepEqual(await problems(r, false, [other.verifierKey]), []);
  });

  test("a claim edited away from its entry is caught", async () => {
    const r = copy();
    const facts = Object.values(r.evidence.controls as unknown as Record<string, Mutable>).find((f) => (f.samples as Mutable[]).some((e) => e.kind === "denial"));
    assert.ok(facts);
    const ex = (facts.samples as Mutable[]).find((e) => e.kind === "denial") as Mutable;
    (ex.decision as unknown as Record<string, string>).agent = "someone-else";
    const p = await problems(r);
    assert.ok(p.some((m) => /samples\[\d+\] does not match entry \d+/.test(m)), p.join("\n"));
  });

  test("a status or summary edited away from the evidence is caught", async () => {
    const r = copy();
    const c = (r.controls as Mutable[]).find((x) => x.status === "satisfied") as unknown as Record<string, string>;
    c.status = "exceptions";
    const p = await problems(r);
    assert.ok(p.some((m) => m.includes(`control ${c.id} is reported exceptions, but its evidence makes it satisfied`)), p.join("\n"));
    assert.ok(p.some((m) => m.startsWith("the summary counts")), p.join("\n"));
  });

  test("an edited count is caught against the log", async () => {
    const r = copy();
    (r.evidence.decisions as unknown as Record<string, number>).deny -= 5;
    assert.deepEqual(await problems(r), [], "counts are not provable from the cited entries alone");
    const p = await problems(r, true);
    assert.ok(p.some((m) => m.includes("recomputed from the log differs") && m.includes("decisions")), p.join("\n"));
  });

  test("the command fails loudly on doctored HTML and OSCAL files, exit 1", async () => {
    const r = copy();
    const { at, index } = deniedEntry(r);
    (r.entries[at] as unknown as Record<string, string>).entry = String(r.entries[at].entry).replace('"decision":"deny"', '"decision":"allow"');
    const doctored = r as unknown as Report;
    for (const [name, text] of [
      ["doctored.html", toHtml(doctored)],
      ["doctored.oscal.json", JSON.stringify(toOscal(doctored))],
    ] as const) {
      const file = join(seed.dir, name);
      writeFileSync(file, text);
      const out = await palisade(["report", "verify", file, "--vkey", seed.verifierKey]);
      assert.equal(out.code, 1, name);
      assert.match(out.stderr, /FAILED: .* does not verify/);
      assert.ok(out.stderr.includes(`entry ${index}: its text does not hash`), out.stderr);
    }
    // The file's own bytes, edited in place: a deny turned allow inside the HTML's data block.
    const htmlFile = join(seed.dir, "edited.html");
    const html = toHtml(original);
    writeFileSync(htmlFile, html.replace('\\"decision\\":\\"deny\\"', '\\"decision\\":\\"allow\\"'));
    assert.notEqual(readFileSync(htmlFile, "utf8"), html);
    const out = await palisade(["report", "verify", htmlFile, "--vkey", seed.verifierKey]);
    assert.equal(out.code, 1, out.stdout);
  });

  test("what an auditor reads is what verified: an edited HTML page or OSCAL finding fails", async () => {
    const html = toHtml(original);
    const visible = html.replace(/(<div class="card"><b>)\d+(<\/b><span class="badge exceptions">)/, "$1" + "0$2");
    const page = html.replace('<span class="badge satisfied">operating</span>', '<span class="badge satisfied">operating (verified by the auditor)</span>');
    assert.notEqual(page, html);
    for (const text of [page, visible === html ? page : visible]) {
      const p = [...(await verifyReport(original, { verifierKeys: [seed.verifierKey], file: text })).problems];
      assert.ok(p.some((m) => m.startsWith("the HTML page is not the rendering")), p.join("\n"));
    }
    assert.deepEqual([...(await verifyReport(original, { verifierKeys: [seed.verifierKey], file: html })).problems], []);
    const oscal = toOscal(original) as Mutable;
    oscal["assessment-results"].results[0].findings[0].target.status = { state: "satisfied", reason: "pass" };
    oscal["assessment-results"].results[0].findings[0].props[1].value = "satisfied";
    const p = [...(await verifyReport(original, { verifierKeys: [seed.verifierKey], file: JSON.stringify(oscal) })).problems];
    assert.ok(p.some((m) => m.startsWith("the OSCAL document is not the rendering")), p.join("\n"));
    const file = join(seed.dir, "edited-page.html");
    writeFileSync(file, page);
    const out = await palisade(["report", "verify", file, "--vkey", seed.verifierKey]);
    assert.equal(out.code, 1);
    const good = join(seed.dir, "page.html");
    writeFileSync(good, html);
    const ok = await palisade(["report", "verify", good, "--vkey", seed.verifierKey]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /rendering: the file is exactly the rendering of the report it embeds/);
  });

  test("titles, evidence texts, scope and rules edited to read better are caught", async () => {
    const r = copy();
    r.controls[0].title = "Access is fully controlled";
    r.controls[1].evidence_required = "Nothing is needed.";
    r.scope.out_of_scope = [];
    const p = await problems(r);
    assert.ok(p.some((m) => m.includes(`control ${r.controls[0].id}: its title differs`)), p.join("\n"));
    assert.ok(p.some((m) => m.includes(`control ${r.controls[1].id}: its evidence required differs`)), p.join("\n"));
    assert.ok(p.some((m) => m.startsWith("the scope differs")), p.join("\n"));
    const other = await palisade(["report", "verify", join(seed.dir, "soc2.json"), "--vkey", seed.verifierKey, "--policies", "stdlib-policies/hipaa"]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /built with policies .*, not the given/);
    const same = await palisade(["report", "verify", join(seed.dir, "soc2.json"), "--vkey", seed.verifierKey, "--policies", "stdlib-policies/soc2"]);
    assert.equal(same.code, 0, same.stderr);
  });

  test("something that is not a report is refused", async () => {
    assert.deepEqual(await problems({ hello: "world" }), ["not a Palisade compliance report (format palisade.compliance-report/2)"]);
    const r = copy();
    (r as unknown as Record<string, unknown>).entries = [{ index: "x" }];
    const p = await problems(r);
    assert.ok(p.length > 0);
  });
});
