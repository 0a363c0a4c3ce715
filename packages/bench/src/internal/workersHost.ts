// The child process of `WorkersServer`: Trendline's Workers entry in workerd, run by the
// worker app's own wrangler through `unstable_DevEnv` (what `wrangler dev` runs), with no
// file watching (an edit to the app must not reload the worker mid-run), no inspector, no
// dev registry and no remote bindings. Its argument is a `WorkersServer.HostConfig` as JSON.
//
// Protocol, one line each: stdout `<readyPrefix><generation> <url>` once workerd serves,
// the URL of the workerd process that runs the worker (not of wrangler's dev proxy); stdin
// `<restartPrefix><generation>` asks for a new workerd process on the same persisted state
// and the same bundle (wrangler's runtime controller is handed its last bundle again, as
// after a rebuild), answered by a ready line of that generation; stdin `stop` disposes of
// wrangler (its workerd processes with it) and exits 0. (Not SIGTERM: wrangler's own exit
// hook answers it with exit code 143 before a dispose could finish.) When stdin closes (the
// bench died: after wrangler's dispose, at most a few seconds) or wrangler reports an
// error, the whole process group is killed.
import { createRequire } from "node:module"
import { join } from "node:path"
import { createInterface } from "node:readline"
import type * as WorkersServer from "../WorkersServer.ts"

// Only the parts of wrangler's DevEnv used here (the bench does not depend on wrangler: it
// runs the worker app with the app's own).
interface ReloadComplete {
  readonly config: unknown
  readonly bundle: unknown
  readonly proxyData: {
    readonly userWorkerUrl: {
      readonly protocol: string
      readonly hostname: string
      readonly port: string
    }
  }
}
interface DevEnv {
  on(event: "reloadComplete", listener: (event: ReloadComplete) => void): void
  on(event: "error" | "buildFailed", listener: (event: unknown) => void): void
  dispatch(event: {
    readonly type: "bundleComplete"
    readonly config: unknown
    readonly bundle: unknown
  }): void
  startWorker(input: unknown): Promise<{ readonly dispose: () => Promise<void> }>
}
interface Wrangler {
  readonly unstable_DevEnv: new () => DevEnv
}
interface StructuredLog {
  readonly level: string
  readonly message: string
}

// Duplicated from `WorkersServer` (importing it would load the bench's modules here).
const readyPrefix: typeof WorkersServer.readyPrefix = "trendline-workers-host ready "
const restartPrefix: typeof WorkersServer.restartPrefix = "restart "
const stopCommand: typeof WorkersServer.stopCommand = "stop"

// How long a host whose bench is gone gives wrangler to stop before killing its group.
const orphanGraceMs = 5000

const config = JSON.parse(process.argv[2] ?? "{}") as WorkersServer.HostConfig

const die = (why: string): never => {
  process.stderr.write(`${why}\n`)
  // workerd and this process: nothing of the group may outlive a failure.
  process.kill(-process.pid, "SIGKILL")
  return process.exit(1)
}

// An error event of wrangler's, or `{ cause: error }`: its reason, then each cause's message.
// Once the bench is gone its pipes are: a write must not end this process before it has
// killed its group (see stdin's "close" below).
process.stdout.on("error", () => undefined)
process.stderr.on("error", () => undefined)

const describe = (event: unknown): string => {
  const { reason, cause } = (event ?? {}) as { reason?: unknown; cause?: unknown }
  const messages = reason === undefined ? [] : [String(reason)]
  for (let error = cause; error !== undefined && messages.length < 5; ) {
    messages.push(error instanceof Error ? error.message : String(error))
    error = error instanceof Error ? error.cause : undefined
  }
  return messages.join(": ")
}

const wrangler = createRequire(join(config.workerDir, "package.json"))("wrangler") as Wrangler
const devEnv = new wrangler.unstable_DevEnv()
let generation = 0
let last: ReloadComplete | undefined
devEnv.on("reloadComplete", (event) => {
  last = event
  const { protocol, hostname, port } = event.proxyData.userWorkerUrl
  process.stdout.write(`${readyPrefix}${generation} ${protocol}//${hostname}:${port}\n`)
})
devEnv.on("error", (event) => die(`wrangler: ${describe(event)}`))
devEnv.on("buildFailed", (event) => die(`wrangler could not build the worker: ${describe(event)}`))

const started = devEnv
  .startWorker({
    config: join(config.workerDir, "wrangler.jsonc"),
    envFiles: [config.envFile],
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      liveReload: false,
      remote: false,
      registry: undefined,
      persist: config.persistTo,
      logLevel: "error",
      // The worker's request log is dropped, as the Node server's is by the bench; its
      // errors go to stderr, which the bench quotes if workerd stops.
      structuredLogsHandler: ({ level, message }: StructuredLog) => {
        if (level === "error") process.stderr.write(`${message}\n`)
      },
    },
  })
  .catch((error: unknown) => die(`wrangler did not start: ${describe({ cause: error })}`))

createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line === stopCommand) {
      started
        .then((worker) => worker.dispose())
        .then(
          () => process.exit(0),
          (error: unknown) => die(`wrangler did not stop: ${describe({ cause: error })}`),
        )
    } else if (line.startsWith(restartPrefix) && last !== undefined) {
      generation = Number(line.slice(restartPrefix.length))
      devEnv.dispatch({ type: "bundleComplete", config: last.config, bundle: last.bundle })
    }
  })
  .on("close", () => {
    // The bench is gone: stop as on `stop` (wrangler removes its temporary bundles), but
    // whatever happens within a few seconds, end with the group killed.
    setTimeout(() => die("the bench is gone: workerd stopped"), orphanGraceMs).unref()
    started
      .then((worker) => worker.dispose())
      .finally(() => die("the bench is gone: workerd stopped"))
  })
