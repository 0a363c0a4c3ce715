/**
 * The line of figures under a trends chart: the group's total, min, max and average, and
 * what the marks on screen mean, fitted to a width.
 *
 * The total is the server's when the answer has it (Trendline's `"totals"`): for distinct
 * profiles that is the profiles of the whole range, and the line says so. Without it the
 * total is the sum of the buckets, which for distinct profiles counts a profile once a
 * bucket it was seen in: the line calls it that, not a total.
 *
 * With a comparison, the change from the earlier period's total follows (`vs previous`);
 * for rolling windows, which overlap, the latest window stands where the total would.
 */
import type * as Results from "@trendline/client/Results"
import * as Extras from "../Extras.ts"
import * as Format from "./Format.ts"

/** One figure: `label value after`, e.g. `total` `4,650` ` distinct profiles`; a note has no value. */
export interface Figure {
  readonly label: string
  readonly value?: string
  readonly after?: string
  /** The figure that matters most, shown bold. */
  readonly strong?: boolean
}

/** What the figures depend on besides the group's buckets. */
export interface FiguresContext {
  /** The request counts distinct profiles (`unique`). */
  readonly unique: boolean
  /** The server's total of the group, when the answer has it. */
  readonly total: number | undefined
  /** Some bucket of the group had not ended (its bar hatched, `*` in the table). */
  readonly incomplete: boolean
  /** The extensions were asked for and the server answered without them. */
  readonly ignored: boolean
  /** The earlier period's total, when compared (`SeriesView.previousTotal`). */
  readonly previousTotal?: number | undefined
  /** The values are rolling windows: no total, the latest window instead. */
  readonly rolling?: boolean | undefined
}

/** The legend of an incomplete bucket's marks: the chart's hatch and the table's `*`. */
export const incompleteNote = "░ * not over yet"

/** What the line says when the server answered without the extensions asked for. */
export const ignoredNote = "server ignored Extras"

const separator = " · "

const widthOf = (figures: ReadonlyArray<Figure>): number =>
  figures.reduce(
    (sum, figure, index) =>
      sum +
      (index > 0 ? separator.length : 0) +
      figure.label.length +
      (figure.value === undefined ? 0 : 1 + figure.value.length) +
      (figure.after?.length ?? 0),
    0,
  )

// The figures dropped first when the line is too wide: the notes say what marks mean.
const droppable = ["average", "min", "max", "vs previous"]

/**
 * The figures of `group` in `width` columns: the total first, then min, max and average,
 * then the notes; when they do not fit, average, min and max go, in that order, and then a
 * distinct total says only `distinct`.
 */
export const figuresOf = (
  group: Results.GroupResult,
  context: FiguresContext,
  width: number,
): ReadonlyArray<Figure> => {
  const total: Figure =
    context.rolling === true
      ? {
          label: "latest",
          value: Format.number(group.buckets.at(-1)?.value ?? 0),
          strong: true,
        }
      : context.total !== undefined
        ? {
            label: "total",
            value: Format.number(context.total),
            ...(context.unique ? { after: " distinct profiles" } : {}),
            strong: true,
          }
        : {
            label: context.unique ? "sum of buckets" : "total",
            value: Format.number(group.total),
            strong: true,
          }
  const current = context.total ?? group.total
  const previous = context.previousTotal
  let figures: Array<Figure> = [
    total,
    ...(previous === undefined || context.rolling === true
      ? []
      : [{ label: "vs previous", value: Extras.changeText(Extras.changeOf(current, previous)) }]),
    { label: "min", value: Format.number(group.min) },
    { label: "max", value: Format.number(group.max) },
    { label: "average", value: Format.number(group.mean) },
    ...(context.incomplete ? [{ label: incompleteNote }] : []),
    ...(context.ignored ? [{ label: ignoredNote }] : []),
  ]
  for (const label of droppable) {
    if (widthOf(figures) <= width) return figures
    figures = figures.filter((figure) => figure.label !== label)
  }
  if (widthOf(figures) <= width || total.after === undefined) return figures
  return figures.map((figure) => (figure === total ? { ...total, after: " distinct" } : figure))
}

/** The figures as plain text, as they read on screen. */
export const text = (figures: ReadonlyArray<Figure>): string =>
  figures
    .map(
      (figure) =>
        `${figure.label}${figure.value === undefined ? "" : ` ${figure.value}`}${figure.after ?? ""}`,
    )
    .join(separator)
