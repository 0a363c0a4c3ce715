/**
 * The query form's issues: core's (`TrendsRequest.decode` of the wire body, or
 * `TopCounts.decode` for top values, and `Calendar.parseDay` of a typed date) by the field
 * they are shown under, and when they show.
 */
import type * as ApiError from "@trendline/core/ApiError"
import * as TopCounts from "@trendline/core/TopCounts"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { conditionsOf, syntaxProblem } from "./Conditions.ts"
import {
  type Draft,
  dateProblem,
  type FieldId,
  type FormState,
  type Group,
  type IssueTarget,
  topGroupName,
  topNProblem,
  toWireBody,
} from "./Draft.ts"

const decodeIssues = (body: unknown): ReadonlyArray<ApiError.Issue> => {
  const decoded = Effect.runSync(Effect.either(TrendsRequest.decode(body)))
  return Either.isLeft(decoded) ? decoded.left.issues : []
}

const decodeTopIssues = (body: unknown): ReadonlyArray<ApiError.Issue> => {
  const decoded = Effect.runSync(Effect.either(TopCounts.decode(body)))
  return Either.isLeft(decoded) ? decoded.left.issues : []
}

// The field of each part of the top values group; anything else about it is the property's.
const topFields: Readonly<Record<string, FieldId>> = {
  name: "topProperty",
  property_type: "topSource",
  top_n: "topN",
  order: "topOrder",
}

// An issue about the one group of a top values draft, under the field that sets it; a
// typed top N that is no integer says so in the form's words, not in the schema's.
const topIssue = (
  issue: ApiError.Issue,
  draft: Draft,
): { readonly target: IssueTarget; readonly message: string } | undefined => {
  if (issue.path !== "groups" && !issue.path.startsWith("groups.")) return undefined
  const prefix = `groups.${topGroupName(draft.topProperty)}.`
  const part = issue.path.startsWith(prefix) ? issue.path.slice(prefix.length) : ""
  const target = topFields[part] ?? "topProperty"
  const problem = target === "topN" ? topNProblem(draft.topN) : undefined
  return { target, message: problem ?? issue.message }
}

// A `groups` issue about one group (an empty or reserved name) is shown under that group:
// it is the group whose request alone has the same issue.
const groupWith = (draft: Draft, issue: ApiError.Issue): Group | undefined =>
  draft.groups.find(
    (group) =>
      issue.path === `groups.${group.name}` ||
      issue.path.startsWith(`groups.${group.name}.`) ||
      (issue.path === "groups" &&
        decodeIssues(toWireBody({ ...draft, groups: [group] })).some(
          (alone) => alone.path === issue.path && alone.message === issue.message,
        )),
  )

const filterFields = {
  event_properties: { field: "where", text: (draft: Draft) => draft.where },
  common_profile_properties: { field: "profileWhere", text: (draft: Draft) => draft.profileWhere },
} as const

const filterPath = /^(event_properties|common_profile_properties)(?:\[(\d+)\](?:\.(.*))?)?$/

// A filter issue (`event_properties[1].value`) under its field, naming the condition as
// typed; a condition that is not `NAME OPERATOR VALUE` says how to write one instead.
const filterIssue = (
  issue: ApiError.Issue,
  draft: Draft,
): { readonly target: IssueTarget; readonly message: string } | undefined => {
  const match = filterPath.exec(issue.path)
  if (match === null) return undefined
  const { field, text } = filterFields[match[1] as keyof typeof filterFields]
  const condition = match[2] === undefined ? undefined : conditionsOf(text(draft))[Number(match[2])]
  if (condition === undefined) return { target: field, message: issue.message }
  if (condition.entry === undefined) return { target: field, message: syntaxProblem(condition) }
  const part = match[3] === undefined ? "" : `${match[3]} `
  return { target: field, message: `"${condition.text}": ${part}${issue.message}` }
}

// A group's breakdown or rolling windows come from one field for every group.
const groupPart = /^groups\.[^.]+\.(breakdown|rolling)(?:\.|$)/

const targetOf = (issue: ApiError.Issue, draft: Draft): IssueTarget => {
  const { path } = issue
  if (path === "event_name") return "event"
  if (path === "from" || path === "to") return path
  if (path === "sum_event_prop") return "property"
  if (path === "unique") return "measure"
  if (path === "compare") return "compare"
  const part = groupPart.exec(path)?.[1]
  if (part === "breakdown" || part === "rolling") return part
  if (path === "groups" || path.startsWith("groups.")) {
    const group = groupWith(draft, issue)
    return group === undefined ? "groups" : `group:${group.id}:name`
  }
  return "form"
}

/** Rolling windows end on days: without a daily group the draft would send none. */
export const rollingProblem =
  "rolling windows need a daily group (a window ends on each day): make a group daily, or turn Rolling off"

/**
 * Core's issues with the draft by where they are shown, plus those core cannot see: two
 * groups with the same name would become one key of the wire `groups` object, and rolling
 * windows without a daily group would not be asked for. An hourly group's range past core's
 * limit is core's issue, under To like any range's. A typed date
 * that is not one says so in `Calendar.parseDay`'s words, not in the wire's; a typed top N
 * that is no integer, in `topNProblem`'s.
 */
export const issuesOf = (draft: Draft): ReadonlyMap<IssueTarget, ReadonlyArray<string>> => {
  const issues = new Map<IssueTarget, Array<string>>()
  const add = (target: IssueTarget, message: string) => {
    const list = issues.get(target)
    if (list === undefined) issues.set(target, [message])
    else if (!list.includes(message)) list.push(message)
  }
  const top = draft.measure === "top"
  const seen = new Set<string>()
  for (const group of top ? [] : draft.groups) {
    if (seen.has(group.name)) {
      add(
        `group:${group.id}:name`,
        `"${group.name}" names another group too; give each group its own name`,
      )
    }
    seen.add(group.name)
  }
  if (!top && draft.rolling > 0 && !draft.groups.some((group) => group.trendType === "daily"))
    add("rolling", rollingProblem)
  const typed = { from: dateProblem(draft.from), to: dateProblem(draft.to) }
  const body = toWireBody(draft)
  for (const issue of top ? decodeTopIssues(body) : decodeIssues(body)) {
    const known = filterIssue(issue, draft) ?? (top ? topIssue(issue, draft) : undefined)
    if (known !== undefined) {
      add(known.target, known.message)
      continue
    }
    const field = issue.path === "from" || issue.path === "to" ? issue.path : undefined
    const problem = field === undefined ? undefined : typed[field]
    add(targetOf(issue, draft), problem ?? issue.message)
  }
  return issues
}

/** Whether a target's issues are shown: after a run was attempted, or once the user left it. */
export const isShown = (state: FormState, target: IssueTarget): boolean =>
  state.attempted ||
  state.touched.has(target) ||
  (target === "groups" && [...state.touched].some((field) => field.startsWith("group:")))
