/**
 * Markdown for the report: padded tables and numbers as people read them.
 *
 * @since 0.1.0
 */

/** A Markdown table with padded columns; columns after the first are right-aligned. */
export const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
): string => {
  const widths = header.map((title, i) =>
    Math.max(3, title.length, ...rows.map((row) => (row[i] ?? "").length)),
  )
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`
  const rule = `| ${widths.map((width, i) => (i === 0 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`)).join(" | ")} |`
  return [line(header), rule, ...rows.map(line)].join("\n")
}

/** Three significant digits, without exponent: `0.0412`, `3.17`, `1250`. */
export const significant = (value: number): string =>
  !Number.isFinite(value)
    ? "n/a"
    : value >= 100
      ? Math.round(value).toLocaleString("en-US")
      : value === 0
        ? "0"
        : value.toPrecision(3).replace(/e.*$/, "")

/** Thousands separated: `1,234,567`. */
export const grouped = (n: number): string => n.toLocaleString("en-US")

/** `10M`, `1M`, `20k`, `1,500`. */
export const shortCount = (n: number): string =>
  n >= 1_000_000 && n % 1_000_000 === 0
    ? `${n / 1_000_000}M`
    : n >= 1000 && n % 1000 === 0
      ? `${n / 1000}k`
      : grouped(n)
