import { existsSync } from "node:fs"
import { writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { resolve } from "node:path"
import type * as TrendsClient from "@trendline/client/TrendsClient"
import { useInput } from "ink"
import { useEffect, useRef, useState } from "react"
import * as Export from "../Export.ts"
import * as TextEdit from "../form/TextEdit.ts"
import * as ResultsView from "../view/ResultsView.ts"

export interface ResultsViewOptions {
  readonly answer: TrendsClient.TrendsAnswer
  readonly request: ResultsView.RequestSummary
  readonly active: boolean
  /** Table rows that fit on screen. */
  readonly pageSize: number
  /** Where relative export file names are written. */
  readonly cwd: string
  readonly onBack: () => void
  readonly onQuit: () => void
  readonly onHelp: () => void
}

/** Where a typed file name points: relative to `cwd`, `~/` in the home folder. */
export const resolveFileName = (cwd: string, fileName: string): string =>
  fileName.startsWith("~/") ? resolve(homedir(), fileName.slice(2)) : resolve(cwd, fileName)

/**
 * The results screen's state and keyboard: group tabs, table selection and scroll, and the
 * export (written here, to a file) and curl panels.
 */
export const useResultsView = (options: ResultsViewOptions) => {
  const [state, setState] = useState(() => ResultsView.initialState(options.request))
  const latest = useRef(state)
  const mounted = useRef(true)
  useEffect(
    () => () => {
      mounted.current = false
    },
    [],
  )

  const update = (next: ResultsView.ResultsState) => {
    latest.current = next
    if (mounted.current) setState(next)
  }

  const groupNames = Object.keys(options.answer.groups)

  const write = async (format: ResultsView.ExportFormat, fileName: string) => {
    if (fileName === "") {
      update({ ...latest.current, message: { ok: false, text: "Type a file name first." } })
      return
    }
    const path = resolveFileName(options.cwd, fileName)
    if (existsSync(path) && !latest.current.confirmOverwrite) {
      update({
        ...latest.current,
        confirmOverwrite: true,
        message: { ok: false, text: `${path} exists: Enter again replaces it, Esc keeps it.` },
      })
      return
    }
    const text = format === "csv" ? Export.toCsv(options.answer) : Export.toJson(options.answer)
    try {
      await writeFile(path, text)
      const rows = groupNames.reduce(
        (sum, name) => sum + (options.answer.groups[name]?.buckets.length ?? 0),
        0,
      )
      update({
        ...latest.current,
        panel: "none",
        confirmOverwrite: false,
        message: { ok: true, text: `Wrote ${rows} buckets as ${format.toUpperCase()} to ${path}` },
      })
    } catch (error) {
      update({
        ...latest.current,
        message: {
          ok: false,
          text: `Could not write ${path}: ${error instanceof Error ? error.message : String(error)}`,
        },
      })
    }
  }

  useInput(
    (input, key) => {
      const context = {
        groupCount: groupNames.length,
        bucketCounts: groupNames.map((name) => options.answer.groups[name]?.buckets.length ?? 0),
        pageSize: options.pageSize,
      }
      for (const [typed, pressed] of TextEdit.keystrokes(input, key)) {
        const { state: next, command } = ResultsView.onKey(latest.current, typed, pressed, context)
        update(next)
        if (command === undefined) continue
        switch (command._tag) {
          case "Back":
            return options.onBack()
          case "Quit":
            return options.onQuit()
          case "Help":
            return options.onHelp()
          case "Write":
            return void write(command.format, command.fileName)
        }
      }
    },
    { isActive: options.active },
  )

  const groupName = groupNames[Math.min(state.group, groupNames.length - 1)] ?? ""
  return { state, groupNames, groupName, group: options.answer.groups[groupName] }
}
