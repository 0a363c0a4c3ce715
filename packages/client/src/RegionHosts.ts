/**
 * The hosted regions of the Trends API and their hosts, as plain data: a module without
 * Effect, for code that must load fast (a command line's help and argument checks).
 * `Region` re-exports all of it.
 *
 * @since 0.1.0
 */

/** The hosted regions and their hosts. */
export const hosts = {
  eu1: "eu1.api.clevertap.com",
  in1: "in1.api.clevertap.com",
  sg1: "sg1.api.clevertap.com",
  us1: "us1.api.clevertap.com",
  aps3: "aps3.api.clevertap.com",
  mec1: "mec1.api.clevertap.com",
} as const

/** A hosted region: `eu1`, `in1`, `sg1`, `us1`, `aps3` or `mec1`. */
export type Region = keyof typeof hosts

/** Whether a string names a hosted region. */
export const isRegion = (value: string): value is Region => Object.hasOwn(hosts, value)
