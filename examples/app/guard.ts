// One guard for the whole app; each conversation is a session of it.
// readme:start
import { createGuard } from "palisade";

export const guard = createGuard({
  policies: `${import.meta.dirname}/policies`, // .policy files, checked when the guard is made
  env: "production",
  agent: "support-bot",
});
// A session per conversation: its own history for sequence rules, its own principal.
export const chat = guard.session("chat-c42", { id: "agent-7", roles: ["support"] });
// readme:end
