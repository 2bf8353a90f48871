// A small, strict argument parser shared by every command: unknown flags and missing values
// are usage errors (exit 2), never exceptions that print a stack.

/** How one flag is read. `boolean` flags take no value; `string` ones take the next word or `--flag=value`. */
export interface FlagSpec {
  readonly type: "boolean" | "string";
  readonly short?: string;
  readonly multiple?: boolean;
}

/** The result of parsing: flags by name and the positional words in order. */
export interface ParsedArgs {
  readonly flags: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** A mistake in the command line: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Parses `argv` against `spec`; `--help`/`-h` is always accepted. Throws UsageError on mistakes. */
export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const flags: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.short) byShort.set(s.short, name);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word === "--help" || word === "-h") {
      flags.help = true;
      continue;
    }
    if (word.startsWith("-") && word !== "-") {
      const eq = word.indexOf("=");
      const raw = word.startsWith("--") ? word.slice(2, eq < 0 ? undefined : eq) : word.slice(1);
      const name = word.startsWith("--") ? raw : byShort.get(raw);
      const s = name === undefined ? undefined : spec[name];
      if (name === undefined || s === undefined) throw new UsageError(`unknown option '${word}'`);
      if (s.type === "boolean") {
        if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
        flags[name] = true;
        continue;
      }
      let value: string;
      if (eq >= 0) value = word.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw new UsageError(`option '--${name}' needs a value`);
        value = argv[++i];
      }
      if (s.multiple) {
        const prev = flags[name];
        flags[name] = Array.isArray(prev) ? [...prev, value] : [value];
      } else flags[name] = value;
      continue;
    }
    positionals.push(word);
  }
  return { flags, positionals };
}

/** Reads a string flag, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === "string" ? v : undefined;
}

/** Reads a non-negative integer flag; throws UsageError on anything else. */
export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`option '--${name}' must be a non-negative integer, got '${v}'`);
  return Number(v);
}
