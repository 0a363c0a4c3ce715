/**
 * The colours of the UI, or none: with `color` off (NO_COLOR, or not a terminal) every
 * colour is dropped while bold, dim and inverse stay, as the NO_COLOR convention allows.
 * Ink's chalk does not read NO_COLOR itself, so the components ask the theme.
 */
import { createContext, type ReactNode, useContext } from "react"

export interface Theme {
  readonly accent: string
  readonly chart: string
  readonly selected: string
  readonly error: string
  readonly ok: string
  readonly muted: string
  /** The points of an earlier period on a chart. */
  readonly previous: string
  /** The points of a breakdown's series, by rank (repeating past the last). */
  readonly series: ReadonlyArray<string>
}

const colourful: Theme = {
  accent: "cyan",
  chart: "cyan",
  selected: "yellow",
  error: "red",
  ok: "green",
  muted: "gray",
  previous: "magenta",
  series: [
    "green",
    "blue",
    "red",
    "white",
    "greenBright",
    "blueBright",
    "redBright",
    "whiteBright",
  ],
}

// Ink treats an empty colour as none (its `colorize` returns the text unchanged).
const plain: Theme = {
  accent: "",
  chart: "",
  selected: "",
  error: "",
  ok: "",
  muted: "",
  previous: "",
  series: [""],
}

/** The colour of a breakdown series of rank `rank`. */
export const seriesColour = (theme: Theme, rank: number): string =>
  theme.series[rank % theme.series.length] ?? ""

const ThemeContext = createContext<Theme>(colourful)

export const ThemeProvider = ({
  color,
  children,
}: {
  readonly color: boolean
  readonly children: ReactNode
}) => <ThemeContext.Provider value={color ? colourful : plain}>{children}</ThemeContext.Provider>

export const useTheme = (): Theme => useContext(ThemeContext)
