// Sets of profile numbers as sorted Uint32Arrays: compact to store (4 bytes a profile),
// cheap to merge on ingestion, and unioned per bucket through a reusable bitset.

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

/** A stored blob back to its set (copied, so it does not alias the driver's buffer). */
export const fromBlob = (blob: Uint8Array | null | undefined): Uint32Array => {
  if (blob === null || blob === undefined || blob.byteLength === 0) return empty
  const copy = new Uint8Array(blob.byteLength)
  copy.set(blob)
  return new Uint32Array(copy.buffer)
}

/** A set as the blob stored for it (little-endian, as every platform we run on). */
export const toBlob = (set: Uint32Array): Uint8Array =>
  new Uint8Array(set.buffer, set.byteOffset, set.byteLength)

/**
 * Counts distinct values across sets. Each count stamps the values it sees with a new
 * generation number, so no clearing pass is needed between counts.
 */
export class UnionCounter {
  private stamps = new Uint32Array(1024)
  private generation = 0

  count(sets: ReadonlyArray<Uint32Array>): number {
    if (sets.length === 1) return sets[0]!.length
    if (++this.generation === 0xffffffff) {
      this.stamps.fill(0)
      this.generation = 1
    }
    const generation = this.generation
    let distinct = 0
    for (const set of sets) {
      if (set.length === 0) continue
      const last = set[set.length - 1]!
      if (last >= this.stamps.length) this.grow(last)
      const stamps = this.stamps
      for (let i = 0; i < set.length; i++) {
        const v = set[i]!
        if (stamps[v] !== generation) {
          stamps[v] = generation
          distinct++
        }
      }
    }
    return distinct
  }

  private grow(max: number): void {
    let size = this.stamps.length
    while (max >= size) size *= 2
    const stamps = new Uint32Array(size)
    stamps.set(this.stamps)
    this.stamps = stamps
  }
}
