// A CommonJS module in TypeScript: with module nodenext its imports compile to require(), which
// Node 22 runs on Palisade's ES modules, and it sees the same types an ES module app does.
import { createGuard, PolicyDeniedError } from "palisade";
import type { Guard } from "palisade";
import { guardTools } from "palisade/ai-sdk";

const guard: Guard = createGuard({ policies: `${__dirname}/policies`, env: "production", agent: "support-bot" });
export const tools = guardTools(guard.session("chat-c42", "agent-7"), {});
export const isDenied = (err: unknown): boolean => err instanceof PolicyDeniedError;
