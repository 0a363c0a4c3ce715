// The accounts of the test worker's `TRENDLINE_ACCOUNTS` secret (see vitest.workers.config.ts):
// four calendars, and one that tests of a single object use (any object serves the account
// of its first call).

/** An entry of the secret, as an operator writes it. */
export interface TestAccount {
  readonly id: string
  readonly passcode: string
  readonly timezone: string
  readonly weekStart: "monday" | "sunday"
}

export const acme: TestAccount = {
  id: "acme",
  passcode: "acme-passcode",
  timezone: "Asia/Kolkata",
  weekStart: "monday",
}

export const globex: TestAccount = {
  id: "globex",
  passcode: "globex-passcode",
  timezone: "America/New_York",
  weekStart: "sunday",
}

/** For tests that call objects of their own directly (never through the worker). */
export const initech: TestAccount = {
  id: "initech",
  passcode: "initech-passcode",
  timezone: "UTC",
  weekStart: "monday",
}

/** A zone half an hour off, with daylight saving time in the southern summer. */
export const umbrella: TestAccount = {
  id: "umbrella",
  passcode: "umbrella-passcode",
  timezone: "Australia/Adelaide",
  weekStart: "sunday",
}

/** A zone 45 minutes off the hour (UTC+12:45), with summer time in the southern summer. */
export const hooli: TestAccount = {
  id: "hooli",
  passcode: "hooli-passcode",
  timezone: "Pacific/Chatham",
  weekStart: "monday",
}

export const accounts: ReadonlyArray<TestAccount> = [acme, globex, initech, umbrella, hooli]
