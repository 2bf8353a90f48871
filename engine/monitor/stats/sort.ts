// Sorting samples of finite doubles. A drift run sorts a million latencies per window, where
// the engine's comparison sort is most of the cost; an LSD radix sort on the IEEE-754 bit
// patterns (mapped so that unsigned order is numeric order) is several times faster there.

const RADIX_MIN = 4096;
// Which 32-bit word of a double holds the sign and exponent on this platform.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;
// Six stable passes of at most 11 bits (2048 buckets stay in cache, unlike 65536): three over
// the low word, then three over the high word.
const PASSES: readonly { readonly high: boolean; readonly shift: number; readonly mask: number }[] = [
  { high: false, shift: 0, mask: 0x7ff },
  { high: false, shift: 11, mask: 0x7ff },
  { high: false, shift: 22, mask: 0x3ff },
  { high: true, shift: 0, mask: 0x7ff },
  { high: true, shift: 11, mask: 0x7ff },
  { high: true, shift: 22, mask: 0x3ff },
];

/**
 * A sorted copy of `xs` as a Float64Array, ascending; -0 sorts before +0 as in
 * `Float64Array.prototype.sort`. The input must hold no NaN (validated samples never do).
 */
export function sortedCopy(xs: ArrayLike<number>): Float64Array<ArrayBuffer> {
  const n = xs.length;
  const out = new Float64Array(n);
  if (ArrayBuffer.isView(xs) && xs instanceof Float64Array) out.set(xs);
  else for (let i = 0; i < n; i++) out[i] = xs[i];
  if (n < RADIX_MIN) return out.sort();
  const words = new Uint32Array(out.buffer);
  let aHi = new Uint32Array(n);
  let aLo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + HI];
    // Negative: flip every bit (larger magnitude sorts first); positive: set the sign bit.
    if (h & 0x80000000) {
      aHi[i] = ~h >>> 0;
      aLo[i] = ~words[2 * i + LO] >>> 0;
    } else {
      aHi[i] = (h | 0x80000000) >>> 0;
      aLo[i] = words[2 * i + LO];
    }
  }
  let bHi = new Uint32Array(n);
  let bLo = new Uint32Array(n);
  const count = new Uint32Array(2048);
  for (const { high, shift, mask } of PASSES) {
    const key = high ? aHi : aLo;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(key[i] >>> shift) & mask]++;
    // A digit every key shares (common in the exponent bits) leaves the order as it is.
    if (count[(key[0] >>> shift) & mask] === n) continue;
    let sum = 0;
    for (let d = 0; d <= mask; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const pos = count[(key[i] >>> shift) & mask]++;
      bHi[pos] = aHi[i];
      bLo[pos] = aLo[i];
    }
    [aHi, bHi] = [bHi, aHi];
    [aLo, bLo] = [bLo, aLo];
  }
  for (let i = 0; i < n; i++) {
    const h = aHi[i];
    if (h & 0x80000000) {
      words[2 * i + HI] = h & 0x7fffffff;
      words[2 * i + LO] = aLo[i];
    } else {
      words[2 * i + HI] = ~h >>> 0;
      words[2 * i + LO] = ~aLo[i] >>> 0;
    }
  }
  return out;
}
