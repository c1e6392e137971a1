export * from "./box-iou.js";
export * from "./edit-distance.js";
export * from "./hotlist.js";
export * from "./read.js";
export * from "./uk-marks.js";
