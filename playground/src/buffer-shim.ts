// Browsers have no Buffer. The engine sizes texts with `Buffer.byteLength` when it digests a
// policy set, and the audit log's pure modules (hashes, notes, checkpoints), which the console
// runs to verify proofs, move bytes through Buffer for hex and base64. This provides exactly
// those uses, on Uint8Array, before any of them loads; a server never sees it.

type Encoding = "hex" | "base64" | "base64url" | "utf8" | "utf-8";

const utf8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** The subset of Node's Buffer the bundled modules call. */
class BrowserBuffer extends Uint8Array {
  static byteLength(s: string): number {
    return utf8.encode(s).length;
  }

  static allocUnsafe(n: number): BrowserBuffer {
    return new BrowserBuffer(n);
  }

  static alloc(n: number): BrowserBuffer {
    return new BrowserBuffer(n);
  }

  static isBuffer(v: unknown): boolean {
    return v instanceof BrowserBuffer;
  }

  static concat(list: readonly Uint8Array[]): BrowserBuffer {
    const out = new BrowserBuffer(list.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of list) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  static override from(value: unknown, a?: unknown, b?: unknown): BrowserBuffer {
    if (value instanceof ArrayBuffer) return new BrowserBuffer(value, (a as number | undefined) ?? 0, (b as number | undefined) ?? value.byteLength - ((a as number | undefined) ?? 0));
    if (value instanceof Uint8Array || Array.isArray(value)) return new BrowserBuffer(value as ArrayLike<number>);
    if (typeof value !== "string") throw new TypeError("Buffer.from: unsupported value");
    const enc = (a as Encoding | undefined) ?? "utf8";
    if (enc === "utf8" || enc === "utf-8") return BrowserBuffer.from(utf8.encode(value));
    if (enc === "hex") {
      const out = new BrowserBuffer(value.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
      return out;
    }
    // Like Node, decode what can be decoded: callers check the shape first.
    const std = value.replace(/-/g, "+").replace(/_/g, "/").replace(/[^A-Za-z0-9+/]/g, "");
    const bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
    return BrowserBuffer.from(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  }

  override toString(enc: Encoding = "utf8"): string {
    if (enc === "hex") {
      let s = "";
      for (const x of this) s += HEX[x];
      return s;
    }
    if (enc === "base64") return toBase64(this);
    if (enc === "base64url") return toBase64(this).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    return new TextDecoder().decode(this);
  }
}

const g = globalThis as { Buffer?: unknown };
g.Buffer ??= BrowserBuffer;

/** Marks this module as loaded (imported first for its effect). */
export const bufferShim = true;
