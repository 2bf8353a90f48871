import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const dir = join(import.meta.dirname, "..");

async function example(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--disable-warning=ExperimentalWarning", join(dir, file)], { timeout: 60_000 });
  return stdout;
}

test("the AI SDK example shows a denial, an approval and redactions", async () => {
  const out = await example("ai-sdk.ts");
  assert.match(out, /delete_file -> "blocked by policy: deleting files is not allowed"/);
  assert.match(out, /approval asked: refund \{"amount":900\}/);
  assert.match(out, /refund -> "refunded 900"/);
  assert.match(out, /lookup -> \{"text":"c42: \[EMAIL\]"\}/);
  assert.match(out, /answer: Charged card \[CARD\]\./);
});

test("the OpenAI Agents SDK example shows a denial and a redaction", async () => {
  const out = await example("openai-agents.ts");
  assert.match(out, /blocked by policy: deleting files is not allowed/);
  assert.match(out, /c7: \[EMAIL\]/);
  assert.match(out, /answer: Done\. Card \[CARD\] refunded\./);
});

test("the LangChain example shows an interrupt refused by a human and redactions", async () => {
  const out = await example("langchain.ts");
  assert.match(out, /approval asked: refund \{"amount":900\}: refund of 900 needs a supervisor/);
  assert.match(out, /refund -> refunded 50/);
  assert.match(out, /refund -> blocked by policy: refund of 900 needs a supervisor \(approval refused: not today\)/);
  assert.match(out, /lookup -> \{"text":"c9: \[EMAIL\]"\}/);
  assert.match(out, /answer: Your card \[CARD\] is on file\./);
});

test("the MCP example goes through the proxy", async () => {
  const out = await example("mcp.ts");
  assert.match(out, /read_file -> contents of notes.txt: contact \[EMAIL\]/);
  assert.match(out, /delete_file -> error: blocked by policy: deleting files is not allowed/);
  assert.match(out, /refund -> error: blocked by policy: refund of 900 needs a supervisor \(no approver configured/);
});
