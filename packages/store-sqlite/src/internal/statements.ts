// Writing and reading many rows per statement. In a Durable Object each statement is a call
// into the runtime that costs more than a small statement's own work (see
// `DurableObjectSqlite`), so the store batches rows: one statement per slice of rows, each
// binding at most `maxBoundParameters`, the tightest limit of the drivers, on every driver,
// so the same statements run everywhere.

/** The most parameters the store binds to one statement: a Durable Object's limit. */
export const maxBoundParameters = 100

/**
 * How many rows one statement takes when each binds `perRow` parameters besides the
 * statement's first one (the account or rollup set, `?1`), bound once for all rows.
 */
export const rowsPerStatement = (perRow: number): number =>
  Math.floor((maxBoundParameters - 1) / perRow)

/**
 * The texts of a statement by its number of rows, each built once: the same text finds the
 * same prepared statement in the driver's cache (node:sqlite's and a Durable Object's).
 */
export const byRows = (build: (rows: number) => string): ((rows: number) => string) => {
  const texts = new Map<number, string>()
  return (rows) => {
    let text = texts.get(rows)
    if (text === undefined) {
      text = build(rows)
      texts.set(rows, text)
    }
    return text
  }
}

/**
 * `rows` tuples, each of the statement's first parameter and `perRow` more:
 * `tuples(2, 2)` is `(?1, ?2, ?3), (?1, ?4, ?5)`.
 */
export const tuples = (rows: number, perRow: number): string => {
  const all: Array<string> = []
  let next = 2
  for (let row = 0; row < rows; row++) {
    const values = ["?1"]
    for (let i = 0; i < perRow; i++) values.push(`?${next++}`)
    all.push(`(${values.join(", ")})`)
  }
  return all.join(", ")
}

/** `?2, ?3, …`: `count` parameters after the shared first one, e.g. for `IN (…)`. */
export const parametersAfterFirst = (count: number): string =>
  Array.from({ length: count }, (_, i) => `?${i + 2}`).join(", ")

/** Runs `use` on consecutive slices of `items`, each at most `size` long. */
export const inSlices = <A>(
  items: ReadonlyArray<A>,
  size: number,
  use: (slice: ReadonlyArray<A>) => void,
): void => {
  for (let start = 0; start < items.length; start += size) use(items.slice(start, start + size))
}
