// The records of one insert as the parallel arrays of one `trendline_batches` row (see
// migrations.ts), filled in a single pass: no per-record objects, so a 100k-record insert
// costs little more than its JSON text.
import * as Aggregator from "@trendline/core/Aggregator"
import type * as EventStore from "@trendline/core/EventStore"
import { wellFormed } from "../ClickHouseSql.ts"

type Properties = { readonly [name: string]: unknown }

/**
 * The kinds of records: `slotted` events (counted in a slot row of their batch), `event`
 * (counted in none: few of their name and slot in their batch, or stored before slots
 * existed), profile upserts, upload keys, and `slot` rows (see `addSlots`).
 */
export type Kind = "event" | "slotted" | "profile" | "key" | "slot"

/** The length of a slot, in seconds: every zone's day starts on a multiple of it since 1972. */
export const slotSeconds = 900

/**
 * The fewest events of one name in one slot of a batch that get a slot row: fewer are
 * read as events (a slot row for one or two would add rows, not save reads). On the
 * bench's data at 1M events, 4 adds 6% rows and the top event's counts read 6× fewer.
 */
export const minSlotted = 4

/** The columns of a batch row, less `account`, `received` and `seq`. */
export class BatchRow {
  readonly kinds: Array<Kind> = []
  readonly names: Array<string> = []
  readonly timestamps: Array<number> = []
  readonly profiles: Array<string> = []
  readonly property_texts: Array<string> = []
  readonly key_lists: Array<ReadonlyArray<string>> = []
  readonly int_lists: Array<ReadonlyArray<number>> = []

  get length(): number {
    return this.kinds.length
  }

  /** Adds a record; every string goes in as ClickHouse stores it (`wellFormed`). */
  add(
    kind: "event" | "profile",
    name: string,
    ts: number,
    profile: string,
    properties: Properties,
  ): void {
    this.kinds.push(kind)
    this.names.push(wellFormed(name))
    this.timestamps.push(ts)
    this.profiles.push(wellFormed(profile))
    this.property_texts.push(JSON.stringify(properties))
    // What each property adds to a sum, by core's rule (`Aggregator.summand`); zeros are
    // left out. Most records have one or none, so the empty lists are shared.
    let keys: Array<string> | undefined
    let ints: Array<number> | undefined
    for (const key in properties) {
      const amount = Aggregator.summand(properties[key])
      if (amount === 0) continue
      if (keys === undefined || ints === undefined) {
        keys = []
        ints = []
      }
      keys.push(wellFormed(key))
      ints.push(amount)
    }
    this.key_lists.push(keys === undefined ? none : this.sameAsLast(keys))
    this.int_lists.push(ints ?? none)
  }

  /**
   * Adds an upload key as a record of kind `key`, in the same row as the batch it stores
   * (so in the same part: stored with it or not at all): `name` is the key, `ts` the epoch
   * milliseconds it expires at, `profile` the fingerprint, `properties` the refused
   * positions as a JSON array.
   */
  addKey(key: EventStore.UploadKey, refused: ReadonlyArray<number>): void {
    this.kinds.push("key")
    this.names.push(wellFormed(key.key))
    this.timestamps.push(expiry(key.expiresAt))
    this.profiles.push(wellFormed(key.fingerprint))
    this.property_texts.push(JSON.stringify(refused))
    this.key_lists.push(none)
    this.int_lists.push(none)
  }

  // The previous record's key list when `keys` equals it (records of one event mostly share
  // their integer properties): one array for the whole run, less to allocate.
  private sameAsLast(keys: Array<string>): ReadonlyArray<string> {
    const last = this.key_lists.at(-1)
    if (last === undefined || last.length !== keys.length) return keys
    for (let i = 0; i < keys.length; i++) if (last[i] !== keys[i]) return keys
    return last
  }

  /**
   * Adds the slot rows of this row's events after its records (and returns it): per event
   * name and
   * 15-minute slot of UTC (`slotSeconds`) that holds at least `minSlotted` of its events,
   * one record of kind `slot` whose `ts` is the slot's first second, `properties` the
   * number of events (decimal text), and `prop_keys`/`prop_ints` each integer property's
   * sum (a slot whose sum would pass 2^53 goes on in another slot row); those events become
   * `slotted`, the others stay `event`. Slot rows are in the batch's row, so stored with its
   * events or not at all; counts and sums of whole days read them and the `event` records
   * instead of every event.
   */
  addSlots(): BatchRow {
    // Each event's slot group (by name, then slot number), and each group's size.
    const groupOf = new Int32Array(this.length).fill(-1)
    const sizes: Array<number> = []
    const byName = new Map<string, Map<number, number>>()
    for (let i = 0; i < this.length; i++) {
      if (this.kinds[i] !== "event") continue
      const name = this.names[i]!
      const slot = Math.floor(this.timestamps[i]! / slotSeconds)
      let groups = byName.get(name)
      if (groups === undefined) {
        groups = new Map()
        byName.set(name, groups)
      }
      let group = groups.get(slot)
      if (group === undefined) {
        group = sizes.length
        groups.set(slot, group)
        sizes.push(0)
      }
      sizes[group]!++
      groupOf[i] = group
    }
    interface Slot {
      readonly name: string
      readonly ts: number
      count: number
      readonly sums: Map<string, number>
    }
    // Per group, its slot rows (more than one when a sum would leave the safe integers).
    const slots: Array<Array<Slot> | undefined> = new Array(sizes.length)
    const records = this.length
    for (let i = 0; i < records; i++) {
      const group = groupOf[i]!
      if (group < 0 || sizes[group]! < minSlotted) continue
      this.kinds[i] = "slotted"
      let list = slots[group]
      if (list === undefined) {
        const ts = Math.floor(this.timestamps[i]! / slotSeconds) * slotSeconds
        list = [{ name: this.names[i]!, ts, count: 0, sums: new Map() }]
        slots[group] = list
      }
      const keys = this.key_lists[i]!
      const ints = this.int_lists[i]!
      let slot = list.at(-1)!
      // A sum that would leave the safe integers (JSON's exact numbers) starts a new row.
      let fits = true
      for (let k = 0; k < keys.length && fits; k++)
        fits = Number.isSafeInteger((slot.sums.get(keys[k]!) ?? 0) + ints[k]!)
      if (!fits) {
        slot = { name: slot.name, ts: slot.ts, count: 0, sums: new Map() }
        list.push(slot)
      }
      slot.count++
      for (let k = 0; k < keys.length; k++)
        slot.sums.set(keys[k]!, (slot.sums.get(keys[k]!) ?? 0) + ints[k]!)
    }
    for (const list of slots) {
      for (const slot of list ?? []) {
        this.kinds.push("slot")
        this.names.push(slot.name)
        this.timestamps.push(slot.ts)
        this.profiles.push("")
        this.property_texts.push(String(slot.count))
        this.key_lists.push([...slot.sums.keys()])
        this.int_lists.push([...slot.sums.values()])
      }
    }
    return this
  }

  /**
   * On a cluster: this row's records added to the rows of their shard keys in `into` (new
   * ones made), in order: each record goes to `keyOf` its profile (see `connection.ts`).
   * An upload key goes to every shard of this row, so that each shard stores it with its
   * part of the batch, and says which shard it is on and which shards the batch has
   * (`keyShards`; `uploadKeys.ts`: a retry stores the shards whose key records are
   * missing). A batch without records keeps its key on the key's own shard. Shards in
   * `skip` get nothing (an earlier attempt stored them); they still count among the
   * batch's.
   */
  byShard(
    keyOf: (profile: string) => number,
    skip: ReadonlySet<number> = new Set(),
    into: Map<number, BatchRow> = new Map(),
  ): Map<number, BatchRow> {
    const rowOf = (shard: number): BatchRow => {
      let row = into.get(shard)
      if (row === undefined) {
        row = new BatchRow()
        into.set(shard, row)
      }
      return row
    }
    const shards = new Set<number>()
    const keys: Array<number> = []
    for (let i = 0; i < this.length; i++) {
      if (this.kinds[i] === "key") {
        keys.push(i)
        continue
      }
      const shard = keyOf(this.profiles[i]!)
      shards.add(shard)
      if (!skip.has(shard)) rowOf(shard).copy(this, i)
    }
    for (const i of keys) {
      if (shards.size === 0) shards.add(keyOf(this.names[i]!))
      const span = [...shards]
      for (const shard of span) {
        if (skip.has(shard)) continue
        const row = rowOf(shard)
        row.copy(this, i)
        row.key_lists[row.length - 1] = ["shard", ...span.map(() => "span")]
        row.int_lists[row.length - 1] = [shard, ...span]
      }
    }
    return into
  }

  // Appends record `i` of `row`.
  private copy(row: BatchRow, i: number): void {
    this.kinds.push(row.kinds[i]!)
    this.names.push(row.names[i]!)
    this.timestamps.push(row.timestamps[i]!)
    this.profiles.push(row.profiles[i]!)
    this.property_texts.push(row.property_texts[i]!)
    this.key_lists.push(row.key_lists[i]!)
    this.int_lists.push(row.int_lists[i]!)
  }

  /** One row holding the records of `rows`, in order. */
  static join(rows: ReadonlyArray<BatchRow>): BatchRow {
    if (rows.length === 1) return rows[0]!
    const joined = new BatchRow()
    for (const row of rows) for (let i = 0; i < row.length; i++) joined.copy(row, i)
    return joined
  }
}

const none: ReadonlyArray<never> = []

// An expiry as the UInt64 column holds it: whole milliseconds, rounded up (a key is never
// forgotten early), from 0 (long expired; NaN too) to the largest safe integer (never).
const expiry = (expiresAt: number): number =>
  Number.isNaN(expiresAt) ? 0 : Math.min(Math.max(Math.ceil(expiresAt), 0), Number.MAX_SAFE_INTEGER)

/**
 * On a cluster, the shards an upload key's record names (see `BatchRow.byShard`): the one
 * it is on, and every shard of its batch.
 */
export const keyShards = (
  keys: ReadonlyArray<string>,
  ints: ReadonlyArray<string | number>,
): { readonly own: number | undefined; readonly span: ReadonlyArray<number> } => {
  let own: number | undefined
  const span: Array<number> = []
  keys.forEach((name, i) => {
    if (name === "shard") own = Number(ints[i])
    else if (name === "span") span.push(Number(ints[i]))
  })
  return { own, span }
}
