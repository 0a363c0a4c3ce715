/**
 * How many request-body bytes a server holds at once, across all requests: each body
 * reserves its bytes before they are read (its `Content-Length`, or chunk by chunk when it
 * has none) and gives them back when its request is answered. A body that does not fit is
 * refused before it is read, so concurrent large uploads cannot grow the heap without bound.
 */

/** A process-wide (or isolate-wide) count of reserved body bytes. */
export interface BodyBudget {
  /** The most bytes reserved at once. */
  readonly maxBytes: number
  /** Bytes reserved now. */
  readonly reserved: () => number
  /** Reserves `bytes` if they fit, e.g. `if (!budget.reserve(length)) return busy()`. */
  readonly reserve: (bytes: number) => boolean
  /** Gives back bytes reserved earlier. */
  readonly release: (bytes: number) => void
}

/** The default: 64 MiB, or twice the largest body when that is larger. */
export const defaultMaxBytes = (maxBodyBytes: number): number =>
  Math.max(64 * 1024 * 1024, 2 * maxBodyBytes)

/** A budget of `maxBytes`. */
export const make = (maxBytes: number): BodyBudget => {
  let reserved = 0
  return {
    maxBytes,
    reserved: () => reserved,
    reserve: (bytes) => {
      if (reserved + bytes > maxBytes) return false
      reserved += bytes
      return true
    },
    release: (bytes) => {
      reserved -= bytes
    },
  }
}
