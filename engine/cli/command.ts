// What every `palisade` subcommand is: a name, a one-line summary, its help text, and a
// function from arguments to an exit code. Output goes through `io` so tests can capture it.

/** Where a command writes; the real CLI passes process streams, tests pass buffers. */
export interface CommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads all of standard input (for `--input -`). */
  readonly readStdin: () => Promise<string>;
  readonly cwd: string;
  /** Whether stderr is a terminal (colour, charts). */
  readonly isTTY: boolean;
}

/** One subcommand. `run` returns the exit code: 0 ok, 1 findings (failed checks/tests), 2 usage or unusable input. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}
