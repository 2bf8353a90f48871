// A CommonJS app: every entry of the package through require() (Node 22 loads ES modules this
// way), and one guarded call.
// readme:start
const { createGuard } = require("palisade");

const guard = createGuard({ policies: `${__dirname}/policies`, env: "production", agent: "support-bot" });
const chat = guard.session("chat-c42", "agent-7");
const deleteFile = chat.wrapTool("delete_file", async ({ path }) => `deleted ${path}`, { onDeny: "message" });
// readme:end
const entries = ["palisade", "palisade/ai-sdk", "palisade/openai-agents", "palisade/openai", "palisade/langchain", "palisade/mcp", "palisade/audit", "palisade/monitor", "palisade/compliance", "palisade/environments", "palisade/service"];
for (const e of entries) console.log(`require ${e}: ${Object.keys(require(e)).length} exports`);
deleteFile({ path: "/data" }).then((out) => console.log(`delete_file -> ${JSON.stringify(out)}`), (err) => { console.error(err); process.exitCode = 1; });
