// Which bundle each serving node runs, in the spirit of OPA's status API: a node that serves an
// environment (`palisade serve --env`, an SDK process through openEnvironment) reports what it
// loaded, and when it last refused a bundle, as one small file per node in the environment's
// state folder (`nodes/<node>.json`), rewritten on every change and removed when it stops. These
// reports are what nodes say of themselves, for operators; they are not signed and prove nothing.
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { EnvironmentConfig } from "./config.ts";
import { writeAtomically } from "./state.ts";

/** What a serving node reports. */
export interface NodeStatus {
  readonly node: string;
  readonly env: string;
  readonly host: string;
  readonly pid: number;
  /** The bundle it decides with, or null when it serves nothing (it refused to start). */
  readonly digest: string | null;
  readonly version: string | null;
  /** The state sequence number that bundle was installed at. */
  readonly seq: number | null;
  /** ISO-8601 instant it started deciding with that bundle. */
  readonly since: string | null;
  /** The last bundle it refused, and why; null when none. */
  readonly refused: { readonly code: string; readonly message: string; readonly time: string } | null;
  /** ISO-8601 instant of this report. */
  readonly updated: string;
}

/** A default node name: host and process id. */
export function defaultNodeName(): string {
  return `${hostname()}:${process.pid}`;
}

function nodesDir(env: EnvironmentConfig): string {
  return join(env.state, "nodes");
}

function fileOf(env: EnvironmentConfig, node: string): string {
  return join(nodesDir(env), `${node.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
}

/** Writes a node's report (by rename). Errors are the caller's to report: a status is never worth a failed decision. */
export function writeNodeStatus(env: EnvironmentConfig, status: NodeStatus): void {
  mkdirSync(nodesDir(env), { recursive: true });
  writeAtomically(fileOf(env, status.node), `${JSON.stringify(status, null, 2)}\n`);
}

/** Removes a node's report (it stopped serving). */
export function removeNodeStatus(env: EnvironmentConfig, node: string): void {
  rmSync(fileOf(env, node), { force: true });
}

/** Every node's report for the environment, by node name; unreadable files are skipped. */
export function readNodeStatuses(env: EnvironmentConfig): NodeStatus[] {
  let names: string[];
  try {
    names = readdirSync(nodesDir(env)).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: NodeStatus[] = [];
  for (const n of names) {
    try {
      const s = JSON.parse(readFileSync(join(nodesDir(env), n), "utf8")) as NodeStatus;
      if (typeof s?.node === "string" && s.env === env.name) out.push(s);
    } catch {
      // A report being replaced, or not one: skip it.
    }
  }
  return out.sort((a, b) => a.node.localeCompare(b.node));
}
