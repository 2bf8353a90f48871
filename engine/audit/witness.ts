// A client for C2SP tlog-witness (c2sp.org/tlog-witness): after signing a checkpoint the log
// asks each configured witness to cosign it, sending the size the witness last cosigned for this
// log and a consistency proof from there. A witness keeps only its latest cosigned checkpoint per
// origin and refuses anything inconsistent with it, so a log that was rolled back or forked
// cannot collect cosignatures again: an independent party's memory, outside the database.
//
// A witness that is down costs only its cosignature (the checkpoint is stored without it and the
// report says why); verifiers decide how many cosignatures they need (`verify --quorum`).
import { toBase64 } from "./hash.ts";
import { parseVerifierKey, verifyNote } from "./note.ts";
import type { VerifierKey } from "./note.ts";

/** One witness: where to submit checkpoints and the key its cosignatures verify with. */
export interface WitnessConfig {
  /** The witness's submission prefix; checkpoints are POSTed to `<url>/add-checkpoint`. */
  readonly url: string;
  /** The witness's verifier key (`<name>+<id>+<base64>`, a cosignature/v1 key). */
  readonly vkey: string;
}

/** What one witness answered for one checkpoint. */
export interface WitnessReport {
  /** The witness key's name. */
  readonly name: string;
  readonly url: string;
  /** Whether a valid cosignature was added. */
  readonly ok: boolean;
  /** Why not, when not. */
  readonly error?: string;
  /**
   * True when the witness holds a checkpoint of this log that the new one contradicts (it has
   * cosigned a larger size, or another root at the same size): the log was rolled back or forked.
   */
  readonly conflict?: boolean;
}

const TIMEOUT_MS = 10_000;

interface Witness {
  readonly config: WitnessConfig;
  readonly key: VerifierKey;
  /** The size this witness last cosigned for us, once known. */
  known: number | undefined;
}

/** The witnesses of one log, remembering the size each last cosigned. */
export class Witnesses {
  readonly #list: Witness[];

  /** Throws NoteError on a verifier key that does not parse. */
  constructor(configs: readonly WitnessConfig[]) {
    this.#list = configs.map((config) => ({ config, key: parseVerifierKey(config.vkey.trim()), known: undefined }));
  }

  /**
   * Asks every witness, in parallel, to cosign `note` (a checkpoint of `size` entries the log
   * has just signed); `proof(from)` gives the consistency proof from an older size. Returns the
   * note with every valid cosignature appended, and one report per witness.
   */
  async cosign(note: string, size: number, proof: (from: number) => Promise<Uint8Array[]>): Promise<{ note: string; reports: WitnessReport[] }> {
    const results = await Promise.all(this.#list.map((w) => this.#ask(w, note, size, proof)));
    let out = note;
    for (const r of results) out += r.lines;
    return { note: out, reports: results.map((r) => r.report) };
  }

  async #ask(w: Witness, note: string, size: number, proof: (from: number) => Promise<Uint8Array[]>): Promise<{ lines: string; report: WitnessReport }> {
    const base = { name: w.key.name, url: w.config.url };
    const fail = (error: string, conflict = false) => ({ lines: "", report: { ...base, ok: false, error, ...(conflict ? { conflict } : {}) } });
    let old = w.known ?? 0;
    // At most one retry: the first 409 tells the size the witness holds.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (old > size) return fail(`the witness has cosigned ${old} entries of this log, more than the ${size} signed now: the log was rolled back or forked`, true);
      let body: string;
      try {
        const hashes = old === 0 || old === size ? [] : await proof(old);
        body = `old ${old}\n${hashes.map((h) => `${toBase64(h)}\n`).join("")}\n${note}`;
      } catch (err) {
        return fail(`no consistency proof from size ${old}: ${err instanceof Error ? err.message : String(err)}`);
      }
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${w.config.url.replace(/\/+$/, "")}/add-checkpoint`, { method: "POST", body, headers: { "content-type": "text/plain; charset=utf-8" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
        text = await res.text();
      } catch (err) {
        return fail(`unreachable: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (res.status === 409) {
        const held = /^(0|[1-9][0-9]*)\n$/.exec(text);
        if (!held) return fail(`409 without a size: ${oneLine(text)}`);
        const n = Number(held[1]);
        if (n === old) return fail(`the witness holds another checkpoint of size ${n} for this log: the log was forked`, true);
        old = n;
        continue;
      }
      // The proof is made from this log's own tree: a witness refusing it holds a tree this one does not extend.
      if (res.status === 422) return fail(`the witness refused the consistency proof from size ${old}: the log does not extend the checkpoint it cosigned (a fork)`, true);
      if (res.status !== 200) return fail(`${res.status} ${oneLine(text)}`);
      // Keep only lines that verify as this witness's cosignature on this checkpoint.
      const lines = text.split("\n").filter((l) => l !== "");
      const kept = lines.filter((l) => {
        const v = verifyNote(`${note}${l}\n`, [w.key]);
        return v.ok;
      });
      if (kept.length === 0) return fail("its answer holds no valid cosignature by its key");
      w.known = size;
      return { lines: kept.map((l) => `${l}\n`).join(""), report: { ...base, ok: true } };
    }
    return fail(`the witness keeps changing the size it holds (${old})`);
  }
}

function oneLine(text: string): string {
  const t = text.trim().split("\n")[0] ?? "";
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}
