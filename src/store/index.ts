export * from "./environment.js";
export * from "./keys.js";
export * from "./read-store.js";
export * from "./wildcard.js";
