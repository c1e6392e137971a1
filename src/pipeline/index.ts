export * from "./backoff.js";
export * from "./camera.js";
export * from "./camera-manager.js";
export * from "./contracts.js";
export * from "./frame-skip.js";
export * from "./worker-pool.js";
