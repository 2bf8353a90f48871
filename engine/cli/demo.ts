// Placeholder until the command lands.
import type { Command } from "./command.ts";

/** `palisade demo`. */
export const command: Command = {
  name: "demo",
  summary: "not yet available",
  help: "usage: palisade demo (not yet available)",
  async run(_argv, io) {
    io.stderr("palisade demo: not yet available\n");
    return 2;
  },
};
