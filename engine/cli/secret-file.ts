// Files that hold a secret (a checkpoint signing key, the admin key): mode 0600, created at most
// once even when several processes start together. The content is written to a temporary file
// first and linked into place, which fails with EEXIST when another process got there first; the
// loser then reads the winner's file, which is complete by construction (a link is atomic).
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";

/**
 * The text in `path`, creating it with `make()` (mode 0600) when it does not exist yet. Returns
 * whether this call created it. Safe against concurrent callers on the same path.
 */
export function readOrCreateSecret(path: string, make: () => string): { text: string; created: boolean } {
  try {
    return { text: readFileSync(path, "utf8"), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const text = make();
  writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
  try {
    linkSync(tmp, path);
    return { text, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return { text: readFileSync(path, "utf8"), created: false };
  } finally {
    unlinkSync(tmp);
  }
}
