#!/usr/bin/env node
// The `trendline` command: runs the TypeScript entry through tsx's loader, with this
// package's tsconfig (JSX settings) whatever the current directory.
import { fileURLToPath } from "node:url"
import { register } from "tsx/esm/api"

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) })
await import("../src/main.tsx")
