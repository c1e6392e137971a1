export * from "./alerts.js";
export * from "./ports.js";
export * from "./protocol.js";
export * from "./server.js";
