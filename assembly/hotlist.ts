// Hot-list kernel module (build/hotlist.wasm): the host creates one memory per table revision, sized once,
// and imports it; see assembly/hotlist/table.ts for the table and src/hotlist/table.ts for the layout.
export {
  normaliseKey,
  tableBloomContains,
  tableCheck,
  tableContains,
  tableCount,
  tableInit,
  tableInsert,
  tableRemove,
  tableStale,
} from "./hotlist/table";
