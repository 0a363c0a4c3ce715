/**
 * Values written into ClickHouse SQL text. ClickHouse 18.16 (Debian's server) has no query
 * parameters (`{name:Type}` arrived in 19.x), so every value a query needs is written as a
 * literal by these functions and by nothing else: never concatenate a value into SQL by hand.
 *
 * The escapes used are the subset that 18.16 and current ClickHouse read the same way:
 * `\\`, `\'` and `\xHH` inside single quotes, `` \` `` inside back quotes.
 *
 * @since 0.1.0
 */
import * as Upload from "@trendline/core/Upload"

/**
 * The string as ClickHouse stores it: well-formed Unicode, each lone surrogate replaced by
 * U+FFFD (what any UTF-8 encoder does). Stores pass every string they write or look up
 * through it, so a key is found the way it was written.
 *
 * Lone UTF-16 surrogates have no UTF-8 form: `fetch` would send U+FFFD for them, and
 * ClickHouse's JSON reader refuses their `\uD800` escapes. Replacing them up front makes the
 * SQL path and the JSON insert path agree on the same bytes.
 */
export const wellFormed: (value: string) => string = Upload.wellFormed

const hex = "0123456789ABCDEF"

const escaped = (value: string, quote: "'" | "`"): string => {
  const text = wellFormed(value)
  let out = quote
  let plainFrom = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    let replacement: string | undefined
    if (code === 0x5c) replacement = "\\\\"
    else if (code === quote.charCodeAt(0)) replacement = `\\${quote}`
    // Control characters (NUL, newlines, DEL) as \xHH: the SQL text stays one printable line.
    else if (code < 0x20 || code === 0x7f) replacement = `\\x${hex[code >> 4]}${hex[code & 15]}`
    if (replacement === undefined) continue
    out += text.slice(plainFrom, i) + replacement
    plainFrom = i + 1
  }
  return `${out}${text.slice(plainFrom)}${quote}`
}

/**
 * A string literal that reads back as exactly `value` (after `wellFormed`).
 *
 * @example stringLiteral("it's a \\ test") // "'it\\'s a \\\\ test'"
 */
export const stringLiteral = (value: string): string => escaped(value, "'")

/**
 * A quoted identifier (database, table or column name), e.g. `` identifier("my db") `` is
 * `` `my db` ``. Throws on the empty name, which ClickHouse cannot read.
 */
export const identifier = (name: string): string => {
  if (name === "") throw new RangeError("identifier: the name is empty")
  return escaped(name, "`")
}

/**
 * An integer literal; throws on anything but a safe integer, since a fraction, `NaN` or a
 * rounded huge number in a query is a bug in the caller.
 */
export const integerLiteral = (value: number): string => {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`integerLiteral: ${value} is not a safe integer`)
  }
  return String(value)
}
