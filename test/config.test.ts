import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.js";
import { KestrelError } from "../src/errors/index.js";

const dir = mkdtempSync(join(tmpdir(), "kestrel-config-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(fn: () => unknown): KestrelError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KestrelError) return err;
    throw err;
  }
  throw new Error("expected a KestrelError");
}

describe("configuration", () => {
  it("runs on defaults with no file at all", () => {
    const config = loadConfig({ env: {} });
    expect(config.cameras).toEqual([]);
    expect(config.store.retentionDays).toBe(730);
    expect(config.access.tiers.map((t) => t.maxAgeDays)).toEqual([90, 365, 730]);
    expect(config.gateway.host).toBe("127.0.0.1");
  });

  it("loads a good YAML file and fills defaults", () => {
    const path = file(
      "good.yaml",
      [
        "cameras:",
        "  - id: cam-01",
        "    url: rtsp://10.0.0.5/stream1",
        "    location: A2 westbound J3",
        "    roi: [0, 200, 1280, 520]",
        "store:",
        "  dataDir: /var/lib/kestrel",
        "  retentionDays: 365",
      ].join("\n"),
    );
    const config = loadConfig({ file: path, env: {} });
    expect(config.cameras[0]).toMatchObject({
      id: "cam-01",
      enabled: true,
      direction: "towards",
      roi: [0, 200, 1280, 520],
    });
    expect(config.store).toMatchObject({
      dataDir: "/var/lib/kestrel",
      retentionDays: 365,
      writeQueueMax: 50_000,
    });
  });

  it("loads JSON too", () => {
    const path = file("good.json", JSON.stringify({ gateway: { port: 9001 } }));
    expect(loadConfig({ file: path, env: {} }).gateway.port).toBe(9001);
  });

  it("rejects a typo in a field name, naming the file and the field path", () => {
    const path = file("typo.yaml", "gateway:\n  prot: 9000\n");
    const err = failure(() => loadConfig({ file: path, env: {} }));
    expect(err.code).toBe("KESTREL_E_CONFIG_INVALID");
    expect(err.message).toContain(path);
    expect(err.message).toContain("gateway.prot: unknown field");
  });

  it("rejects an unknown field inside a camera", () => {
    const path = file("cam.yaml", "cameras:\n  - id: c1\n    url: file:///x.mp4\n    fsp: 10\n");
    expect(failure(() => loadConfig({ file: path, env: {} })).message).toContain(
      "cameras.0.fsp: unknown field",
    );
  });

  it("rejects a wrong type, naming the field and the reason", () => {
    const path = file("type.yaml", "store:\n  retentionDays: two years\n");
    const err = failure(() => loadConfig({ file: path, env: {} }));
    expect(err.message).toMatch(/store\.retentionDays: .*expected number/);
  });

  it("rejects a bad camera url scheme", () => {
    const path = file("url.yaml", "cameras:\n  - id: c1\n    url: gopher://x\n");
    expect(failure(() => loadConfig({ file: path, env: {} })).message).toContain("cameras.0.url");
  });

  it("reports a missing file", () => {
    const err = failure(() => loadConfig({ file: join(dir, "nope.yaml"), env: {} }));
    expect(err.code).toBe("KESTREL_E_CONFIG_NOT_FOUND");
    expect(err.message).toContain("nope.yaml");
  });

  it("reports a file that does not parse", () => {
    const err = failure(() => loadConfig({ file: file("bad.json", "{ nope"), env: {} }));
    expect(err.code).toBe("KESTREL_E_CONFIG_PARSE");
  });

  it("applies environment overrides over the file", () => {
    const path = file("env.yaml", "gateway:\n  port: 9000\n");
    const config = loadConfig({
      file: path,
      env: {
        KESTREL_GATEWAY_PORT: "9100",
        KESTREL_STORE_DATA_DIR: "/srv/k",
        KESTREL_GATEWAY_MAX_MESSAGE_BYTES: "1024",
      },
    });
    expect(config.gateway.port).toBe(9100);
    expect(config.gateway.maxMessageBytes).toBe(1024);
    expect(config.store.dataDir).toBe("/srv/k");
  });

  it("rejects an override for a field that does not exist, and one of the wrong type", () => {
    expect(failure(() => loadConfig({ env: { KESTREL_GATEWAY_PROT: "1" } })).code).toBe(
      "KESTREL_E_CONFIG_ENV",
    );
    expect(failure(() => loadConfig({ env: { KESTREL_GATEWAY_PORT: "eighty" } })).message).toContain(
      "gateway.port",
    );
  });
});
