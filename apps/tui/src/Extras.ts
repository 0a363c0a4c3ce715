/**
 * Trendline's extensions of a trends answer (`@trendline/core/Extensions`) as the command
 * line and the UI show them: what a request asks for, what the answer carries of it, and per
 * group the server's total, the buckets that had not ended or that the range cuts, the
 * earlier period's values, the series of a breakdown, and rolling windows.
 *
 * A hosted API does not know `"totals"`, `"bucket_meta"`, `"compare"` or a group's
 * `"breakdown"` or `"rolling"`: it answers without the `trendline` key. Then `answered` is `none`, and
 * every screen shows what it shows without them (`ignored` tells them to say so). Free of
 * Effect, Ink and React.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import type * as Extensions from "@trendline/core/Extensions"

/** The extensions the terminal shows, as a request asks for them. */
export interface Wanted {
  readonly totals: boolean
  readonly bucketMeta: boolean
  /** `"compare"`: the earlier period each bucket is set beside. */
  readonly compare?: Extensions.CompareTo | undefined
  /** Whether the groups are broken down by a property's values (`"breakdown"`). */
  readonly breakdown?: boolean | undefined
  /** Whether groups have rolling windows (a daily group's `"rolling"`). */
  readonly rolling?: boolean | undefined
}

/** Nothing: the hosted answer. */
export const none: Wanted = { totals: false, bucketMeta: false }

/** Both extensions: what the UI asks a local backend for unless told otherwise. */
export const both: Wanted = { totals: true, bucketMeta: true }

/** Whether it asks for either. */
export const isAny = (wanted: Wanted): boolean =>
  wanted.totals ||
  wanted.bucketMeta ||
  wanted.compare !== undefined ||
  wanted.breakdown === true ||
  wanted.rolling === true

const isCompareTo = (value: unknown): value is Extensions.CompareTo =>
  value === "previous_period" || value === "previous_year"

/**
 * What a trends wire body asks for: `"totals": true`, `"bucket_meta": true`, a `"compare"`,
 * a group's `"breakdown"` or `"rolling"` (the last three only when there).
 */
export const wantedOf = (body: {
  readonly totals?: unknown
  readonly bucket_meta?: unknown
  readonly compare?: unknown
  readonly groups?: unknown
}): Wanted => {
  const groups =
    typeof body.groups === "object" && body.groups !== null ? Object.values(body.groups) : []
  const has = (field: string) =>
    groups.some(
      (group: unknown) =>
        typeof group === "object" &&
        group !== null &&
        field in group &&
        (group as Record<string, unknown>)[field] != null,
    )
  const breakdown = has("breakdown")
  const rolling = has("rolling")
  return {
    totals: body.totals === true,
    bucketMeta: body.bucket_meta === true,
    ...(isCompareTo(body.compare) ? { compare: body.compare } : {}),
    ...(breakdown ? { breakdown: true } : {}),
    ...(rolling ? { rolling: true } : {}),
  }
}

/**
 * The wire fields that ask for `wanted`, and none for what it does not, so that a plain
 * request stays the hosted API's: `fieldsOf({ totals: true, bucketMeta: false })` is
 * `{ totals: true }`.
 */
export const fieldsOf = (
  wanted: Wanted,
): {
  readonly totals?: true
  readonly bucket_meta?: true
  readonly compare?: Extensions.CompareTo
} => ({
  ...(wanted.totals ? { totals: true } : {}),
  ...(wanted.bucketMeta ? { bucket_meta: true } : {}),
  ...(wanted.compare === undefined ? {} : { compare: wanted.compare }),
})

/**
 * What the answer carries of what was asked for: all of it when the server answered with
 * `trendline`, nothing when it did not (a server that does not know the fields).
 */
export const answered = (wanted: Wanted, answer: TrendsClient.TrendsAnswer): Wanted =>
  answer.extras === undefined ? none : wanted

/** Whether extensions were asked for and the server answered without them. */
export const ignored = (wanted: Wanted, answer: TrendsClient.TrendsAnswer): boolean =>
  isAny(wanted) && answer.extras === undefined

/** A bucket the range cuts: its days in the range, and those of its whole week, month, … */
export interface Cut {
  readonly days: number
  readonly wholeDays: number
}

/** One group's extensions, those asked for and answered. */
export interface GroupMarks {
  /**
   * The group's total over the range as the server computed it: for distinct profiles,
   * the profiles of the whole range (not the sum of the buckets').
   */
  readonly total: number | undefined
  /** Each bucket's metadata by key, when the answer describes the buckets. */
  readonly buckets: ReadonlyMap<string, Extensions.BucketMeta> | undefined
  /** Each bucket beside its counterpart in the earlier period, when compared. */
  readonly compare?: Extensions.Comparison | undefined
  /** The group's series, one a top value of a property, when broken down. */
  readonly breakdown?: Extensions.BreakdownAnswer | undefined
  /** Each day's window of the group's measure, when the group has rolling windows. */
  readonly rolling?: Extensions.Rolling | undefined
}

/** No extensions: a group shown as the hosted answer has it. */
export const noMarks: GroupMarks = { total: undefined, buckets: undefined }

/** The extensions of group `name`, of those `shown` (`answered`). */
export const groupOf = (
  answer: TrendsClient.TrendsAnswer,
  name: string,
  shown: Wanted,
): GroupMarks => {
  const groups = answer.extras?.groups
  const group = groups !== undefined && Object.hasOwn(groups, name) ? groups[name] : undefined
  if (group === undefined) return noMarks
  return {
    total: shown.totals ? group.total : undefined,
    buckets:
      shown.bucketMeta && group.buckets !== undefined
        ? new Map(Object.entries(group.buckets))
        : undefined,
    ...(shown.compare !== undefined && group.compare !== undefined
      ? { compare: group.compare }
      : {}),
    ...(shown.breakdown === true && group.breakdown !== undefined
      ? { breakdown: group.breakdown }
      : {}),
    ...(shown.rolling === true && group.rolling !== undefined ? { rolling: group.rolling } : {}),
  }
}

/** Whether the bucket had not ended when the answer was computed (unknown: no). */
export const isIncomplete = (marks: GroupMarks, key: string): boolean =>
  marks.buckets?.get(key)?.complete === false

/** Whether any of the group's buckets had not ended. */
export const anyIncomplete = (marks: GroupMarks): boolean =>
  marks.buckets !== undefined && [...marks.buckets.values()].some((meta) => !meta.complete)

/** The days of a bucket the range cuts; none for a whole one (or unknown). */
export const cutOf = (marks: GroupMarks, key: string): Cut | undefined => {
  const meta = marks.buckets?.get(key)
  return meta?.days === undefined || meta.whole_days === undefined
    ? undefined
    : { days: meta.days, wholeDays: meta.whole_days }
}

/** The mark after an incomplete bucket's value, in tables. */
export const incompleteMark = "*"

/** A cut bucket's days in words: `5 of 7 days`. */
export const cutText = (cut: Cut): string => `${cut.days} of ${cut.wholeDays} days`

/**
 * The name of a breakdown's rest (events with none of the top values) where a value's
 * name would go: a table's column, a CSV row's series. A value whose text is `other` is
 * quoted there (`"other"`), apart from it.
 */
export const otherSeries = "other"

/** A bucket's value of a record keyed by bucket (a series, the rolling windows), if any. */
export const valueAt = (
  buckets: { readonly [key: string]: number } | undefined,
  key: string,
): number | undefined =>
  buckets !== undefined && Object.hasOwn(buckets, key) ? buckets[key] : undefined

/** A bucket's rolling window, if the group has them. */
export const rollingAt = (marks: GroupMarks, key: string): number | undefined =>
  valueAt(marks.rolling?.buckets, key)

/** A bucket beside its counterpart in the earlier period, if compared. */
export const changeAt = (marks: GroupMarks, key: string): Extensions.BucketChange | undefined =>
  marks.compare !== undefined && Object.hasOwn(marks.compare.buckets, key)
    ? marks.compare.buckets[key]
    : undefined

const signed = (value: number, unit = ""): string => `${value > 0 ? "+" : ""}${value}${unit}`

/**
 * A change as tables and figures show it: signed, with its ratio as a percentage when there
 * is one (`+2 (+50%)`, `-1 (-33.3%)`) and `—` when there is none (`+2 (—)`: the previous
 * value was 0); `—` alone for a bucket with no counterpart in the earlier period.
 */
export const changeText = (change: {
  readonly change: number | null
  readonly change_ratio: number | null
}): string => {
  if (change.change === null) return "—"
  const ratio =
    change.change_ratio === null ? "—" : signed(Number((change.change_ratio * 100).toFixed(1)), "%")
  return `${signed(change.change)} (${ratio})`
}

/** The change from `previous` to `value`, as core computes a bucket's. */
export const changeOf = (
  value: number,
  previous: number,
): { readonly change: number; readonly change_ratio: number | null } => ({
  change: value - previous,
  change_ratio: previous === 0 ? null : (value - previous) / Math.abs(previous),
})
