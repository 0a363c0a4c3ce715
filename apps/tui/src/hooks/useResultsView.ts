import { existsSync } from "node:fs"
import { writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { resolve } from "node:path"
import { useInput } from "ink"
import { useEffect, useRef, useState } from "react"
import * as TextEdit from "../form/TextEdit.ts"
import * as ResultsView from "../view/ResultsView.ts"

export interface ResultsViewOptions {
  /** Which answer it is: the export's file name starts with it. */
  readonly kind: ResultsView.AnswerKind
  /** The answer's groups, in order. */
  readonly groupNames: ReadonlyArray<string>
  /** Rows of each group's table (buckets or values), in the order of `groupNames`. */
  readonly rowCounts: ReadonlyArray<number>
  /** Series of each group that Tab steps through (default: one each). */
  readonly seriesCounts?: ReadonlyArray<number>
  /** What a row is, for the export's message: `["bucket", "buckets"]`. */
  readonly rowNoun: readonly [one: string, many: string]
  /** The text of the export file in a format. */
  readonly exportText: (format: ResultsView.ExportFormat) => string
  readonly request: ResultsView.RequestSummary
  readonly active: boolean
  /** Table rows that fit on screen. */
  readonly pageSize: number
  /** Where relative export file names are written. */
  readonly cwd: string
  readonly onBack: () => void
  readonly onQuit: () => void
  readonly onHelp: () => void
  /** Told whether a text field (the export's file name) has the keyboard, so `q` types. */
  readonly onTyping: (typing: boolean) => void
}

/** Where a typed file name points: relative to `cwd`, `~/` in the home folder. */
export const resolveFileName = (cwd: string, fileName: string): string =>
  fileName.startsWith("~/") ? resolve(homedir(), fileName.slice(2)) : resolve(cwd, fileName)

/**
 * A results screen's state and keyboard (trends or top values): group tabs and their
 * series, table selection and scroll, and the export (written here, to a file) and curl
 * panels.
 */
export const useResultsView = (options: ResultsViewOptions) => {
  const [state, setState] = useState(() => ResultsView.initialState(options.request, options.kind))
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

  const { groupNames } = options

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
    try {
      await writeFile(path, options.exportText(format))
      const rows = options.rowCounts.reduce((sum, count) => sum + count, 0)
      const noun = options.rowNoun[rows === 1 ? 0 : 1]
      update({
        ...latest.current,
        panel: "none",
        confirmOverwrite: false,
        message: { ok: true, text: `Wrote ${rows} ${noun} as ${format.toUpperCase()} to ${path}` },
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
        rowCounts: options.rowCounts,
        pageSize: options.pageSize,
        seriesCounts: options.seriesCounts,
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

  const { onTyping } = options
  const typing = state.panel === "export"
  useEffect(() => {
    onTyping(typing)
    return () => onTyping(false)
  }, [onTyping, typing])

  const groupName = groupNames[Math.min(state.group, groupNames.length - 1)] ?? ""
  return { state, groupName }
}
