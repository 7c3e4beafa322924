// A JSON value: what a session, a CRDT register, a set member or a map field holds.
// The one declaration of grovekv written in TypeScript rather than generated from JSDoc: it
// describes JSON, not code, and tsc cannot use a recursive JSDoc @typedef as a type parameter's
// default (it turns into `any`), which Store.crdtRegister<V = JsonValue> and others need.
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
