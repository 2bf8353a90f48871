// The engine sizes texts with `Buffer.byteLength` when it digests a policy set; browsers have no
// Buffer, so the playground provides that one function before the engine loads.
const g = globalThis as { Buffer?: { byteLength(s: string): number } };
g.Buffer ??= { byteLength: (s: string) => new TextEncoder().encode(s).length };

/** Marks this module as loaded (imported first for its effect). */
export const bufferShim = true;
