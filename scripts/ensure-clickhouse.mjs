// Provisions what the ClickHouse tests need before they run (turbo runs this first, see
// turbo.json): Debian's clickhouse-server, which the tests start themselves. Installs it where
// this machine allows (root and apt-get); otherwise fails with one line naming the command.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

const binary = "/usr/sbin/clickhouse-server"
const config = "/etc/clickhouse-server/config.xml"
const command = "apt-get update && apt-get install -y clickhouse-server"

const installed = () => existsSync(binary) && existsSync(config)
const hasAptGet = () => spawnSync("sh", ["-c", "command -v apt-get"]).status === 0
const fail = (line) => {
  console.error(line)
  process.exit(1)
}

if (!installed()) {
  if (process.getuid?.() !== 0 || !hasAptGet()) {
    fail(
      hasAptGet()
        ? `clickhouse-server is missing and installing it needs root: run \`sudo sh -c '${command}'\`, then pnpm test again`
        : `clickhouse-server is missing: install Debian's package (\`${command}\` on Debian or Ubuntu, as root), or run the tests on such a machine`,
    )
  }
  console.log(`ensure:clickhouse: installing Debian's clickhouse-server (${command})`)
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", "--no-install-recommends", "clickhouse-server"],
  ]) {
    const result = spawnSync("apt-get", args, { env, stdio: ["ignore", "inherit", "inherit"] })
    if (result.status !== 0)
      fail(
        `ensure:clickhouse: \`apt-get ${args.join(" ")}\` failed (exit ${result.status ?? result.signal})`,
      )
  }
  if (!installed())
    fail(`ensure:clickhouse: apt-get finished but ${binary} or ${config} is still missing`)
}
console.log(`ensure:clickhouse: ${binary} is installed`)
