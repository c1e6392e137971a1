export * from "./hotlist.js";
export * from "./read.js";
