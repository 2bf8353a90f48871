// One guard for the whole app; every framework below uses it.
// readme:start
import { createGuard } from "palisade";

export const guard = createGuard({
  policies: `${import.meta.dirname}/policies`, // .policy files, checked when the guard is made
  env: "production",
  agent: "support-bot",
  approver: async () => false, // asked on require_approval: ask a person; anything but yes refuses
});
// readme:end
