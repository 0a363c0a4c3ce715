/**
 * Writes the OpenAPI document as the app serves it (`GET /openapi.json`) to the file named
 * by its argument, for `redocly lint` (`pnpm lint:openapi`):
 *   node test/writeOpenApi.ts dist/openapi.json
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { makeApp } from "../src/app.ts"

const file = process.argv[2]
if (file === undefined) throw new Error("usage: node test/writeOpenApi.ts <file>")
// The document route reads no account and calls no backend.
const app = makeApp({
  accounts: new Map(),
  backend: () => {
    throw new Error("GET /openapi.json does not call the backend")
  },
})
const response = await app.request("/openapi.json")
if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`)
mkdirSync(dirname(file), { recursive: true })
writeFileSync(file, `${JSON.stringify(await response.json(), null, 2)}\n`)
