// The database file under the single-connection store (`NodeSqlite.layer`): one writer per
// file, checks at start, a health check and appends that notice a deleted or replaced file,
// and errors that name their cause.
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { afterAll } from "vitest"
import { describe as describeError } from "../src/internal/sqliteErrors.ts"
import { holdInChild, stop } from "./childHolder.ts"
import { charged, noon } from "./fixtures.ts"

const folder = mkdtempSync(join(tmpdir(), "trendline-file-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const account = Account.make("acme")
const oneEvent = { events: [charged("identity:a", noon(2))], profiles: [] }

/** The store of a layer built in the current scope. */
const storeOf = (options: NodeSqlite.Options) =>
  Effect.map(Layer.build(NodeSqlite.layer(options)), (context) =>
    Context.get(context, EventStore.EventStore),
  )

/** The message a layer fails to build with. */
const refusalOf = (options: NodeSqlite.Options) =>
  Effect.map(Effect.flip(Effect.scoped(storeOf(options))), (error) => error.message)

describe("one writer per database file", () => {
  it.effect("refuses a second store on the file, naming the holder, until the first closes", () =>
    Effect.gen(function* () {
      const filename = join(folder, "twice.db")
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* storeOf({ filename })
          const message = yield* refusalOf({ filename })
          assert.include(message, `the database file ${filename} is in use by pid ${process.pid}`)
          assert.include(message, "this very process")
          assert.include(message, "stop it, or point TRENDLINE_DB elsewhere")
          const holder = JSON.parse(readFileSync(`${filename}.holder`, "utf8"))
          assert.strictEqual(holder.pid, process.pid)
        }),
      )
      yield* Effect.scoped(Effect.flatMap(storeOf({ filename }), (store) => store.health()))
      // In-memory stores share no file, so there is nothing to lock.
      yield* Effect.scoped(
        Effect.all([storeOf({ filename: ":memory:" }), storeOf({ filename: ":memory:" })]),
      )
    }),
  )

  it.scoped("leaves no stale lock when its holder is killed with SIGKILL", () =>
    Effect.gen(function* () {
      const filename = join(folder, "killed.db")
      const child = yield* holdInChild(filename)
      const message = yield* refusalOf({ filename })
      assert.include(message, `in use by pid ${child.pid} on host`)
      assert.include(message, "point TRENDLINE_DB elsewhere")
      yield* stop(child, "SIGKILL")
      assert.strictEqual(child.signalCode, "SIGKILL")
      const store = yield* storeOf({ filename })
      yield* store.append(account, oneEvent)
      yield* store.health()
      assert.strictEqual(JSON.parse(readFileSync(`${filename}.holder`, "utf8")).pid, process.pid)
    }),
  )
})

describe("checks at start", () => {
  it.effect("refuses a file that is not a database, naming it corrupt", () =>
    Effect.gen(function* () {
      const filename = join(folder, "garbage.db")
      writeFileSync(filename, Buffer.alloc(10_000, "not a database "))
      const message = yield* refusalOf({ filename })
      assert.include(message, `the database file ${filename} is corrupt`)
      assert.include(message, "restore it from a backup")
    }),
  )

  it.effect("refuses a database whose pages are damaged, naming it corrupt", () =>
    Effect.gen(function* () {
      const filename = join(folder, "damaged.db")
      const { driver, close } = NodeSqlite.open({ filename })
      driver.exec("CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (x)")
      for (let i = 0; i < 300; i++)
        driver.run("INSERT INTO t (x) VALUES (?)", [`row ${i}`.repeat(90)])
      close()
      // The header stays valid; page 6 becomes noise, as a bad sector or a torn copy would.
      const fd = openSync(filename, "r+")
      writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 5 * 4096)
      closeSync(fd)
      const message = yield* refusalOf({ filename })
      assert.include(message, `the database file ${filename} is corrupt`)
    }),
  )

  it.effect("refuses a file it cannot write, saying read-only", () =>
    Effect.gen(function* () {
      const filename = join(folder, "readonly.db")
      yield* Effect.scoped(storeOf({ filename }))
      // Opened read-only, SQLite answers writes exactly as for a file or folder without
      // write permission (SQLITE_READONLY); chmod cannot show it to root, who writes anyway.
      const message = yield* refusalOf({ filename, readOnly: true })
      assert.include(message, `the database file ${filename} cannot be written: read-only`)
      assert.include(message, "writable")
    }),
  )
})

describe("the file under a running store", () => {
  it.scoped("fails its health check and appends once the file is deleted", () =>
    Effect.gen(function* () {
      const filename = join(folder, "deleted.db")
      const store = yield* storeOf({ filename })
      yield* store.append(account, oneEvent)
      yield* store.health()
      rmSync(filename)
      const unhealthy = yield* Effect.flip(store.health())
      assert.include(unhealthy.message, `the database file ${filename} was deleted`)
      const refused = yield* Effect.flip(store.append(account, oneEvent))
      assert.include(refused.message, "was deleted while the server ran")
    }),
  )

  it.scoped("fails its health check and appends once another file replaces it", () =>
    Effect.gen(function* () {
      const filename = join(folder, "replaced.db")
      const store = yield* storeOf({ filename })
      yield* store.health()
      const other = join(folder, "other.db")
      NodeSqlite.open({ filename: other }).close()
      renameSync(other, filename)
      const unhealthy = yield* Effect.flip(store.health())
      assert.include(unhealthy.message, `the database file ${filename} was replaced`)
      const refused = yield* Effect.flip(store.append(account, oneEvent))
      assert.include(refused.message, "was replaced")
    }),
  )
})

describe("errors that name their cause", () => {
  it.effect("says disk full, and a failed transaction keeps its error, not ROLLBACK's", () =>
    Effect.gen(function* () {
      const filename = join(folder, "full.db")
      const { driver, close } = NodeSqlite.open({ filename })
      const store = yield* SqliteEventStore.make(driver)
      yield* store.append(account, oneEvent)
      // The disk is "full" two pages further: SQLite fails with SQLITE_FULL and has already
      // rolled the transaction back when the error reaches the driver.
      const pages = Number(driver.all("PRAGMA page_count")[0]!.page_count)
      driver.exec(`PRAGMA max_page_count = ${pages + 2}`)
      const big = Array.from({ length: 2000 }, (_, i) => ({
        ...charged(`identity:${i}`, noon(1 + (i % 28))),
        properties: { Note: "x".repeat(200) },
      }))
      const failed = yield* Effect.flip(store.append(account, { events: big, profiles: [] }))
      assert.include(failed.message, `disk full (${filename})`)
      assert.notInclude(failed.message, "rollback")
      const thrown = (() => {
        try {
          driver.transaction(() => {
            driver.exec("CREATE TABLE filler (x TEXT)")
            for (let i = 0; i < 100; i++)
              driver.run("INSERT INTO filler VALUES (?)", ["y".repeat(4000)])
          })
        } catch (error) {
          return error as Error & { readonly errcode?: number }
        }
      })()
      assert.strictEqual(thrown?.errcode, 13)
      assert.include(thrown?.message, "disk full")
      // Nothing of either batch stayed, and the connection works once there is room again.
      driver.exec("PRAGMA max_page_count = 1073741823")
      yield* store.append(account, oneEvent)
      assert.deepStrictEqual(driver.all("SELECT name FROM sqlite_master WHERE name = 'filler'"), [])
      close()
    }),
  )

  it("puts SQLite's result codes, extended ones included, in words", () => {
    const sqliteError = (errcode: number, message: string) =>
      Object.assign(new Error(message), { code: "ERR_SQLITE_ERROR", errcode, errstr: message })
    const messageOf = (errcode: number, message: string) =>
      String((describeError(sqliteError(errcode, message), "/data/t.db") as Error).message)
    assert.strictEqual(
      messageOf(13, "database or disk is full"),
      "disk full (/data/t.db): database or disk is full",
    )
    assert.include(messageOf(8, "attempt to write a readonly database"), "read-only file or folder")
    assert.include(messageOf(11, "database disk image is malformed"), "corrupt database file")
    assert.include(messageOf(26, "file is not a database"), "corrupt database file")
    // SQLITE_IOERR_WRITE (778) and SQLITE_IOERR_FSYNC (1034) are I/O errors.
    assert.include(messageOf(778, "disk I/O error"), "I/O error (/data/t.db)")
    assert.include(messageOf(1034, "disk I/O error"), "I/O error")
    // A mistake in our own SQL stays as SQLite said it.
    const logic = sqliteError(1, "no such table: nope")
    assert.strictEqual(describeError(logic, "/data/t.db"), logic)
  })
})
