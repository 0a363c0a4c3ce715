// Provisions what the ClickHouse tests need before they run (turbo runs this first, see
// turbo.json): Debian's clickhouse-server, which the tests start themselves, and Debian's
// zookeeper, which a test cluster of them needs (testing/ClickHouseCluster.ts). Installs what
// is missing where this machine allows (root and apt-get, one install for both); otherwise
// fails with one line naming the command.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

const binary = "/usr/sbin/clickhouse-server"
const config = "/etc/clickhouse-server/config.xml"
const zookeeperJar = "/usr/share/java/zookeeper.jar"

const packages = [
  { name: "clickhouse-server", files: [binary, config] },
  { name: "zookeeper", files: [zookeeperJar] },
]
const isInstalled = (pkg) => pkg.files.every((file) => existsSync(file))
const hasAptGet = () => spawnSync("sh", ["-c", "command -v apt-get"]).status === 0
const fail = (line) => {
  console.error(line)
  process.exit(1)
}

const missing = packages.filter((pkg) => !isInstalled(pkg))
if (missing.length > 0) {
  const names = missing.map((pkg) => pkg.name)
  const command = `apt-get update && apt-get install -y ${names.join(" ")}`
  const what = `${names.join(" and ")} ${names.length > 1 ? "are" : "is"} missing`
  if (process.getuid?.() !== 0 || !hasAptGet()) {
    fail(
      hasAptGet()
        ? `${what} and installing needs root: run \`sudo sh -c '${command}'\`, then pnpm test again`
        : `${what}: install Debian's packages (\`${command}\` on Debian or Ubuntu, as root), or run the tests on such a machine`,
    )
  }
  console.log(`ensure:clickhouse: installing Debian's ${names.join(" and ")} (${command})`)
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", "--no-install-recommends", ...names],
  ]) {
    const result = spawnSync("apt-get", args, { env, stdio: ["ignore", "inherit", "inherit"] })
    if (result.status !== 0)
      fail(
        `ensure:clickhouse: \`apt-get ${args.join(" ")}\` failed (exit ${result.status ?? result.signal})`,
      )
  }
  const still = missing.flatMap((pkg) => pkg.files.filter((file) => !existsSync(file)))
  if (still.length > 0)
    fail(
      `ensure:clickhouse: apt-get finished but ${still.join(" and ")} ${still.length > 1 ? "are" : "is"} still missing`,
    )
}
console.log(`ensure:clickhouse: ${binary} and ${zookeeperJar} are installed`)
