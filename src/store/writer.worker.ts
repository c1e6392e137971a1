// The store's writer thread: opens the same LMDB environment (lmdb-js shares one environment between the
// threads of a process) and runs every intake batch and plate-run merge the store hands it (see
// intake-writer.ts). The caller's thread keeps queuing, encoding, acknowledging and querying.
import { parentPort, workerData } from "node:worker_threads";
import { openEnvironment } from "./environment.js";
import type { FromWriter, ToWriter, WriterInit } from "./intake-port.js";
import { IntakeWriter } from "./intake-writer.js";

const init = workerData as WriterInit;
const root = openEnvironment({ dataDir: init.dataDir, mapSizeGiB: init.mapSizeGiB });
const writer = new IntakeWriter(root, init.writer);
const port = parentPort!;

function reply(msg: FromWriter): void {
  port.postMessage(msg);
}

port.on("message", (msg: ToWriter) => {
  const work: Promise<number | undefined> =
    msg.type === "batch"
      ? writer.write(msg.batch).then(() => undefined)
      : msg.type === "compact"
        ? writer.compact(msg.maxSteps)
        : writer.close().then(async () => {
            await root.close();
            return undefined;
          });
  work.then(
    (value) => reply({ id: msg.id, ok: true, value }),
    (err: unknown) => reply({ id: msg.id, ok: false, message: String((err as Error)?.message ?? err) }),
  );
});
