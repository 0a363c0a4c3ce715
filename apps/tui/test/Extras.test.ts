/**
 * Trendline's extensions (`"totals"`, `"bucket_meta"`) as the terminal shows them, module by
 * module, on a hand-made answer: a weekly group of 2026-11-18..2026-11-26 (the first week
 * cut to 5 of its 7 days, the last to 4 and not over at noon of the 26th) and what a hosted
 * API answers to the same request, without `trendline`.
 */
import * as Results from "@trendline/client/Results"
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Calendar from "@trendline/core/Calendar"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import * as Export from "../src/Export.ts"
import * as Extras from "../src/Extras.ts"
import * as QueryForm from "../src/form/QueryForm.ts"
import * as ChartLayout from "../src/view/ChartLayout.ts"
import * as Figures from "../src/view/Figures.ts"
import * as TrendsTable from "../src/view/TrendsTable.ts"
import { noKey } from "./keys.ts"

const body = {
  event_name: "Charged",
  from: 20261118,
  to: 20261126,
  groups: { w: { trend_type: "weekly" } },
  unique: true,
  totals: true,
  bucket_meta: true,
}
const request = Effect.runSync(TrendsRequest.decode(body))
const buckets = { "202647": 4, "202648": 3 }
const extras = {
  groups: {
    w: {
      total: 5,
      buckets: {
        "202647": {
          first: "2026-11-18T00:00:00+00:00",
          last: "2026-11-22T23:59:59+00:00",
          complete: true,
          days: 5,
          whole_days: 7,
        },
        "202648": {
          first: "2026-11-23T00:00:00+00:00",
          last: "2026-11-26T23:59:59+00:00",
          complete: false,
          days: 4,
          whole_days: 7,
        },
      },
    },
  },
}
const answer: TrendsClient.TrendsAnswer = {
  body: TrendsResponse.toWire({ w: buckets }, extras),
  groups: Results.decode(request, { w: buckets }),
  extras,
}
const hosted: TrendsClient.TrendsAnswer = {
  body: TrendsResponse.toWire({ w: buckets }),
  groups: answer.groups,
}
const group = answer.groups.w!

describe("Extras", () => {
  it("reads what a body asks for, and asks for nothing it does not want", () => {
    expect(Extras.wantedOf(body)).toEqual(Extras.both)
    expect(Extras.wantedOf({ totals: "yes" })).toEqual(Extras.none)
    expect(Extras.fieldsOf({ totals: true, bucketMeta: false })).toEqual({ totals: true })
    expect(Extras.fieldsOf(Extras.none)).toEqual({})
  })

  it("gives what was asked and answered; a server that answered without them, nothing", () => {
    expect(Extras.answered(Extras.both, answer)).toEqual(Extras.both)
    expect(Extras.ignored(Extras.both, answer)).toBe(false)
    expect(Extras.answered(Extras.both, hosted)).toEqual(Extras.none)
    expect(Extras.ignored(Extras.both, hosted)).toBe(true)
    expect(Extras.ignored(Extras.none, hosted)).toBe(false)
    expect(Extras.groupOf(hosted, "w", Extras.both)).toEqual(Extras.noMarks)
  })

  it("marks exactly the bucket not over yet, and gives the days of the cut ones", () => {
    const marks = Extras.groupOf(answer, "w", Extras.both)
    expect(marks.total).toBe(5)
    expect(Extras.isIncomplete(marks, "202647")).toBe(false)
    expect(Extras.isIncomplete(marks, "202648")).toBe(true)
    expect(Extras.anyIncomplete(marks)).toBe(true)
    expect(Extras.cutOf(marks, "202647")).toEqual({ days: 5, wholeDays: 7 })
    expect(Extras.cutText(Extras.cutOf(marks, "202648")!)).toBe("4 of 7 days")
    // Only what is shown: no total unless totals were asked for, no marks without metadata.
    const onlyMeta = Extras.groupOf(answer, "w", { totals: false, bucketMeta: true })
    expect(onlyMeta.total).toBeUndefined()
    expect(Extras.groupOf(answer, "w", { totals: true, bucketMeta: false }).buckets).toBeUndefined()
    expect(Extras.groupOf(answer, "__proto__", Extras.both)).toEqual(Extras.noMarks)
  })
})

describe("Export.toCsv", () => {
  it("adds group_total and the bucket columns when asked and answered", () => {
    expect(Export.toCsv(answer, Extras.both)).toBe(
      [
        "group,trend_type,key,start,end,value,group_total,first,last,complete,days,whole_days",
        "w,weekly,202647,2026-11-18,2026-11-22,4,5,2026-11-18T00:00:00+00:00,2026-11-22T23:59:59+00:00,true,5,7",
        "w,weekly,202648,2026-11-23,2026-11-26,3,5,2026-11-23T00:00:00+00:00,2026-11-26T23:59:59+00:00,false,4,7",
        "",
      ].join("\n"),
    )
    expect(Export.toCsv(answer, { totals: true, bucketMeta: false }).split("\n")[1]).toBe(
      "w,weekly,202647,2026-11-18,2026-11-22,4,5",
    )
  })

  it("keeps the six columns when not asked, or when the server answered without them", () => {
    const plain = [
      "group,trend_type,key,start,end,value",
      "w,weekly,202647,2026-11-18,2026-11-22,4",
      "w,weekly,202648,2026-11-23,2026-11-26,3",
      "",
    ].join("\n")
    expect(Export.toCsv(answer)).toBe(plain)
    expect(Export.toCsv(hosted, Extras.both)).toBe(plain)
  })
})

describe("Figures.figuresOf", () => {
  const context = { unique: true, total: 5, incomplete: true, ignored: false }

  it("gives the server's distinct total, and the legend of the marks", () => {
    expect(Figures.text(Figures.figuresOf(group, context, 80))).toBe(
      "total 5 distinct profiles · min 3 · max 4 · average 3.5 · ░ * not over yet",
    )
  })

  it("calls the sum of unique buckets what it is, and says when the server ignored Extras", () => {
    expect(
      Figures.text(
        Figures.figuresOf(group, { ...context, total: undefined, incomplete: false }, 80),
      ),
    ).toBe("sum of buckets 7 · min 3 · max 4 · average 3.5")
    expect(
      Figures.text(
        Figures.figuresOf(
          group,
          { unique: false, total: undefined, incomplete: false, ignored: true },
          80,
        ),
      ),
    ).toBe("total 7 · min 3 · max 4 · average 3.5 · server ignored Extras")
  })

  it("drops the average, min and max before the total and the legend in narrow terminals", () => {
    expect(Figures.text(Figures.figuresOf(group, context, 55))).toBe(
      "total 5 distinct profiles · max 4 · ░ * not over yet",
    )
    expect(Figures.text(Figures.figuresOf(group, context, 40))).toBe(
      "total 5 distinct · ░ * not over yet",
    )
  })
})

describe("TrendsTable.columnsOf", () => {
  const marks = Extras.groupOf(answer, "w", Extras.both)
  const [complete, open] = group.buckets

  it("puts * after the value of the bucket not over yet, a space after the others", () => {
    const columns = TrendsTable.columnsOf(group, marks, 80)
    expect(columns.value(complete!)).toBe("4 ")
    expect(columns.value(open!)).toBe("3*")
    expect(columns.valueWidth).toBe("VALUE".length)
    expect(columns.days(complete!)).toBe("2026-11-18 – 2026-11-22 (5 of 7 days)")
    expect(columns.barWidth).toBeGreaterThan(0)
  })

  it("leaves the cut days out where they would push the value off the row", () => {
    const columns = TrendsTable.columnsOf(group, marks, 40)
    expect(columns.days(complete!)).toBe("2026-11-18 – 2026-11-22")
    expect(
      2 + columns.keyWidth + 2 + columns.daysWidth + 2 + columns.valueWidth,
    ).toBeLessThanOrEqual(40)
  })

  it("is the plain table without marks", () => {
    const columns = TrendsTable.columnsOf(group, Extras.noMarks, 80)
    expect(columns.value(open!)).toBe("3")
    expect(columns.days(open!)).toBe("2026-11-23 – 2026-11-26")
  })
})

describe("ChartLayout.layout of incomplete buckets", () => {
  it("hatches exactly their whole cells, and lists their columns to dim", () => {
    const chart = ChartLayout.layout({
      values: [8, 8, 8, 4],
      keys: ["1", "2", "3", "4"],
      width: 20,
      height: 2,
      incomplete: [false, false, true, true],
    })
    expect(chart.mode).toBe("bars")
    const [start] = chart.selected ?? [0]
    expect(start).toBe(0)
    const hatchedColumns = chart.hatched.flatMap((hatched, column) => (hatched ? [column] : []))
    // Bars of 3 columns a gap apart: the third and the fourth.
    expect(hatchedColumns).toEqual([8, 9, 10, 12, 13, 14])
    for (const row of chart.rows) {
      for (let column = 0; column < row.length; column++) {
        if (row[column] === ChartLayout.hatch) expect(chart.hatched[column]).toBe(true)
        if (chart.hatched[column]) expect(row[column]).not.toBe("█")
      }
    }
    expect(chart.rows[1]!.slice(8, 15)).toBe("░░░ ░░░")
  })

  it("hatches a sparkline column that holds any incomplete bucket", () => {
    const chart = ChartLayout.layout({
      values: Array.from({ length: 40 }, () => 5),
      keys: Array.from({ length: 40 }, (_, i) => String(i)),
      width: 23,
      height: 1,
      incomplete: Array.from({ length: 40 }, (_, i) => i === 39),
    })
    expect(chart.perColumn).toBe(2)
    expect(chart.rows[0]!.trimEnd()).toMatch(/^█+░$/)
    expect(chart.hatched.filter(Boolean)).toHaveLength(1)
  })
})

describe("the form's Extras", () => {
  const today = Calendar.unsafeMakeDay(2026, 11, 26)
  const draft = { ...QueryForm.initialDraft(today), eventName: "Charged" }

  it("follow the backend until chosen: on in local mode, off against a server", () => {
    expect(QueryForm.toWireBody(draft, true)).toMatchObject({ totals: true, bucket_meta: true })
    const remote = QueryForm.toWireBody(draft, false)
    expect(remote).not.toHaveProperty("totals")
    expect(remote).not.toHaveProperty("bucket_meta")
    expect(QueryForm.toWireBody({ ...draft, extras: false }, true)).not.toHaveProperty("totals")
    expect(QueryForm.toWireBody({ ...draft, extras: true }, false)).toMatchObject({
      totals: true,
      bucket_meta: true,
    })
    // Top values have none: the field is not there, and nothing is sent.
    const top = { ...draft, measure: "top" as const, topProperty: "Plan", extras: true }
    expect(QueryForm.fieldsOf(top)).not.toContain("extras")
    expect(QueryForm.toWireBody(top, true)).not.toHaveProperty("totals")
  })

  it("follow the groups, before Compare and Rolling, switched with ←, → or Space from what the backend would do", () => {
    const context = { eventNames: [], today, extrasByDefault: true }
    let state = QueryForm.initialState(today)
    expect(QueryForm.fieldsOf(state.draft).slice(-3)).toEqual(["extras", "compare", "rolling"])
    for (let i = 0; i < 20; i++)
      state = QueryForm.onKey(state, "", { ...noKey, downArrow: true }, context).state
    expect(state.focus).toBe("rolling")
    for (let i = 0; i < 2; i++)
      state = QueryForm.onKey(state, "", { ...noKey, upArrow: true }, context).state
    expect(state.focus).toBe("extras")
    state = QueryForm.onKey(state, "", { ...noKey, rightArrow: true }, context).state
    expect(state.draft.extras).toBe(false)
    state = QueryForm.onKey(state, " ", noKey, context).state
    expect(state.draft.extras).toBe(true)
    expect(QueryForm.onKey(state, "q", noKey, context).command).toBe("quit")
  })
})
