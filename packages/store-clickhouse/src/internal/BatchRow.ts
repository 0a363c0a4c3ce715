// The records of one insert as the parallel arrays of one `trendline_batches` row (see
// migrations.ts), filled in a single pass: no per-record objects, so a 100k-record insert
// costs little more than its JSON text.
import * as Aggregator from "@trendline/core/Aggregator"
import { wellFormed } from "../ClickHouseSql.ts"

type Properties = { readonly [name: string]: unknown }

/** The columns of a batch row, less `account`, `received` and `seq`. */
export class BatchRow {
  readonly kinds: Array<"event" | "profile"> = []
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

  // The previous record's key list when `keys` equals it (records of one event mostly share
  // their integer properties): one array for the whole run, less to allocate.
  private sameAsLast(keys: Array<string>): ReadonlyArray<string> {
    const last = this.key_lists.at(-1)
    if (last === undefined || last.length !== keys.length) return keys
    for (let i = 0; i < keys.length; i++) if (last[i] !== keys[i]) return keys
    return last
  }

  /** One row holding the records of `rows`, in order. */
  static join(rows: ReadonlyArray<BatchRow>): BatchRow {
    if (rows.length === 1) return rows[0]!
    const joined = new BatchRow()
    for (const row of rows) {
      for (let i = 0; i < row.length; i++) {
        joined.kinds.push(row.kinds[i]!)
        joined.names.push(row.names[i]!)
        joined.timestamps.push(row.timestamps[i]!)
        joined.profiles.push(row.profiles[i]!)
        joined.property_texts.push(row.property_texts[i]!)
        joined.key_lists.push(row.key_lists[i]!)
        joined.int_lists.push(row.int_lists[i]!)
      }
    }
    return joined
  }
}

const none: ReadonlyArray<never> = []
