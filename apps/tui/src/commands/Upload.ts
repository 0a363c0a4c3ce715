/**
 * `trendline upload FILE`: records from JSON lines (one a line) or one JSON document (an
 * array of records, or the wire body `{"d": [...]}`), stored or sent in batches of at most
 * core's `Limits.defaults.maxUploadRecords` (the hosted limit, 1000).
 * A new local database is not filled with the demo data: what you upload is all there is.
 */
import { readFile } from "node:fs/promises"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Backend from "../Backend.ts"
import { execute } from "./Execute.ts"
import { complain, ExitCode, type Io } from "./ExitCode.ts"
import type * as Target from "./Target.ts"
import * as Zone from "./Zone.ts"

/** What to upload and how to report it. */
export interface Options {
  /** A path, or `-` for standard input. */
  readonly file: string
  readonly format: "text" | "json"
}

/** The records of a file; `lines` holds each record's line number when the file is JSON lines. */
export interface Records {
  readonly records: ReadonlyArray<unknown>
  readonly lines: ReadonlyArray<number> | undefined
}

const firstMessageLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0]!

const asRecords = (document: unknown): ReadonlyArray<unknown> => {
  if (Array.isArray(document)) return document
  if (
    typeof document === "object" &&
    document !== null &&
    Object.keys(document).length === 1 &&
    Array.isArray((document as { d?: unknown }).d)
  ) {
    return (document as { d: ReadonlyArray<unknown> }).d
  }
  return [document]
}

/**
 * Reads a file's text as records, or says where it is not JSON. A document that parses
 * whole is one array (or `{"d": [...]}`, or a single record); anything else is read as JSON
 * lines, blank lines skipped.
 */
export const parseRecords = (text: string, name: string): Either.Either<Records, string> => {
  if (text.trim() === "") return Either.left(`${name} holds no records`)
  try {
    return Either.right({ records: asRecords(JSON.parse(text)), lines: undefined })
  } catch (error) {
    if (text.trimStart().startsWith("[")) {
      return Either.left(`${name} is not a JSON array of records: ${firstMessageLine(error)}`)
    }
  }
  const records: Array<unknown> = []
  const lines: Array<number> = []
  const texts = text.split(/\r?\n/)
  for (const [index, line] of texts.entries()) {
    if (line.trim() === "") continue
    try {
      records.push(JSON.parse(line))
      lines.push(index + 1)
    } catch (error) {
      return Either.left(
        `${name} line ${index + 1} is not JSON (give one record a line, or a JSON array): ${firstMessageLine(error)}`,
      )
    }
  }
  return Either.right({ records, lines })
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`

/** Uploads the file's records to the target: exit 0 when all were stored, 3 when some were not. */
export const run =
  (target: Target.Target, options: Options, readStdin: () => Promise<string>) =>
  (io: Io): Promise<number> => {
    const stop = Zone.check(target, io)
    if (stop !== undefined) return Promise.resolve(stop)
    return execute(
      Effect.gen(function* () {
        const name = options.file === "-" ? "standard input" : options.file
        const text = yield* Effect.either(
          Effect.tryPromise(() =>
            options.file === "-" ? readStdin() : readFile(options.file, "utf8"),
          ),
        )
        if (Either.isLeft(text)) {
          complain(io, [`cannot read ${name}: ${firstMessageLine(text.left.error)}`])
          return ExitCode.Usage
        }
        const parsed = parseRecords(text.right, name)
        if (Either.isLeft(parsed)) {
          complain(io, [parsed.left])
          return ExitCode.Usage
        }
        const { records, lines } = parsed.right
        const result = yield* Effect.flatMap(Backend.Backend, (backend) =>
          backend.upload(records),
        ).pipe(Effect.provide(Backend.layerOf(target, { seedDemo: false })))
        if (options.format === "json") {
          io.stdout(`${JSON.stringify(result, null, 2)}\n`)
        } else {
          io.stdout(
            `${plural(result.processed, "record")} processed, ${result.unprocessed.length} unprocessed (of ${records.length} in ${name})\n`,
          )
          complain(
            io,
            result.unprocessed.map((entry) => {
              const line = lines?.[entry.index]
              return `record ${entry.index}${line === undefined ? "" : ` (line ${line})`} unprocessed, code ${entry.code}: ${entry.error}`
            }),
          )
        }
        return result.unprocessed.length > 0 ? ExitCode.Partial : ExitCode.Success
      }),
      io,
    )
  }
