export { encodeGreyPng } from "./patch-png.js";
export { Tracker, type TrackerOptions } from "./tracker.js";
