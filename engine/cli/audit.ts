// Placeholder until the command lands.
import type { Command } from "./command.ts";

/** `palisade audit`. */
export const command: Command = {
  name: "audit",
  summary: "not yet available",
  help: "usage: palisade audit (not yet available)",
  async run(_argv, io) {
    io.stderr("palisade audit: not yet available\n");
    return 2;
  },
};
