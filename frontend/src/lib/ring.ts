/**
 * A fixed-capacity ring buffer: the browser-side store of every live feed.
 *
 * Feeds receive hundreds of events a second for hours; keeping only the newest `capacity`
 * entries keeps memory flat (the server's event log has the rest). Pushing is O(1) and
 * never allocates once the buffer is full.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private head = 0; // index of the next write
  private count = 0;
  /** Entries pushed over the buffer's lifetime, including those since overwritten. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Entries that fell out of the buffer because it was full. */
  get dropped(): number {
    return this.total - this.count;
  }

  push(item: T): void {
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
    this.total += 1;
  }

  /** The i-th newest entry (0 = newest), or undefined. */
  newest(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.head - 1 - i + this.capacity * 2) % this.capacity];
  }

  /** Entries, newest first. */
  toArrayNewestFirst(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.newest(i) as T;
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.total = 0;
  }
}
