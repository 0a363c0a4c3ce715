/**
 * The under-load section of the report, in Markdown: latencies per phase with their
 * targets, what A's load did meanwhile, and the throughput tests.
 *
 * @since 0.1.0
 */
import type * as Latency from "./Latency.ts"
import { significant, table } from "./Markdown.ts"
import * as UnderLoad from "./UnderLoad.ts"

const grouped = (n: number): string => Math.round(n).toLocaleString("en-US")

/** `"yes"`, `"no"`, or `"—"` without a target. */
export const met = (value: number, target: number | undefined, atMost: boolean): string =>
  target === undefined || !Number.isFinite(value)
    ? "—"
    : (atMost ? value < target : value >= target)
      ? "yes"
      : "no"

const latencyCells = (latency: Latency.Summary): Array<string> => [
  grouped(latency.count),
  significant(latency.p50),
  significant(latency.p99),
  significant(latency.max),
]

const others = (counts: { readonly refused: number; readonly partial: number }): string =>
  [
    counts.refused > 0 ? `${grouped(counts.refused)} refused (429)` : "",
    counts.partial > 0 ? `${grouped(counts.partial)} partial` : "",
  ]
    .filter((text) => text !== "")
    .join(", ") || "—"

/** The p99 targets of a phase's probes, in ms: only under A's uploads. */
const p99Targets = (
  phase: UnderLoad.Phase,
): { readonly query?: number; readonly health?: number } =>
  phase.background?.kind === "uploads"
    ? {
        query: UnderLoad.targets.queryP99UnderUploads,
        health: UnderLoad.targets.healthP99UnderUploads,
      }
    : {}

const probeRow = (
  phase: string,
  request: string,
  probe: UnderLoad.Probe,
  p99Target: number | undefined,
): Array<string> => [
  phase,
  request,
  ...latencyCells(probe.latency),
  others(probe),
  p99Target === undefined ? "—" : `< ${p99Target} ms`,
  met(probe.latency.p99, p99Target, true),
]

/** B's query and /health per phase: requests, p50, p99 and max in ms, with their targets. */
export const latencyTable = (result: UnderLoad.Result): string =>
  table(
    ["while", "request", "requests", "p50 ms", "p99 ms", "max ms", "not ok", "p99 target", "met"],
    result.phases.flatMap((phase) => {
      const target = p99Targets(phase)
      return [
        probeRow(phase.name, "B's query", phase.query, target.query),
        probeRow(phase.name, "GET /health", phase.health, target.health),
      ]
    }),
  )

/** One line per phase with a load: what A did meanwhile. */
export const backgroundLines = (result: UnderLoad.Result): Array<string> =>
  result.phases.flatMap((phase) => {
    const load = phase.background
    if (load === undefined) return []
    const rate = load.records > 0 ? `, ${grouped(load.records / load.seconds)} events/s stored` : ""
    return [
      `- Meanwhile A (${load.clients} clients, ${load.what}): ${grouped(load.ok)} answered in ${load.seconds.toFixed(1)} s${rate}, p50 ${significant(load.latency.p50)} ms, p99 ${significant(load.latency.p99)} ms; not ok: ${others(load)}.`,
    ]
  })

/** The upload and query rates, with their targets. */
export const throughputTable = (result: UnderLoad.Result): string =>
  table(
    [
      "test",
      "accounts × clients",
      "requests",
      "seconds",
      "rate",
      "p50 ms",
      "p99 ms",
      "not ok",
      "target",
      "met",
    ],
    [...result.uploads, result.queries].map((rate) => [
      rate.what,
      `${rate.accounts} × ${rate.clientsPerAccount}`,
      grouped(rate.requests),
      rate.seconds.toFixed(2),
      `${grouped(rate.rate)} ${rate.unit}`,
      significant(rate.latency.p50),
      significant(rate.latency.p99),
      others({ refused: rate.refused, partial: 0 }),
      `≥ ${grouped(rate.target)} ${rate.unit}`,
      met(rate.rate, rate.target, false),
    ]),
  )

/** The whole section. */
export const markdown = (result: UnderLoad.Result): string =>
  [
    "## Under load",
    "",
    `- Server: ${result.server} in a child process, on a fresh SQLite file, ${result.accounts} accounts; ${result.settings.join(", ")} (so that all ${UnderLoad.uploadClients} of A's uploads are in flight: the default, 15, would refuse the others at once); otherwise default settings (3 queries in flight per account, sync budget 5 s)`,
    `- Data: A holds ${grouped(result.aEvents)} events of the data set, B its first ${grouped(result.bEvents)}`,
    `- Probes: B's query \`${result.query}\` and \`GET /health\`, each from one client in the bench's main thread, one request at a time, at most one every ${result.probeInterval} ms`,
    `- A's load: from a worker thread of the bench, running before the probes start and stopped after them; A's query is \`${result.heavyQuery}\` (~430 buckets; the store may answer its weekly and monthly distinct counts from memory once it has computed them: A's own latencies below show the load it made)`,
    "- Every figure is a full round trip from Node's fetch; the server and the bench share the machine's cores",
    "",
    latencyTable(result),
    "",
    ...backgroundLines(result),
    "",
    `Throughput: each upload test uses accounts of its own (empty before it), each with ${UnderLoad.uploadClientsPerAccount} clients sending bodies of 1000 records; the query test spreads ${UnderLoad.queryClients} clients over ${UnderLoad.queryAccounts} accounts (under the limit of 3 each), sending B's query. Seconds from the first request to the last answer.`,
    "",
    throughputTable(result),
    "",
    `Section took ${Math.round(result.millis / 1000)} s.`,
  ].join("\n")
