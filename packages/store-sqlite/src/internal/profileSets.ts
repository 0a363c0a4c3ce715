// Sets of profile numbers as sorted Uint32Arrays: compact to store (4 bytes a profile),
// cheap to merge on ingestion, and unioned per bucket through a reusable bitset.
//
// A stored set is cut into parts of at most `maxPartProfiles` numbers, by position: part p
// holds the set's numbers p * maxPartProfiles up to the next part's first. Every part but
// the last is full, so the parts in order, joined, are the set. Durable Objects refuse a
// string or BLOB over 2 MB (see `DurableObjectSqlite`); a part takes at most 1,000,000.

/** The most profile numbers one stored part holds: 1,000,000 bytes, half the 2 MB limit. */
export const maxPartProfiles = 250_000

const empty = new Uint32Array(0)

/** The sorted, distinct values of `values` (which it sorts in place). */
export const sortedSet = (values: Uint32Array): Uint32Array => {
  values.sort()
  let n = 0
  for (let i = 0; i < values.length; i++) {
    if (i === 0 || values[i] !== values[i - 1]) values[n++] = values[i]!
  }
  return values.subarray(0, n)
}

/** The union of two sorted sets; returns `a` itself when `b` adds nothing. */
export const merge = (a: Uint32Array, b: Uint32Array): Uint32Array => {
  const out = new Uint32Array(a.length + b.length)
  let i = 0
  let j = 0
  let n = 0
  while (i < a.length && j < b.length) {
    const x = a[i]!
    const y = b[j]!
    if (x < y) {
      out[n++] = x
      i++
    } else if (y < x) {
      out[n++] = y
      j++
    } else {
      out[n++] = x
      i++
      j++
    }
  }
  while (i < a.length) out[n++] = a[i++]!
  while (j < b.length) out[n++] = b[j++]!
  return n === a.length ? a : out.subarray(0, n)
}

/** The first position where `merged` (a superset of the sorted `existing`) differs from it. */
export const firstDifference = (existing: Uint32Array, merged: Uint32Array): number => {
  let low = 0
  let high = existing.length
  // Both agree up to the first added number: the first position where they differ.
  while (low < high) {
    const middle = (low + high) >>> 1
    if (existing[middle] === merged[middle]) low = middle + 1
    else high = middle
  }
  return low
}

/** A stored blob back to its set (copied, so it does not alias the driver's buffer). */
export const fromBlob = (blob: Uint8Array | null | undefined): Uint32Array =>
  blob === null || blob === undefined ? empty : fromParts([blob])

/** A set from its stored parts, in part order (copied into one buffer). */
export const fromParts = (parts: ReadonlyArray<Uint8Array>): Uint32Array => {
  let bytes = 0
  for (const part of parts) bytes += part.byteLength
  if (bytes === 0) return empty
  const copy = new Uint8Array(bytes)
  let offset = 0
  for (const part of parts) {
    copy.set(part, offset)
    offset += part.byteLength
  }
  return new Uint32Array(copy.buffer)
}

/** A set as the blob stored for it (little-endian, as every platform we run on). */
export const toBlob = (set: Uint32Array): Uint8Array =>
  new Uint8Array(set.buffer, set.byteOffset, set.byteLength)

/** The stored parts of `set` from the one holding position `from` on, as blobs. */
export const partsFrom = (
  set: Uint32Array,
  from: number,
): Array<{ readonly part: number; readonly blob: Uint8Array }> => {
  const parts: Array<{ part: number; blob: Uint8Array }> = []
  for (let part = Math.floor(from / maxPartProfiles); part * maxPartProfiles < set.length; part++) {
    const start = part * maxPartProfiles
    parts.push({ part, blob: toBlob(set.subarray(start, start + maxPartProfiles)) })
  }
  return parts
}

/**
 * Counts distinct values across sets, one set at a time (`add`), in a bitset: 1 bit per
 * possible value (1.25 MB for 10 million profiles), so a bucket of many large days needs
 * only the day it is adding in memory besides it.
 */
export class UnionCounter {
  private bits = new Uint32Array(32)
  // Words below this may have bits set; `reset` clears only those.
  private usedWords = 0
  private distinct = 0

  /** Adds the values of a set to the union. */
  add(set: Uint32Array): void {
    if (set.length === 0) return
    const words = (set[set.length - 1]! >>> 5) + 1
    if (words > this.bits.length) this.grow(words)
    if (words > this.usedWords) this.usedWords = words
    const bits = this.bits
    let distinct = this.distinct
    for (let i = 0; i < set.length; i++) {
      const v = set[i]!
      const word = v >>> 5
      const bit = 1 << (v & 31)
      if ((bits[word]! & bit) === 0) {
        bits[word] = bits[word]! | bit
        distinct++
      }
    }
    this.distinct = distinct
  }

  /** The number of distinct values added since the last `reset`. */
  get size(): number {
    return this.distinct
  }

  /** Empties the union. */
  reset(): void {
    this.bits.fill(0, 0, this.usedWords)
    this.usedWords = 0
    this.distinct = 0
  }

  /** The number of distinct values of `sets` (the union is empty before and after). */
  count(sets: ReadonlyArray<Uint32Array>): number {
    if (sets.length === 1) return sets[0]!.length
    this.reset()
    for (const set of sets) this.add(set)
    const distinct = this.distinct
    this.reset()
    return distinct
  }

  private grow(words: number): void {
    let size = this.bits.length
    while (words > size) size *= 2
    const bits = new Uint32Array(size)
    bits.set(this.bits)
    this.bits = bits
  }
}
