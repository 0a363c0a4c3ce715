/**
 * What the UI asks the backend: a trends query (`POST /1/counts/trends.json`) or a top
 * values query (`POST /1/counts/top.json`), each as the wire body the form built. The kind
 * is named here, once, so the screens never guess it from the body's shape.
 */

/** A request's wire body, exactly what is sent. */
export type WireBody = Readonly<Record<string, unknown>>

export type QueryRequest =
  | { readonly _tag: "Trends"; readonly body: WireBody }
  | { readonly _tag: "Top"; readonly body: WireBody }

/** A trends query of `body`. */
export const trends = (body: WireBody): QueryRequest => ({ _tag: "Trends", body })

/** A top values query of `body`. */
export const top = (body: WireBody): QueryRequest => ({ _tag: "Top", body })

/** The API path a request is posted to, e.g. `/1/counts/top.json`. */
export const pathOf = (request: QueryRequest): string =>
  request._tag === "Top" ? "/1/counts/top.json" : "/1/counts/trends.json"
