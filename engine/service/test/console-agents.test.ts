// Two agents' sessions named alike, on one node's memory view (see console-agents.ts).
// Unsealed, so that the principal (each session's owner) is listed.
import { it } from "node:test";
import { keyConfigs, startHarness } from "./harness.ts";
import { twoAgentsOneId } from "./console-agents.ts";

it("the console lists and opens sessions per (agent, session id), in memory", async () => {
  const h = await startHarness({}, keyConfigs, false);
  try {
    await twoAgentsOneId(h);
  } finally {
    await h.close();
  }
});
