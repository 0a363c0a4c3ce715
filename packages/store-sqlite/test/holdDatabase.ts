// A process that holds a database file as a server does, for the tests of the writer lock
// (`node test/holdDatabase.ts <file> [pool]`): writes "ready" once it holds the file, and
// exits when its stdin closes, so it never outlives the test that started it.
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as NodeSqlitePool from "@trendline/store-sqlite/NodeSqlitePool"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const [filename, kind] = process.argv.slice(2)
if (filename === undefined) throw new Error("usage: node test/holdDatabase.ts <file> [pool]")

process.stdin.on("close", () => process.exit(0))
process.stdin.resume()

const store =
  kind === "pool" ? NodeSqlitePool.layer({ filename, readers: 1 }) : NodeSqlite.layer({ filename })

Effect.runPromise(
  Effect.scoped(
    Layer.build(store).pipe(
      Effect.zipRight(Effect.sync(() => process.stdout.write("ready\n"))),
      Effect.zipRight(Effect.never),
    ),
  ),
).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
