import type { us_listen_socket } from "@trufflesuite/uws-js-unofficial";
import { KestrelError } from "../errors/index.js";
import { uws } from "../gateway/uws.js";
import { registry } from "./registry.js";

export interface MetricsServer {
  port: number;
  close(): void;
}

/**
 * The ops endpoint on its own port (config.metrics): /metrics (Prometheus exposition), /healthz (the process
 * is alive) and /readyz (200 only when `notReady()` gives no reasons; the reasons are in the body).
 */
export async function startMetricsServer(options: {
  host: string;
  port: number;
  notReady: () => string[];
}): Promise<MetricsServer> {
  const app = uws().App();
  app.get("/metrics", (res) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    void registry.metrics().then((text) => {
      if (!aborted) res.cork(() => res.writeHeader("content-type", registry.contentType).end(text));
    });
  });
  app.get("/healthz", (res) => {
    res.writeHeader("content-type", "application/json").end(JSON.stringify({ alive: true }));
  });
  app.get("/readyz", (res) => {
    const reasons = options.notReady();
    res
      .writeStatus(reasons.length === 0 ? "200 OK" : "503 Service Unavailable")
      .writeHeader("content-type", "application/json")
      .end(JSON.stringify({ ready: reasons.length === 0, reasons }));
  });
  app.any("/*", (res) => {
    res.writeStatus("404 Not Found").end();
  });
  const socket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(options.host, options.port, (s) => {
      if (s) resolve(s);
      else
        reject(
          new KestrelError(
            "KESTREL_E_CONFIG_INVALID",
            `metrics cannot listen on ${options.host}:${options.port}`,
          ),
        );
    });
  });
  const mod = uws();
  return {
    port: mod.us_socket_local_port(socket as never),
    close: () => mod.us_listen_socket_close(socket),
  };
}
