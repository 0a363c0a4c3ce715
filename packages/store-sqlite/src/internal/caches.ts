// The engine's bounded in-memory caches: profile numbers by key, decoded day sets of
// distinct profiles, and distinct counts of multi-day buckets. Each only saves reads of the
// database; the engine clears them when a transaction rolls back or another connection
// changed what they hold.

// Profile numbers recently looked up, by `acct:key`, in two generations: a hit in the old
// one moves to the new one, and when the budget is full (see `ProfileNumbersBudget`) the
// old one is dropped and the new one becomes the old. Memory
// stays bounded however many profiles an account has (each lookup that misses costs one
// indexed SELECT), unlike a map of every profile.
export class ProfileNumbers {
  private current = new Map<string, number>()
  private previous = new Map<string, number>()
  private currentBytes = 0
  private previousBytes = 0
  private readonly budget: ProfileNumbersBudget
  constructor(budget: ProfileNumbersBudget) {
    this.budget = budget
  }

  get(key: string): number | undefined {
    const found = this.current.get(key)
    if (found !== undefined) return found
    const old = this.previous.get(key)
    if (old === undefined) return undefined
    this.previous.delete(key)
    const bytes = entryBytes(key)
    this.previousBytes -= bytes
    this.budget.removed(this, bytes)
    this.set(key, old)
    return old
  }

  set(key: string, no: number): void {
    if (this.current.has(key)) {
      this.current.set(key, no)
      return
    }
    const bytes = entryBytes(key)
    this.budget.reserve(this, bytes)
    this.current.set(key, no)
    this.currentBytes += bytes
    this.budget.added(this, bytes)
  }

  /** Drops the old generation; the new one becomes the old. */
  rotate(): void {
    this.budget.removed(this, this.previousBytes)
    this.previous = this.current
    this.previousBytes = this.currentBytes
    this.current = new Map()
    this.currentBytes = 0
  }

  clear(): void {
    this.budget.removed(this, this.currentBytes + this.previousBytes, true)
    this.current = new Map()
    this.previous = new Map()
    this.currentBytes = 0
    this.previousBytes = 0
  }
}

// What a remembered profile number costs: its key (two bytes a character at most) and a
// map entry.
const entryBytes = (key: string): number => 2 * key.length + 64

/**
 * Bytes of remembered profile numbers, for one store or shared by several (every Durable
 * Object of an isolate): together they stay within `maxBytes`. When a store's new number
 * does not fit, the other stores forget theirs, the least recently written first, then the
 * store drops its own old generation.
 */
export class ProfileNumbersBudget {
  readonly maxBytes: number
  private bytes = 0
  // Every cache holding numbers, least recently written first.
  private readonly holders = new Set<ProfileNumbers>()
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  /** Bytes held now, by every cache drawing on the budget. */
  get usedBytes(): number {
    return this.bytes
  }

  /** A new cache (one per store) drawing on this budget. */
  cache(): ProfileNumbers {
    return new ProfileNumbers(this)
  }

  /** Makes room for `bytes` more of `holder`'s: other stores forget, then its old numbers. */
  reserve(holder: ProfileNumbers, bytes: number): void {
    const fits = () => this.bytes + bytes <= this.maxBytes
    if (fits()) return
    for (const other of this.holders) {
      if (other !== holder) other.clear()
      if (fits()) return
    }
    holder.rotate()
    if (!fits()) holder.rotate()
  }

  added(holder: ProfileNumbers, bytes: number): void {
    this.bytes += bytes
    this.holders.delete(holder)
    this.holders.add(holder)
  }

  removed(holder: ProfileNumbers, bytes: number, empty = false): void {
    this.bytes -= bytes
    if (empty) this.holders.delete(holder)
  }
}

/**
 * The memory of stores that share an isolate or a process: their decoded day sets and their
 * remembered profile numbers, each within its own budget.
 */
export class CacheBudget {
  readonly daySets: SetCacheBudget
  readonly profileNumbers: ProfileNumbersBudget
  constructor(daySets: SetCacheBudget, profileNumbers: ProfileNumbersBudget) {
    this.daySets = daySets
    this.profileNumbers = profileNumbers
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

/** What `RollupSets` needs of a cache of decoded day sets (`SetCache`, `SharedSetCache`). */
export interface DaySetCache {
  get(key: string): Uint32Array | undefined
  set(key: string, set: Uint32Array): void
  delete(key: string): void
  clear(): void
}

interface BudgetedSet {
  readonly cache: SharedSetCache
  readonly key: string
  readonly set: Uint32Array
}

/**
 * Bytes of decoded day sets shared by the caches of several stores, e.g. by every Durable
 * Object one isolate hosts (they share its 128 MB): however many stores draw on it, their
 * sets stay within `maxBytes`, and the least recently used set of any of them goes first.
 */
export class SetCacheBudget {
  readonly maxBytes: number
  // Every cached set of every cache, least recently used first.
  private readonly recency = new Set<BudgetedSet>()
  private bytes = 0
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  /** Bytes held now, by every cache drawing on the budget. */
  get usedBytes(): number {
    return this.bytes
  }

  /** A new cache (one per store) drawing on this budget. */
  cache(): SharedSetCache {
    return new SharedSetCache(this)
  }

  used(entry: BudgetedSet): void {
    this.recency.delete(entry)
    this.recency.add(entry)
  }

  added(entry: BudgetedSet): void {
    this.recency.add(entry)
    this.bytes += entry.set.byteLength
    for (const oldest of this.recency) {
      if (this.bytes <= this.maxBytes) break
      oldest.cache.evict(oldest)
    }
  }

  removed(entry: BudgetedSet): void {
    if (this.recency.delete(entry)) this.bytes -= entry.set.byteLength
  }
}

/** Decoded day sets of one store, within a `SetCacheBudget` it may share with others. */
export class SharedSetCache implements DaySetCache {
  private readonly sets = new Map<string, BudgetedSet>()
  private readonly budget: SetCacheBudget
  constructor(budget: SetCacheBudget) {
    this.budget = budget
  }

  get(key: string): Uint32Array | undefined {
    const entry = this.sets.get(key)
    if (entry === undefined) return undefined
    this.budget.used(entry)
    return entry.set
  }

  set(key: string, set: Uint32Array): void {
    this.delete(key)
    // A set larger than the whole budget is not kept: it would push out every other.
    if (set.byteLength > this.budget.maxBytes) return
    const entry = { cache: this, key, set }
    this.sets.set(key, entry)
    this.budget.added(entry)
  }

  delete(key: string): void {
    const entry = this.sets.get(key)
    if (entry !== undefined) this.evict(entry)
  }

  clear(): void {
    for (const entry of this.sets.values()) this.budget.removed(entry)
    this.sets.clear()
  }

  evict(entry: BudgetedSet): void {
    this.sets.delete(entry.key)
    this.budget.removed(entry)
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
  // Counts held in all: at most `maxHeld` (about 110 bytes each), the events remembered
  // longest dropped first.
  private held = 0
  private readonly maxHeld = 16_384

  get(rollups: number, event: number, first: number, last: number): number | undefined {
    return this.byEvent.get(`${rollups}:${event}`)?.get(`${first}:${last}`)?.count
  }

  set(rollups: number, event: number, first: number, last: number, count: number): void {
    const key = `${rollups}:${event}`
    let entries = this.byEvent.get(key)
    if (entries === undefined || entries.size >= 4096) {
      if (entries !== undefined) this.held -= entries.size
      entries = new Map()
      this.byEvent.set(key, entries)
    }
    const bucket = `${first}:${last}`
    if (!entries.has(bucket)) this.held++
    entries.set(bucket, { first, last, count })
    for (const [oldest, counts] of this.byEvent) {
      if (this.held <= this.maxHeld || counts === entries) break
      this.byEvent.delete(oldest)
      this.held -= counts.size
    }
  }

  invalidate(rollups: number, event: number, day: number): void {
    const entries = this.byEvent.get(`${rollups}:${event}`)
    if (entries === undefined) return
    for (const [key, entry] of entries)
      if (entry.first <= day && day <= entry.last) {
        entries.delete(key)
        this.held--
      }
  }

  clear(): void {
    this.byEvent.clear()
    this.held = 0
  }
}
