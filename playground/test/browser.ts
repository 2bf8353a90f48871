// Chromium for the browser suites: Debian's binary (test/run.ts finds it), the flags that keep
// it off the network, a fresh profile per launch, and where screenshots go.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { BrowserContext } from "playwright-core";
import { chromiumPath, repoRoot } from "../../test/support.ts";

/** test-output/screenshots (gitignored). */
export const screenshots = join(repoRoot, "test-output", "screenshots");

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A Chromium context on a fresh profile; `close` also removes the profile. */
export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  mkdirSync(screenshots, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "palisade-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath(), headless: true, args: FLAGS, viewport: { width: 1400, height: 900 } });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
