// The proof of one decision, checked in the page: the entry the log holds for it, its leaf hash,
// the checkpoint's signature (with the log key the operator pinned, or the one the service
// reports, said as such), the inclusion proof against the signed root, and the witnesses'
// cosignatures. The keys the operator pins are kept in this browser (localStorage): they are
// public keys, and the point of pinning them is that the service cannot swap them.
import { api } from "./api.ts";
import { badge, el, timeEl } from "./dom.ts";
import { jsonView } from "./json-view.ts";
import { verifyDecisionProof } from "./proof.ts";
import type { ProofResponse } from "./proof.ts";

const LOG_KEYS = "palisade-log-keys";
const WITNESS_KEYS = "palisade-witness-keys";

const lines = (k: string): string[] => (localStorage.getItem(k) ?? "").split("\n").map((x) => x.trim()).filter(Boolean);

/** The log verifier keys the operator pinned in this browser. */
export function pinnedLogKeys(): string[] {
  return lines(LOG_KEYS);
}

function keysForm(onSave: () => void): HTMLElement {
  const log = el("textarea", { id: "pin-log", rows: "2", spellcheck: "false" }) as HTMLTextAreaElement;
  const wit = el("textarea", { id: "pin-witness", rows: "2", spellcheck: "false" }) as HTMLTextAreaElement;
  log.value = lines(LOG_KEYS).join("\n");
  wit.value = lines(WITNESS_KEYS).join("\n");
  const save = el("button", { type: "submit", id: "pin-save" }, "Save keys");
  const form = el("form", { class: "pin" },
    el("label", { for: "pin-log" }, "Log verifier keys you trust (one per line, name+id+key; `palisade keys` or the log's operator gives it)"), log,
    el("label", { for: "pin-witness" }, "Witness keys (cosignature/v1 verifier keys, one per line)"), wit,
    el("div", { class: "bar" }, save),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    localStorage.setItem(LOG_KEYS, log.value.trim());
    localStorage.setItem(WITNESS_KEYS, wit.value.trim());
    onSave();
  });
  return el("details", { class: "pins", ...(lines(LOG_KEYS).length === 0 ? {} : {}) }, el("summary", {}, "Keys this browser trusts"), form);
}

/** The envelope member holding an entry's sealed personal fields (engine/audit/erasure.ts). */
const SEALED = "$sealed";

/** Which fields of an entry are sealed, and under which subject key id; null when none are. */
export function sealedFields(entry: Readonly<Record<string, unknown>> | null): { fields: string[]; kid: string } | null {
  const s = entry?.[SEALED] as { fields?: unknown; kid?: unknown } | undefined;
  if (typeof s !== "object" || s === null || !Array.isArray(s.fields) || typeof s.kid !== "string") return null;
  return { fields: s.fields.filter((f): f is string => typeof f === "string"), kid: s.kid };
}

/**
 * Without a pinned key the page proves nothing: the keys the service reports are offered, to be
 * pinned by the operator once compared with the log's own `<db>.vkey` file (or its operator's word).
 */
function trustOffer(reported: readonly string[], pinned: () => void): HTMLElement {
  if (reported.length === 0) return el("p", { class: "note warn-text", id: "trust-offer" }, "The service names no log key. Paste the log's verifier key below (from the file `<db>.vkey` beside its log, or from its operator).");
  const pin = el("button", { type: "button", id: "pin-reported" }, "Trust this key");
  pin.addEventListener("click", () => {
    localStorage.setItem(LOG_KEYS, reported.join("\n"));
    pinned();
  });
  return el("div", { class: "note warn-text", id: "trust-offer" },
    el("p", {}, "The checks below ran with the key this service reports, and a tampered service would report its own key. Compare it with the log's verifier key file (`<db>.vkey` beside the log, or from its operator), then trust it in this browser:"),
    el("pre", { class: "wrap-pre", id: "reported-key" }, reported.join("\n")),
    el("div", { class: "bar" }, pin),
  );
}

const MARK: Record<string, string> = { true: "✓", false: "✗", null: "…" };

/** The proof view for decision `id`. */
export function proofView(id: string): { node: HTMLElement; refresh(): Promise<void> } {
  const out = el("div", { id: "proof", "aria-live": "polite" }, el("p", { class: "note" }, "fetching the entry and its proof…"));
  let done = false;
  const refresh = async (): Promise<void> => {
    if (done) return;
    const r = await api<ProofResponse>(`/v1/decisions/${encodeURIComponent(id)}/proof`);
    const res = verifyDecisionProof(r, id, { logKeys: lines(LOG_KEYS), witnessKeys: lines(WITNESS_KEYS) });
    // Once the entry is under a checkpoint nothing more will come; pinning a key re-checks.
    done = r.checkpoint !== null && r.proof !== null;
    const failed = res.checks.some((c) => c.ok === false);
    const unpinned = res.keySource !== "pinned";
    const verdict = res.ok ? "Verified against the key you pinned" : failed ? "Does NOT verify" : unpinned ? "Not verified: pin the log's verifier key" : "Not provable yet";
    const sealed = sealedFields(res.entry);
    out.replaceChildren(
      el("p", { id: "proof-verdict", class: `verdict ${res.ok ? "good" : failed ? "bad" : "pending"}`, "data-ok": String(res.ok), "data-key-source": res.keySource }, verdict),
      unpinned && !failed ? trustOffer(r.logKeys ?? [], () => {
        const field = document.getElementById("pin-log") as HTMLTextAreaElement | null;
        if (field) field.value = lines(LOG_KEYS).join("\n");
        done = false;
        void refresh();
      }) : "",
      el("dl", { class: "facts" }, el("dt", {}, "audit index"), el("dd", { id: "proof-index" }, String(r.index)), el("dt", {}, "checkpoint size"), el("dd", {}, r.checkpoint ? String(r.checkpoint.size) : "none yet")),
      el("ol", { class: "checks" }, ...res.checks.map((c) => el("li", { class: c.ok === true ? "good" : c.ok === false ? "bad" : "pending", "data-check": c.name }, el("span", { class: "mark", "aria-hidden": "true" }, MARK[String(c.ok)]), el("strong", {}, `${c.name}: `), el("span", { class: "sr-only" }, c.ok === true ? "passed. " : c.ok === false ? "failed. " : "pending. "), el("span", { class: "wrap" }, c.detail)))),
      el("h3", {}, "Witnesses"),
      res.cosigners.length === 0
        ? el("p", { class: "note", id: "no-witnesses" }, "This checkpoint carries no witness cosignature. Witnesses (c2sp.org/tlog-witness) cosign checkpoints they have checked, so a log cannot show different histories to different readers.")
        : el("ul", { id: "witnesses" }, ...res.cosigners.map((c) => el("li", { "data-witness": c.name, "data-status": c.status }, badge(c.status === "verified" ? "allow" : c.status === "invalid" ? "deny" : "require_approval", c.status), " ", el("code", {}, `${c.name}+${c.keyId}`), c.timestamp !== undefined ? el("span", {}, " cosigned ", timeEl(c.timestamp * 1000, false)) : "", c.status === "no key" ? el("span", { class: "note" }, " (pin its key to check it)") : ""))),
      el("h3", {}, "The entry as the log holds it"),
      sealed ? el("p", { class: "note", id: "sealed-note" }, `Sealed in the log: ${sealed.fields.join(", ")}. They are encrypted (AES-256-GCM) under the data subject's key ${sealed.kid}, which the service never sends: this page, like anyone reading the log, sees only that they exist. Erasing the subject destroys the key; the proof above still holds.`) : "",
      res.entry ? jsonView(sealed ? { ...res.entry, [SEALED]: `${sealed.fields.length} sealed field${sealed.fields.length === 1 ? "" : "s"} (ciphertext not shown)` } : res.entry, "audit entry", 1) : el("p", { class: "bad" }, "the entry does not parse"),
      r.checkpoint ? el("details", {}, el("summary", {}, "the signed checkpoint"), el("pre", { class: "wrap-pre" }, r.checkpoint.note)) : "",
    );
  };
  const node = el("section", { class: "panel", "aria-labelledby": "h-proof" },
    el("h2", { id: "h-proof", class: "wrap" }, "Proof of decision ", el("code", {}, id)),
    el("p", { class: "note" }, "Checked in this page with the audit log's own verifier code (the modules `palisade audit` runs): nothing below is taken on the service's word."),
    out,
    keysForm(() => {
      done = false;
      void refresh();
    }),
  );
  return { node, refresh };
}
