import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "../../../language/parse.ts";
import type { CommandIO } from "../command.ts";
import { main } from "../main.ts";

async function run(argv: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CommandIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), readStdin: async () => stdin, cwd: dir, isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), "palisade-import-"));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return name;
};

describe("palisade import jsonlogic", () => {
  it("prints the expression", async () => {
    const f = file("r.json", JSON.stringify({ and: [{ "<": [{ var: "tool.args.amount" }, 500] }, { "===": [{ var: "tool.name" }, "refund"] }] }));
    const r = await run(["import", "jsonlogic", f]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'jsonlogic.lt(tool.args.amount, 500) and tool.name == "refund"\n');
  });

  it("reads under --root and from stdin", async () => {
    const r = await run(["import", "jsonlogic", "-", "--root", "meta"], JSON.stringify({ var: "a.b.0" }));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "meta.a.b[0]\n");
  });

  it("prints a whole rule with --rule and --phase, which parses", async () => {
    const f = file("c.json", JSON.stringify({ some: [{ var: "session.calls" }, { "===": [{ var: "tool.name" }, "read_record"] }] }));
    const r = await run(["import", "jsonlogic", f, "--rule", "no_reads", "--phase", "tool_call"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'rule no_reads on tool_call {\n  when any item in jsonlogic.list(session.calls): item.tool.name == "read_record"\n  then deny\n}\n');
    assert.deepEqual(parse(`package p\n${r.out}`, "x").diagnostics, []);
  });

  it("exits 2 with a clear message on bad JSON, inexpressible rules and bad arguments", async () => {
    const bad = await run(["import", "jsonlogic", file("bad.json", "{ nope")]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /'bad\.json' is not JSON/);
    const map = await run(["import", "jsonlogic", file("m.json", JSON.stringify({ map: [{ var: "xs" }, { var: "" }] }))]);
    assert.equal(map.code, 2);
    assert.match(map.err, /cannot import 'm\.json' at \/map: 'map' builds a new list/);
    assert.equal((await run(["import", "jsonlogic", "missing.json"])).code, 2);
    assert.equal((await run(["import", "yaml", "x"])).code, 2);
    assert.equal((await run(["import", "jsonlogic", "r.json", "--rule", "r"])).code, 2);
    assert.equal((await run(["import", "jsonlogic", "r.json", "--rule", "r", "--phase", "lunch"])).code, 2);
    const h = await run(["import", "--help"]);
    assert.equal(h.code, 0);
    assert.match(h.out, /--root NAME/);
  });
});
