// Placeholder until the command lands.
import type { Command } from "./command.ts";

/** `palisade check`. */
export const command: Command = {
  name: "check",
  summary: "not yet available",
  help: "usage: palisade check (not yet available)",
  async run(_argv, io) {
    io.stderr("palisade check: not yet available\n");
    return 2;
  },
};
