// Placeholder until the command lands.
import type { Command } from "./command.ts";

/** `palisade import`. */
export const command: Command = {
  name: "import",
  summary: "not yet available",
  help: "usage: palisade import (not yet available)",
  async run(_argv, io) {
    io.stderr("palisade import: not yet available\n");
    return 2;
  },
};
