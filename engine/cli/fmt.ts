// Placeholder until the command lands.
import type { Command } from "./command.ts";

/** `palisade fmt`. */
export const command: Command = {
  name: "fmt",
  summary: "not yet available",
  help: "usage: palisade fmt (not yet available)",
  async run(_argv, io) {
    io.stderr("palisade fmt: not yet available\n");
    return 2;
  },
};
