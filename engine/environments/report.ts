// How the CLI shows a refusal: `palisade CMD: error[code]: message` and the hint, never a stack.
// Config and key mistakes, unknown environments and unreadable approval files are the user's
// input being unusable (exit 2); a refused bundle, order or state is a finding (exit 1).
import { EnvironmentError } from "./errors.ts";

/** Exit code and text for an error a command met, or undefined when it is not one users cause. */
export function describeFailure(command: string, err: unknown): { readonly code: number; readonly text: string } | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string" || !/^[a-z-]+\/[a-z-]+$/.test(code)) return undefined;
  const hint = (err as { hint?: unknown }).hint;
  const text = `palisade ${command}: error[${code}]: ${err.message}\n${typeof hint === "string" ? `  help: ${hint}\n` : ""}`;
  const usage = err instanceof EnvironmentError && (code.startsWith("config/") || code.startsWith("key/") || code === "env/unknown" || code === "env/no-audit" || code === "approval/unreadable");
  return { code: usage ? 2 : 1, text };
}
