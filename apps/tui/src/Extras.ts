/**
 * Trendline's extensions of a trends answer (`@trendline/core/Extensions`) as the command
 * line and the UI show them: what a request asks for, what the answer carries of it, and per
 * group the server's total, the buckets that had not ended or that the range cuts, the
 * earlier period's values, and the series of a breakdown.
 *
 * A hosted API does not know `"totals"`, `"bucket_meta"`, `"compare"` or a group's
 * `"breakdown"`: it answers without the `trendline` key. Then `answered` is `none`, and
 * every screen shows what it shows without them (`ignored` tells them to say so). Free of
 * Effect, Ink and React.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import type * as Extensions from "@trendline/core/Extensions"

/**
 * The extensions the terminal shows, as a request asks for them. The UI asks for the first
 * two only; `trendline query` also for a comparison and breakdowns.
 */
export interface Wanted {
  readonly totals: boolean
  readonly bucketMeta: boolean
  /** `"compare"`: the earlier period each bucket is set beside. */
  readonly compare?: Extensions.CompareTo | undefined
  /** Whether the groups are broken down by a property's values (`"breakdown"`). */
  readonly breakdown?: boolean | undefined
}

/** Nothing: the hosted answer. */
export const none: Wanted = { totals: false, bucketMeta: false }

/** Both extensions: what the UI asks a local backend for unless told otherwise. */
export const both: Wanted = { totals: true, bucketMeta: true }

/** Whether it asks for either. */
export const isAny = (wanted: Wanted): boolean =>
  wanted.totals || wanted.bucketMeta || wanted.compare !== undefined || wanted.breakdown === true

const isCompareTo = (value: unknown): value is Extensions.CompareTo =>
  value === "previous_period" || value === "previous_year"

/**
 * What a trends wire body asks for: `"totals": true`, `"bucket_meta": true`, a `"compare"`,
 * a group's `"breakdown"` (the last two only when there).
 */
export const wantedOf = (body: {
  readonly totals?: unknown
  readonly bucket_meta?: unknown
  readonly compare?: unknown
  readonly groups?: unknown
}): Wanted => {
  const groups =
    typeof body.groups === "object" && body.groups !== null ? Object.values(body.groups) : []
  const breakdown = groups.some(
    (group: unknown) =>
      typeof group === "object" &&
      group !== null &&
      "breakdown" in group &&
      group.breakdown != null,
  )
  return {
    totals: body.totals === true,
    bucketMeta: body.bucket_meta === true,
    ...(isCompareTo(body.compare) ? { compare: body.compare } : {}),
    ...(breakdown ? { breakdown: true } : {}),
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
