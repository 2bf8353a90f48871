// The hand-off between the decision path and the flusher: a fixed ring of references. A push
// is two stores and an increment; when the ring is full the push is refused and counted, and the
// Monitor decides what that means (a drop it reports, or backpressure).

/** A bounded FIFO of references; capacity is rounded up to a power of two. */
export class EventQueue<T> {
  /** Slots available. */
  readonly capacity: number;
  readonly #buf: (T | undefined)[];
  readonly #mask: number;
  #head = 0;
  #size = 0;
  #dropped = 0;

  constructor(capacity: number) {
    let c = 1;
    while (c < capacity) c *= 2;
    this.capacity = c;
    this.#mask = c - 1;
    this.#buf = new Array<T | undefined>(c).fill(undefined);
  }

  /** Appends `x`; returns false (and counts a drop) when full. */
  push(x: T): boolean {
    if (this.#size === this.capacity) {
      this.#dropped++;
      return false;
    }
    this.#buf[(this.#head + this.#size) & this.#mask] = x;
    this.#size++;
    return true;
  }

  /** Number of queued items. */
  get size(): number {
    return this.#size;
  }

  /** Items refused because the queue was full, since creation. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Removes and returns up to `max` items, oldest first. */
  drain(max: number = this.#size): T[] {
    const n = Math.min(max, this.#size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      const at = (this.#head + i) & this.#mask;
      out[i] = this.#buf[at] as T;
      // Release the reference so a drained event can be collected.
      this.#buf[at] = undefined;
    }
    this.#head = (this.#head + n) & this.#mask;
    this.#size -= n;
    return out;
  }
}
