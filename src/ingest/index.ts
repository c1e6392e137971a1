export * from "./ffmpeg-path.js";
export * from "./ffmpeg-stream.js";
export * from "./frame-cutter.js";
export * from "./metrics.js";
export * from "./source.js";
