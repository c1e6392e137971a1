export * from "./classifier";
