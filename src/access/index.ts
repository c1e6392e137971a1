export * from "./access-store.js";
export * from "./authorisations.js";
export * from "./policy.js";
export * from "./roles.js";
export * from "./tokens.js";
