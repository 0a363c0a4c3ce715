/**
 * The Effect runtime of the UI, created once at the entry (`main.tsx`) from the backend
 * layer and handed to every hook through React context.
 */
import type * as ManagedRuntime from "effect/ManagedRuntime"
import { createContext, type ReactNode, useContext } from "react"
import type * as Backend from "./Backend.ts"

/** The runtime the hooks run effects with: it provides the `Backend`. */
export type AppRuntime = ManagedRuntime.ManagedRuntime<Backend.Backend, unknown>

const RuntimeContext = createContext<AppRuntime | undefined>(undefined)

/** Makes `runtime` available to `useRuntime` below it. */
export const RuntimeProvider = ({
  runtime,
  children,
}: {
  readonly runtime: AppRuntime
  readonly children: ReactNode
}) => <RuntimeContext.Provider value={runtime}>{children}</RuntimeContext.Provider>

/** The runtime of the nearest `RuntimeProvider`. */
export const useRuntime = (): AppRuntime => {
  const runtime = useContext(RuntimeContext)
  if (runtime === undefined) throw new Error("useRuntime must be used under a RuntimeProvider")
  return runtime
}
