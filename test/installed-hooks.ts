// Runs the framework adapters' suites (engine/sdk/<adapter>/test/*.test.ts) against the packed
// package installed in the test app, so a broken build (a missing file, an entry that loses an
// export, an adapter that resolves its framework wrongly) fails them, not only the sources.
// test/run.ts loads this file with `--import` when it sets up the app; it acts only in a process
// whose main file is such a suite:
//   - the suite's imports of Palisade's sources become imports of the public entries they stand
//     for (`../index.ts` from engine/sdk/ai-sdk/test is `palisade/ai-sdk`), resolved from the app
//     through the package's exports map; any other source a suite reaches fails the import, so
//     no suite quietly tests the sources instead;
//   - its bare imports (the frameworks, their test models, zod) resolve from the app too, the one
//     copy the installed adapters use;
//   - PALISADE_TEST_INSTALLED names the app, so a suite that runs the command runs the installed
//     bin (palisadeCli() in test/support.ts).
import { registerHooks } from "node:module";
import { relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ADAPTER_SUITE, waitForApp } from "./package-app.ts";

const root = resolve(import.meta.dirname, "..");

/** The sources a suite may import, and the public entry each stands for. */
export const ENTRY_OF: Readonly<Record<string, string>> = {
  "engine/sdk/index.ts": "palisade",
  "engine/sdk/ai-sdk/index.ts": "palisade/ai-sdk",
  "engine/sdk/openai/agents.ts": "palisade/openai-agents",
  "engine/sdk/openai/client.ts": "palisade/openai",
  "engine/sdk/langchain/index.ts": "palisade/langchain",
  "engine/sdk/mcp/index.ts": "palisade/mcp",
  "engine/audit/index.ts": "palisade/audit",
};

const fromRoot = (url: string): string | undefined => {
  if (!url.startsWith("file:")) return undefined;
  const rel = relative(root, fileURLToPath(url));
  return rel.startsWith("..") ? undefined : rel;
};

// A suite's own files: the suites and what sits beside them in a test folder (fixtures, helpers).
const isTestFile = (rel: string): boolean => /(^|\/)test\//.test(rel);

const app = process.env.PALISADE_TEST_APP;
const main = process.argv[1] ? relative(root, resolve(process.argv[1])) : "";
if (app && ADAPTER_SUITE.test(main)) {
  const appParent = pathToFileURL(resolve(app, "package.json")).href;
  process.env.PALISADE_TEST_INSTALLED = app;
  let ready = false;
  registerHooks({
    resolve(specifier, context, next) {
      const parent = context.parentURL ? fromRoot(context.parentURL) : undefined;
      if (parent === undefined || !parent.startsWith("engine/sdk/") || !isTestFile(parent) || specifier.startsWith("node:")) return next(specifier, context);
      if (!ready) {
        waitForApp(app);
        ready = true;
      }
      if (!specifier.startsWith(".") && !specifier.startsWith("/") && !specifier.startsWith("file:")) return next(specifier, { ...context, parentURL: appParent });
      const resolved = next(specifier, context);
      const target = fromRoot(resolved.url);
      if (target === undefined || isTestFile(target)) return resolved;
      const entry = ENTRY_OF[target];
      if (entry === undefined) throw new Error(`${parent} imports ${target}, which no public entry of the package stands for: an adapter suite reaches Palisade only through the entries listed in test/installed-hooks.ts`);
      return next(entry, { ...context, parentURL: appParent });
    },
  });
}
