export * from "./entry.js";
export * from "./import-format.js";
export * from "./plate-key.js";
export * from "./recent.js";
export * from "./service.js";
export * from "./table.js";
