/**
 * A throwaway ClickHouse cluster for tests and benchmarks: `shards` × `replicas` Debian
 * clickhouse-server (18.16) processes on loopback ports, and the Debian ZooKeeper (3.8, in a
 * JVM) that their replicated tables and `ON CLUSTER` queries need, all in one temporary
 * folder.
 *
 * Every server's config lists the whole cluster under `<remote_servers><name>` (each shard
 * with `internal_replication`: a `Distributed` table writes one replica per shard and
 * replication copies it to the others), the ZooKeeper, and its macros `{shard}` (1-based)
 * and `{replica}` (`r1`, `r2`, …), so that
 * `ReplicatedMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}')` works `ON CLUSTER`.
 * Replicas fetch parts from each other on their own interserver ports.
 *
 * A node can be stopped (SIGKILL: a crash, its data kept) and started again, on the same
 * ports and data, to test what the cluster does without it.
 *
 * No process outlives the process that started it, as in ClickHouseServer.ts: each is
 * registered before it is spawned, runs in a process group of its own, and is killed when
 * this process ends (the folder deleted); a shell beside each stops it if this process dies
 * of SIGKILL.
 *
 * @since 0.1.0
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ProcessGroups from "@trendline/testing/ProcessGroups"
import * as ClickHouseServer from "./ClickHouseServer.ts"

/** A server of the cluster. */
export interface Node {
  /** 1-based. */
  readonly shard: number
  /** 1-based. */
  readonly replica: number
  /** Its HTTP URL. */
  readonly url: string
  /** Kills it (SIGKILL), keeping its data folder; resolves once it has exited. */
  readonly stop: () => Promise<void>
  /**
   * Starts it again (killing it first if it runs) on the same ports and data; resolves once
   * it answers `/ping`.
   */
  readonly restart: () => Promise<void>
}

/** A running cluster. */
export interface Cluster {
  /** Its name in `ON CLUSTER` and `Distributed(…)`. */
  readonly name: string
  /** The HTTP URL of the node of shard 1, replica 1. */
  readonly url: string
  /** Shard by shard, replica by replica. */
  readonly nodes: ReadonlyArray<Node>
  readonly shards: number
  readonly replicas: number
  /** Kills every process and deletes the folder. */
  readonly stop: () => Promise<void>
}

const java = "/usr/bin/java"
const zookeeperJar = "/usr/share/java/zookeeper.jar"
// The jar's manifest names its own dependencies; log4j and its slf4j binding (dependencies
// of the package too) give it a log to read when it fails to start.
const zookeeperClasspath = [
  "/etc/zookeeper/conf",
  zookeeperJar,
  "/usr/share/java/slf4j-log4j12.jar",
  "/usr/share/java/log4j-1.2.jar",
]
const zookeeperDeadlineMs = 30_000
// Four servers starting at once on two busy cores took up to 2 s (one, alone, 0.1 s); within
// a test hook's minute, so that its failure shows the server's log.
const nodeDeadlineMs = 45_000
const startAttempts = 5

// ZooKeeper's clock: sessions may last between 2 and 20 ticks.
const zookeeperTickMs = 500
// How long ZooKeeper keeps a killed node's session, and with it the node's claim on its
// replicas (`is_active`): a restart waits for it. Short, so that a stop and a restart is
// quick; long enough for a server on a busy machine to keep its session (it pings every
// third of it).
const sessionTimeoutMs = 5_000

/** Whether Debian's ZooKeeper (and the Java it runs on) is installed here. */
export const isZooKeeperInstalled = (): boolean => existsSync(zookeeperJar) && existsSync(java)

/** Starts a cluster and resolves once every server answers `/ping`. */
export const start = async (
  options: { readonly shards?: number; readonly replicas?: number; readonly name?: string } = {},
): Promise<Cluster> => {
  const { shards = 2, replicas = 2, name = "trendline" } = options
  for (const [what, count] of [
    ["shards", shards],
    ["replicas", replicas],
  ] as const) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`${what} must be a positive integer`)
  }
  // An XML element's name in the config, and an identifier in SQL.
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`cluster name ${JSON.stringify(name)} is not a plain identifier`)
  }
  if (!ClickHouseServer.isInstalled()) throw ClickHouseServer.notInstalled()
  if (!isZooKeeperInstalled()) {
    throw new Error(
      `${zookeeperJar} is missing: install Debian's ZooKeeper as root with \`apt-get update && apt-get install -y zookeeper\` (in this repository \`pnpm test\` does it where it can).`,
    )
  }

  const root = mkdtempSync(join(tmpdir(), "trendline-clickhouse-cluster-"))
  // Every process is registered before it is spawned; whichever is killed last at this
  // process's end deletes the whole folder (all of them try).
  const groups: Array<ProcessGroups.Group> = []
  const register = () => {
    const group = ProcessGroups.register(() => ClickHouseServer.deleteFolder(root))
    groups.push(group)
    return group
  }
  const running = new Set<{ readonly kill: () => Promise<void> }>()
  let stopped = false
  const stop = async () => {
    stopped = true
    await Promise.all([...running].map((each) => each.kill()))
    running.clear()
    ClickHouseServer.deleteFolder(root)
    for (const group of groups) ProcessGroups.release(group)
  }

  try {
    const zookeeper = await startZooKeeper(root, register())
    running.add(zookeeper)
    const slots = await startNodes({ root, name, shards, replicas, zookeeper, register, running })
    const nodes = slots.map((slot): Node => {
      const kill = async () => {
        const launched = slot.launched
        slot.launched = undefined
        if (launched !== undefined) {
          running.delete(launched)
          await launched.kill()
        }
      }
      return {
        shard: slot.shard,
        replica: slot.replica,
        url: `http://127.0.0.1:${slot.ports.http}`,
        stop: kill,
        restart: async () => {
          await kill()
          if (stopped) throw new Error("the cluster is stopped")
          // Until ZooKeeper expires its session, the killed server still holds its replicas
          // (`is_active`); a server started before cannot take them back, and 18.16 then
          // tries again only every 10 s.
          await killedSessionsExpired(zookeeper)
          const launched = await ClickHouseServer.launch({
            group: slot.group,
            folder: slot.folder,
            ports: slot.ports,
            orphaned: root,
            deadlineMs: nodeDeadlineMs,
          })
          if (stopped) {
            // The cluster was stopped meanwhile, without it.
            await launched.kill()
            throw new Error("the cluster is stopped")
          }
          slot.launched = launched
          running.add(launched)
        },
      }
    })
    return { name, url: nodes[0]!.url, nodes, shards, replicas, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

interface ZooKeeper {
  readonly port: number
  readonly kill: () => Promise<void>
}

/** Starts ZooKeeper and resolves once it serves (answers `srvr` with its version). */
const startZooKeeper = async (root: string, group: ProcessGroups.Group): Promise<ZooKeeper> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startZooKeeperOnce(join(root, "zookeeper"), root, group)
    } catch (error) {
      if (!(error instanceof ClickHouseServer.PortTaken) || attempt >= startAttempts) throw error
    }
  }
}

const startZooKeeperOnce = async (
  folder: string,
  root: string,
  group: ProcessGroups.Group,
): Promise<ZooKeeper> => {
  ClickHouseServer.deleteFolder(folder)
  mkdirSync(join(folder, "data"), { recursive: true })
  const [port] = (await ClickHouseServer.freePorts(1)) as [number]
  const config = join(folder, "zoo.cfg")
  writeFileSync(
    config,
    [
      `tickTime=${zookeeperTickMs}`,
      `dataDir=${folder}/data`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      // No HTTP admin server (it would take port 8080), and only the commands used here.
      "admin.enableServer=false",
      "4lw.commands.whitelist=srvr,dump",
      // Throwaway data: no fsync per transaction, no 64 MB log files.
      "forceSync=no",
      "preAllocSize=1024",
      "",
    ].join("\n"),
  )
  const logFile = join(folder, "zookeeper.log")
  const log = openSync(logFile, "w")
  let watched: ClickHouseServer.Watched
  try {
    watched = ClickHouseServer.spawnWatched({
      group,
      folder,
      orphaned: root,
      name: "zookeeper-watchdog",
      command: java,
      args: [
        // Small: a few hundred znodes. One GC thread on a machine of two cores, and no
        // /tmp/hsperfdata file left behind by a killed JVM.
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:-UsePerfData",
        "-Djava.net.preferIPv4Stack=true",
        "-Dzookeeper.root.logger=INFO,CONSOLE",
        "-cp",
        zookeeperClasspath.join(":"),
        "org.apache.zookeeper.server.quorum.QuorumPeerMain",
        config,
      ],
      stdio: ["ignore", log, log],
    })
  } finally {
    closeSync(log)
  }
  const deadline = Date.now() + zookeeperDeadlineMs
  // `srvr` answers before it serves, then without its version.
  while (!(await fourLetters(port, "srvr")).includes("Zookeeper version")) {
    if (watched.exited() || Date.now() > deadline) {
      const exited = watched.exited()
      await watched.kill()
      const output = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "(no log)"
      const message = `ZooKeeper ${exited ? "exited" : `did not serve within ${zookeeperDeadlineMs} ms`}:\n${output}`
      throw exited && output.includes("Address already in use")
        ? new ClickHouseServer.PortTaken(message)
        : new Error(message)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { port, kill: watched.kill }
}

/** Sends a four-letter command to ZooKeeper; its answer, or "" if it does not answer. */
const fourLetters = (port: number, command: string): Promise<string> =>
  new Promise((resolve) => {
    let answer = ""
    const socket = connect({ host: "127.0.0.1", port })
    socket.setTimeout(1000, () => socket.destroy())
    socket.once("connect", () => socket.end(command))
    socket.on("data", (chunk) => {
      answer += chunk.toString("utf8")
    })
    socket.once("error", () => undefined)
    socket.once("close", () => resolve(answer))
  })

/**
 * Waits until ZooKeeper has expired the sessions of killed servers: sessions that hold
 * ephemeral nodes (a replica's `is_active`) but have no connection any more. Bounded: at
 * worst a restarted server takes its replicas back 10 s later.
 */
const killedSessionsExpired = async (zookeeper: ZooKeeper): Promise<void> => {
  const deadline = Date.now() + 2 * sessionTimeoutMs
  while (Date.now() < deadline) {
    // `dump`: "Sessions with Ephemerals (n):" then each session's id ("0x…:") and paths,
    // then "Connections dump:" with each connection's "sessionId: 0x…".
    const dump = await fourLetters(zookeeper.port, "dump")
    const [ephemerals, connections] = dump.split("Connections dump:")
    if (connections === undefined) return
    const connected = new Set(connections.match(/0x[0-9a-f]+/g))
    const holding = ephemerals?.match(/^0x[0-9a-f]+(?=:$)/gm) ?? []
    if (holding.every((session) => connected.has(session))) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

interface Slot {
  readonly shard: number
  readonly replica: number
  readonly folder: string
  readonly group: ProcessGroups.Group
  ports: ClickHouseServer.Ports
  launched: ClickHouseServer.Launched | undefined
}

/**
 * Starts every server at once. Each config names every server's ports, so when one finds a
 * port taken (picked free, then bound by another process) all are started again on new ones.
 */
const startNodes = async (options: {
  readonly root: string
  readonly name: string
  readonly shards: number
  readonly replicas: number
  readonly zookeeper: ZooKeeper
  readonly register: () => ProcessGroups.Group
  readonly running: Set<{ readonly kill: () => Promise<void> }>
}): Promise<Array<Slot>> => {
  const { root, shards, replicas, running } = options
  const slots: Array<Slot> = []
  for (let shard = 1; shard <= shards; shard++) {
    for (let replica = 1; replica <= replicas; replica++) {
      slots.push({
        shard,
        replica,
        folder: join(root, `s${shard}r${replica}`),
        group: options.register(),
        ports: { http: 0, native: 0, interserver: 0 },
        launched: undefined,
      })
    }
  }
  for (let attempt = 1; ; attempt++) {
    const ports = await ClickHouseServer.freePorts(3 * slots.length)
    slots.forEach((slot, i) => {
      slot.ports = {
        http: ports[3 * i]!,
        native: ports[3 * i + 1]!,
        interserver: ports[3 * i + 2]!,
      }
    })
    for (const slot of slots) {
      ClickHouseServer.deleteFolder(slot.folder)
      mkdirSync(slot.folder, { recursive: true })
      ClickHouseServer.writeConfig(slot.folder, slot.ports, (xml) =>
        clusterConfig(xml, { ...options, slots, self: slot }),
      )
    }
    const results = await Promise.allSettled(
      slots.map(async (slot) => {
        slot.launched = await ClickHouseServer.launch({
          group: slot.group,
          folder: slot.folder,
          ports: slot.ports,
          orphaned: root,
          deadlineMs: nodeDeadlineMs,
        })
        running.add(slot.launched)
      }),
    )
    const failures = results.flatMap((result) => (result.status === "rejected" ? [result] : []))
    if (failures.length === 0) return slots
    await Promise.all(
      slots.map(async (slot) => {
        if (slot.launched === undefined) return
        running.delete(slot.launched)
        await slot.launched.kill()
        slot.launched = undefined
      }),
    )
    const other = failures.find(
      (failure) => !(failure.reason instanceof ClickHouseServer.PortTaken),
    )
    if (other !== undefined || attempt >= startAttempts) throw (other ?? failures[0]!).reason
  }
}

/**
 * A server's config (the packaged one, its paths and ports set) with the cluster's sections.
 * The packaged example clusters (on port 9000, maybe another server's) and the empty
 * `incl` placeholders of the ZooKeeper and macros are replaced.
 */
const clusterConfig = (
  xml: string,
  options: {
    readonly name: string
    readonly shards: number
    readonly slots: ReadonlyArray<Slot>
    readonly zookeeper: ZooKeeper
    readonly self: Slot
  },
): string => {
  const { name, slots, self } = options
  // Comments out of the way, so that a section mentioned in one is not taken for a setting.
  let config = xml.replace(/<!--[\s\S]*?-->/g, "")
  for (const element of ["remote_servers", "zookeeper", "macros", "interserver_http_host"]) {
    config = config.replace(
      new RegExp(`<${element}\\b[^>]*/>|<${element}\\b[^>]*>[\\s\\S]*?</${element}>`, "g"),
      "",
    )
  }
  const shards = Array.from({ length: options.shards }, (_, i) =>
    [
      "      <shard>",
      "        <internal_replication>true</internal_replication>",
      ...slots
        .filter((slot) => slot.shard === i + 1)
        .map(
          (slot) =>
            `        <replica><host>127.0.0.1</host><port>${slot.ports.native}</port></replica>`,
        ),
      "      </shard>",
    ].join("\n"),
  )
  const sections = [
    "  <remote_servers>",
    `    <${name}>`,
    ...shards,
    `    </${name}>`,
    "  </remote_servers>",
    "  <zookeeper>",
    `    <node><host>127.0.0.1</host><port>${options.zookeeper.port}</port></node>`,
    `    <session_timeout_ms>${sessionTimeoutMs}</session_timeout_ms>`,
    "  </zookeeper>",
    `  <macros><shard>${self.shard}</shard><replica>r${self.replica}</replica></macros>`,
    // Where the other replicas fetch this one's parts (the default is the host's name).
    "  <interserver_http_host>127.0.0.1</interserver_http_host>",
    ...(/<distributed_ddl>/.test(config)
      ? []
      : ["  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>"]),
  ]
  return config.replace("</yandex>", `${sections.join("\n")}\n</yandex>`)
}
