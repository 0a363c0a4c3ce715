/**
 * The machine a run happened on, for the header of every report.
 *
 * @since 0.1.0
 */
import * as os from "node:os"

/** What the figures depend on besides the code. */
export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  readonly node: string
  readonly platform: string
  /** The 1-minute load average when it was read: other work on the machine adds noise. */
  readonly loadAverage: number
}

/** The current machine. */
export const current = (): Machine => ({
  cpu: os.cpus()[0]?.model.trim() ?? "unknown CPU",
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  loadAverage: os.loadavg()[0] ?? 0,
})

/** One line: `"AMD EPYC, 2 cores, 23 GiB, Node v24.21.0, linux x64"`. */
export const describe = (machine: Machine): string =>
  `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`
