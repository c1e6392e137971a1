import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeAlert, startHarness, until } from "./gateway-harness.js";

describe("gateway over TLS", () => {
  it("serves wss:// and https:// with the configured key and certificate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kestrel-tls-"));
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "pipe" },
    );
    const h = await startHarness([["con", "consumer", false]], { gateway: { tls: { keyFile, certFile } } });
    try {
      expect(h.url.startsWith("wss://")).toBe(true);
      const c = await h.connect("con");
      expect(c.welcome.user).toBe("con");
      const got: number[] = [];
      c.onAlert((m) => got.push(m.seq));
      await c.subscribe();
      h.gw.alertSink.alert(makeAlert());
      await until(() => got.length === 1, "alert over TLS");
      expect(got).toEqual([1]);
      await c.close();
      // Plain HTTP to the TLS port gets no answer: the handshake fails.
      await expect(fetch(`http://127.0.0.1:${h.gw.port}/healthz`)).rejects.toThrow();
    } finally {
      await h.close();
    }
  });
});
