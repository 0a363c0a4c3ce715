// What the store relies on from a ClickHouse cluster, on Debian's 18.16 as
// testing/ClickHouseCluster.ts runs it (two shards of two replicas, with ZooKeeper): `ON
// CLUSTER` DDL (and which ALTERs it refuses), `Distributed` inserts routed by their sharding
// key and seen as soon as they return, replication within a shard, a view over a Null table
// firing on the shard its rows are routed to, retries stored once, a replica down (and
// back), a whole shard down, and no process left behind.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import {
  type ClickHouseClient,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
} from "@clickhouse/client"
import * as ClickHouseCluster from "@trendline/store-clickhouse/testing/ClickHouseCluster"
import { afterAll, assert, beforeAll, describe, it } from "vitest"

let cluster: ClickHouseCluster.Cluster
// Without keep-alive: a stopped node's pooled sockets must not be reused once it is back.
const clients = new Map<ClickHouseCluster.Node, ClickHouseClient>()

beforeAll(async () => {
  cluster = await ClickHouseCluster.start({ shards: 2, replicas: 2 })
  for (const node of cluster.nodes) {
    clients.set(
      node,
      // Quiet: the failures the tests cause on purpose are asserted, not logged.
      createClient({
        url: node.url,
        keep_alive: { enabled: false },
        log: { level: ClickHouseLogLevel.OFF },
      }),
    )
  }
  await command(node(1, 1), "CREATE DATABASE x ON CLUSTER trendline")
})

afterAll(async () => {
  await Promise.all([...clients.values()].map((client) => client.close()))
  await cluster?.stop()
})

const node = (shard: number, replica: number): ClickHouseCluster.Node =>
  cluster.nodes.find((node) => node.shard === shard && node.replica === replica)!

const command = async (
  on: ClickHouseCluster.Node,
  query: string,
  settings?: ClickHouseSettings,
) => {
  await clients.get(on)!.command({ query, ...(settings ? { clickhouse_settings: settings } : {}) })
}

const select = async <A = Record<string, unknown>>(
  on: ClickHouseCluster.Node,
  query: string,
  settings?: ClickHouseSettings,
): Promise<Array<A>> =>
  (
    await clients.get(on)!.query({
      query,
      format: "JSONEachRow",
      ...(settings ? { clickhouse_settings: settings } : {}),
    })
  ).json<A>()

/** The keys in a node's own replica of `x.<table>`, sorted. */
const localKeys = async (on: ClickHouseCluster.Node, table: string): Promise<Array<number>> =>
  (await select<{ k: number }>(on, `SELECT k FROM x.${table} ORDER BY k`)).map((row) => row.k)

// How the store writes: synchronously (the insert returns once every shard has stored its
// rows), and to the first live replica of each shard, which is the one it reads from too
// (`random`, the default, may read a replica that has not fetched the rows yet: about half
// of the reads right after an insert missed them).
const write: ClickHouseSettings = { insert_distributed_sync: 1, load_balancing: "in_order" }
const read: ClickHouseSettings = { load_balancing: "in_order" }

// A replicated table `x.<name>` (key `k`) on every node, and `x.<name>_dist` over it.
const replicatedTable = async (name: string) => {
  await command(
    node(1, 1),
    `CREATE TABLE x.${name} ON CLUSTER trendline (k UInt32, v String)
     ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/x/${name}', '{replica}') ORDER BY k`,
  )
  await command(
    node(1, 1),
    `CREATE TABLE x.${name}_dist ON CLUSTER trendline (k UInt32, v String)
     ENGINE = Distributed(trendline, x, ${name}, k)`,
  )
}

const values = (keys: ReadonlyArray<number>) => keys.map((k) => `(${k}, 'v${k}')`).join(", ")

/** Polls `check` until it holds; fails after `ms`. */
const eventually = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // A node coming back: asked again.
    }
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe("ClickHouseCluster (18.16, 2 shards × 2 replicas)", () => {
  it("ON CLUSTER creates a database and a ReplicatedMergeTree table on all four nodes", async () => {
    await replicatedTable("created")
    for (const each of cluster.nodes) {
      const tables = await select<{ name: string; engine: string }>(
        each,
        "SELECT name, engine FROM system.tables WHERE database = 'x' AND name LIKE 'created%' ORDER BY name",
      )
      assert.deepStrictEqual(tables, [
        { name: "created", engine: "ReplicatedMergeTree" },
        { name: "created_dist", engine: "Distributed" },
      ])
      const macros = await select<{ macro: string; substitution: string }>(
        each,
        "SELECT macro, substitution FROM system.macros ORDER BY macro",
      )
      assert.deepStrictEqual(macros, [
        { macro: "replica", substitution: `r${each.replica}` },
        { macro: "shard", substitution: String(each.shard) },
      ])
    }
    const layout = await select<{ shard_num: number; replica_num: number; port: number }>(
      node(2, 2),
      "SELECT shard_num, replica_num, port FROM system.clusters WHERE cluster = 'trendline' ORDER BY shard_num, replica_num",
    )
    assert.deepStrictEqual(
      layout.map((row) => [row.shard_num, row.replica_num]),
      [
        [1, 1],
        [1, 2],
        [2, 1],
        [2, 2],
      ],
    )
  })

  // 18.16 checks a table against its shard's `internal_replication` before an ALTER ON
  // CLUSTER (not before CREATE, DROP, TRUNCATE or RENAME): a Null, Distributed or MergeTree
  // table cannot be altered ON CLUSTER on this cluster; dropping and creating it again can.
  it("ALTER ... ON CLUSTER works on a replicated table only", async () => {
    await replicatedTable("altered")
    await command(
      node(1, 1),
      "CREATE TABLE x.altered_null ON CLUSTER trendline (k UInt32) ENGINE = Null",
    )
    await command(
      node(1, 1),
      "ALTER TABLE x.altered ON CLUSTER trendline ADD COLUMN w UInt8 DEFAULT 0",
    )
    for (const table of ["altered_dist", "altered_null"]) {
      const failure = await command(
        node(1, 1),
        `ALTER TABLE x.${table} ON CLUSTER trendline ADD COLUMN w UInt8 DEFAULT 0`,
      ).then(
        () => undefined,
        (error: unknown) => error,
      )
      assert.instanceOf(failure, Error)
      assert.include(failure.message, "isn't replicated, but shard #")
    }
    await command(node(1, 1), "DROP TABLE x.altered_null ON CLUSTER trendline")
    await command(
      node(1, 1),
      "CREATE TABLE x.altered_null ON CLUSTER trendline (k UInt32, w UInt8) ENGINE = Null",
    )
    for (const each of cluster.nodes) {
      const columns = await select<{ table: string; name: string }>(
        each,
        "SELECT table, name FROM system.columns WHERE database = 'x' AND table IN ('altered', 'altered_null') ORDER BY table, name",
      )
      assert.deepStrictEqual(
        columns.map((column) => `${column.table}.${column.name}`),
        ["altered.k", "altered.v", "altered.w", "altered_null.k", "altered_null.w"],
      )
    }
  })

  it("routes a row of sharding key k to shard k % 2 + 1, seen through the Distributed table once the insert returns", async () => {
    await replicatedTable("routed")
    const keys = [0, 1, 2, 3, 4, 5, 6, 7]
    await command(node(2, 1), `INSERT INTO x.routed_dist VALUES ${values(keys)}`, write)
    // At once, through the node the insert went to.
    const seen = await select<{ k: number }>(
      node(2, 1),
      "SELECT k FROM x.routed_dist ORDER BY k",
      read,
    )
    assert.deepStrictEqual(
      seen.map((row) => row.k),
      keys,
    )
    // Each shard's first replica got its rows (the second has them once replicated).
    assert.deepStrictEqual(await localKeys(node(1, 1), "routed"), [0, 2, 4, 6])
    assert.deepStrictEqual(await localKeys(node(2, 1), "routed"), [1, 3, 5, 7])
  })

  it("replicates the rows to the other replica of their shard (SYSTEM SYNC REPLICA)", async () => {
    await replicatedTable("replicated")
    await command(
      node(1, 2),
      `INSERT INTO x.replicated_dist VALUES ${values([10, 11, 12, 13])}`,
      write,
    )
    for (const shard of [1, 2]) {
      for (const replica of [1, 2])
        await command(node(shard, replica), "SYSTEM SYNC REPLICA x.replicated")
    }
    for (const replica of [1, 2]) {
      assert.deepStrictEqual(await localKeys(node(1, replica), "replicated"), [10, 12])
      assert.deepStrictEqual(await localKeys(node(2, replica), "replicated"), [11, 13])
    }
  })

  // How the store writes: one row per shard into a Distributed table over a Null "batches"
  // table, whose view fans each batch out into records on that shard.
  it("fires a view over a Null table on the shard each row is routed to", async () => {
    await command(
      node(1, 1),
      "CREATE TABLE x.batches ON CLUSTER trendline (shard UInt8, id UInt32, n UInt32) ENGINE = Null",
    )
    await command(
      node(1, 1),
      `CREATE TABLE x.records ON CLUSTER trendline (id UInt32, i UInt32)
       ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/x/records', '{replica}') ORDER BY (id, i)`,
    )
    await command(
      node(1, 1),
      `CREATE MATERIALIZED VIEW x.fan_out ON CLUSTER trendline TO x.records
       AS SELECT id, arrayJoin(range(n)) AS i FROM x.batches`,
    )
    await command(
      node(1, 1),
      `CREATE TABLE x.batches_dist ON CLUSTER trendline (shard UInt8, id UInt32, n UInt32)
       ENGINE = Distributed(trendline, x, batches, shard)`,
    )
    await command(
      node(1, 1),
      `CREATE TABLE x.records_dist ON CLUSTER trendline (id UInt32, i UInt32)
       ENGINE = Distributed(trendline, x, records, id)`,
    )
    const batches = "INSERT INTO x.batches_dist VALUES (0, 100, 3), (1, 101, 2)"
    await command(node(2, 2), batches, write)
    const counts = (on: ClickHouseCluster.Node, table: string) =>
      select<{ id: number; n: string }>(
        on,
        `SELECT id, count() AS n FROM x.${table} GROUP BY id ORDER BY id`,
        read,
      )
    assert.deepStrictEqual(await counts(node(2, 2), "records_dist"), [
      { id: 100, n: "3" },
      { id: 101, n: "2" },
    ])
    for (const replica of [1, 2]) {
      await command(node(1, replica), "SYSTEM SYNC REPLICA x.records")
      await command(node(2, replica), "SYSTEM SYNC REPLICA x.records")
      assert.deepStrictEqual(await counts(node(1, replica), "records"), [{ id: 100, n: "3" }])
      assert.deepStrictEqual(await counts(node(2, replica), "records"), [{ id: 101, n: "2" }])
    }
    // The Null table keeps nothing.
    assert.deepStrictEqual(await select(node(1, 1), "SELECT count() AS n FROM x.batches"), [
      { n: "0" },
    ])

    // The same insert again (a retry) is stored once: a replicated table drops a block it
    // has already stored, the view's too (insert_deduplicate=0 would keep it).
    await command(node(1, 1), batches, write)
    assert.deepStrictEqual(await counts(node(1, 1), "records_dist"), [
      { id: 100, n: "3" },
      { id: 101, n: "2" },
    ])
  })

  it("answers and takes inserts with a replica stopped; restarted, it catches up", {
    timeout: 90_000,
  }, async () => {
    await replicatedTable("failover")
    await command(
      node(2, 1),
      `INSERT INTO x.failover_dist VALUES ${values([20, 21, 22, 23])}`,
      write,
    )
    await command(node(1, 2), "SYSTEM SYNC REPLICA x.failover")
    await command(node(2, 2), "SYSTEM SYNC REPLICA x.failover")

    const stopped = node(1, 1)
    await stopped.stop()
    try {
      // The other replica of shard 1 answers in its place, however the replicas are picked.
      for (const balancing of ["random", "in_order"] as const) {
        for (let i = 0; i < 5; i++) {
          const rows = await select(node(2, 1), "SELECT count() AS n FROM x.failover_dist", {
            load_balancing: balancing,
          })
          assert.deepStrictEqual(rows, [{ n: "4" }])
        }
      }
      await command(node(2, 1), `INSERT INTO x.failover_dist VALUES ${values([24, 25])}`, write)
      assert.deepStrictEqual(
        await select(node(2, 1), "SELECT count() AS n FROM x.failover_dist", read),
        [{ n: "6" }],
      )
      assert.deepStrictEqual(await localKeys(node(1, 2), "failover"), [20, 22, 24])
    } finally {
      await stopped.restart()
    }
    // Its data survived the kill, and it fetches what it missed.
    await eventually("the restarted replica has the rows inserted without it", async () => {
      await command(stopped, "SYSTEM SYNC REPLICA x.failover")
      return (await localKeys(stopped, "failover")).join() === "20,22,24"
    })
  })

  it("fails a synchronous insert, storing none of it, when a whole shard is down", {
    timeout: 90_000,
  }, async () => {
    await replicatedTable("shard_down")
    const shard = [node(2, 1), node(2, 2)]
    await Promise.all(shard.map((each) => each.stop()))
    try {
      const failure = await command(
        node(1, 1),
        `INSERT INTO x.shard_down_dist VALUES ${values([30, 31])}`,
        write,
      ).then(
        () => undefined,
        (error: unknown) => error,
      )
      assert.instanceOf(failure, Error)
      assert.include(failure.message, "All connection tries failed")
      // The live shard's row was sent ("Wrote 1 blocks and 1 rows on shard 0" in the
      // message) but not stored: the shards' inserts end together, and this one never did.
      assert.deepStrictEqual(await localKeys(node(1, 1), "shard_down"), [])
      await command(node(1, 2), "SYSTEM SYNC REPLICA x.shard_down")
      assert.deepStrictEqual(await localKeys(node(1, 2), "shard_down"), [])
      // Reads fail too, unless told to skip the shard.
      const reading = await select(node(1, 1), "SELECT count() AS n FROM x.shard_down_dist").then(
        () => undefined,
        (error: unknown) => error,
      )
      assert.instanceOf(reading, Error)
      assert.deepStrictEqual(
        await select(node(1, 1), "SELECT count() AS n FROM x.shard_down_dist", {
          skip_unavailable_shards: 1,
        }),
        [{ n: "0" }],
      )
    } finally {
      await Promise.all(shard.map((each) => each.restart()))
    }
    await command(node(1, 1), `INSERT INTO x.shard_down_dist VALUES ${values([30, 31])}`, write)
    assert.deepStrictEqual(await localKeys(node(1, 1), "shard_down"), [30])
    assert.deepStrictEqual(await localKeys(node(2, 1), "shard_down"), [31])
  })

  it("stop leaves no process and no folder behind", async () => {
    const before = new Set(clusterFolders())
    const small = await ClickHouseCluster.start({ shards: 1, replicas: 2, name: "small" })
    const [folder, ...others] = clusterFolders().filter((each) => !before.has(each))
    assert.deepStrictEqual(others, [])
    assert.isDefined(folder)
    // Two servers and ZooKeeper's JVM, each with a watchdog shell beside it.
    const started = naming(folder).map((command) => command.split(" ")[0])
    assert.deepStrictEqual(started.sort(), [
      "/usr/bin/java",
      "/usr/sbin/clickhouse-server",
      "/usr/sbin/clickhouse-server",
      "sh",
      "sh",
      "sh",
    ])
    await small.stop()
    assert.deepStrictEqual(naming(folder), [])
    assert.isFalse(existsSync(folder))
  })
})

// The command lines of running processes (zombies, already dead, left out). Linux (/proc).
const commands = (): Array<string> =>
  readdirSync("/proc").flatMap((name) => {
    if (!/^\d+$/.test(name)) return []
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8")
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return []
      return [readFileSync(`/proc/${name}/cmdline`, "utf8")]
    } catch {
      return [] // Gone meanwhile.
    }
  })

// The folders of the clusters this process runs: named by their watchdogs, whose arguments
// are (after the script) their name, this process's pid, and the folder they delete if it
// dies: the cluster's.
const clusterFolders = (): Array<string> => [
  ...new Set(
    commands().flatMap((command) => {
      const args = command.split("\0")
      const at = args.findIndex((arg) => arg.endsWith("-watchdog"))
      const folder = args[at + 2]
      return at >= 0 && args[at + 1] === String(process.pid) && folder?.includes("-cluster-")
        ? [folder]
        : []
    }),
  ),
]

const naming = (folder: string): Array<string> =>
  commands()
    .filter((command) => command.includes(folder))
    .map((command) => command.replaceAll("\0", " "))
