// Two agents' sessions named alike, in the shared decisions table (see console-agents.ts).
import { it } from "node:test";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { PostgresActivity } from "../activity-pg.ts";
import { keyConfigs, startHarness } from "./harness.ts";
import { twoAgentsOneId } from "./console-agents.ts";

it("the console lists and opens sessions per (agent, session id), on PostgreSQL", async () => {
  const activity = await PostgresActivity.open(await freshDatabase("console_agents"));
  const h = await startHarness({ activity }, keyConfigs, false);
  try {
    await twoAgentsOneId(h);
  } finally {
    await h.close();
  }
});
