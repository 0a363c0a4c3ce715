// The engine's bounded in-memory caches: profile numbers by key, decoded day sets of
// distinct profiles, and distinct counts of multi-day buckets. Each only saves reads of the
// database; the engine clears them when a transaction rolls back or another connection
// changed what they hold.

// Profile numbers recently looked up, by `acct:key`, in two generations: a hit in the old
// one moves to the new one, and when the new one is full the old one is dropped. Memory
// stays bounded however many profiles an account has (each lookup that misses costs one
// indexed SELECT), unlike a map of every profile.
export class ProfileNumbers {
  private current = new Map<string, number>()
  private previous = new Map<string, number>()
  private chars = 0
  private readonly maxChars: number
  constructor(maxChars: number) {
    this.maxChars = maxChars
  }

  get(key: string): number | undefined {
    const found = this.current.get(key)
    if (found !== undefined) return found
    const old = this.previous.get(key)
    if (old !== undefined) this.set(key, old)
    return old
  }

  set(key: string, no: number): void {
    if (this.chars >= this.maxChars) {
      this.previous = this.current
      this.current = new Map()
      this.chars = 0
    }
    this.current.set(key, no)
    this.chars += key.length + 16
  }

  clear(): void {
    this.current.clear()
    this.previous.clear()
    this.chars = 0
  }
}

/** The key of a day set in `SetCache`: its rollup set, event and local day. */
export const setKey = (rollups: number, event: number, day: number): string =>
  `${rollups}:${event}:${day}`

// Decoded day sets, most recently used last; bounded by bytes.
export class SetCache {
  private readonly sets = new Map<string, Uint32Array>()
  private bytes = 0
  private readonly maxBytes: number
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  get(key: string): Uint32Array | undefined {
    const set = this.sets.get(key)
    if (set !== undefined) {
      this.sets.delete(key)
      this.sets.set(key, set)
    }
    return set
  }

  set(key: string, set: Uint32Array): void {
    this.delete(key)
    this.sets.set(key, set)
    this.bytes += set.byteLength
    for (const [oldest, value] of this.sets) {
      if (this.bytes <= this.maxBytes) break
      this.sets.delete(oldest)
      this.bytes -= value.byteLength
    }
  }

  delete(key: string): void {
    const previous = this.sets.get(key)
    if (previous !== undefined) {
      this.sets.delete(key)
      this.bytes -= previous.byteLength
    }
  }

  clear(): void {
    this.sets.clear()
    this.bytes = 0
  }
}

// Distinct-profile counts of multi-day buckets already computed, per rollup set and event,
// until an append adds a profile to one of their days. Finished weeks and months do not
// change, so repeated questions about them cost a lookup instead of a union.
export class DistinctCounts {
  private readonly byEvent = new Map<
    string,
    Map<string, { first: number; last: number; count: number }>
  >()

  get(rollups: number, event: number, first: number, last: number): number | undefined {
    return this.byEvent.get(`${rollups}:${event}`)?.get(`${first}:${last}`)?.count
  }

  set(rollups: number, event: number, first: number, last: number, count: number): void {
    const key = `${rollups}:${event}`
    let entries = this.byEvent.get(key)
    if (entries === undefined || entries.size >= 4096) {
      entries = new Map()
      this.byEvent.set(key, entries)
    }
    entries.set(`${first}:${last}`, { first, last, count })
  }

  invalidate(rollups: number, event: number, day: number): void {
    const entries = this.byEvent.get(`${rollups}:${event}`)
    if (entries === undefined) return
    for (const [key, entry] of entries)
      if (entry.first <= day && day <= entry.last) entries.delete(key)
  }

  clear(): void {
    this.byEvent.clear()
  }
}
