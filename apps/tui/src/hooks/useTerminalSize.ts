import { useWindowSize } from "ink"

/** The terminal's size, updated on resize; never below what the screens are laid out for. */
export const useTerminalSize = (): { readonly columns: number; readonly rows: number } => {
  const { columns, rows } = useWindowSize()
  return { columns: Math.max(columns, 40), rows: Math.max(rows, 16) }
}
