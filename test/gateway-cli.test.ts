import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KestrelClient } from "../src/client/index.js";
import type { ResultMessage } from "../src/gateway/protocol.js";
import { DAY, type Harness, makeRead, startHarness, T0 } from "./gateway-harness.js";

const run = promisify(execFile);

/** Runs the built CLI against the harness's data directory, as an operator would on the same host. */
async function kestrel(
  h: Harness,
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run("node", ["dist/src/cli/main.js", ...args], {
      env: {
        ...process.env,
        KESTREL_STORE_DATA_DIR: h.config.store.dataDir,
        KESTREL_STORE_MAP_SIZE_GI_B: "1",
      },
    });
    return { ...r, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness([]);
  await h.store.write(makeRead("p-1", "AB12CDE", "cam-1", T0 - 2 * DAY));
  await h.store.write(makeRead("p-2", "AB12CDE", "cam-1", T0 - 200 * DAY));
});
afterAll(async () => {
  await h.close();
});

describe("kestrel user, token and query against a running gateway", () => {
  it("adds users and issues tokens the running gateway accepts, queries, and disabling closes the connection", async () => {
    expect((await kestrel(h, "user", "add", "ivy", "--role", "analyst", "--trained")).stdout).toBe(
      "added ivy (analyst, trained)\n",
    );
    const dup = await kestrel(h, "user", "add", "ivy", "--role", "consumer");
    expect(dup.code).toBe(1);
    expect(JSON.parse(dup.stderr).error.code).toBe("KESTREL_E_USER_EXISTS");
    const issued = await kestrel(h, "token", "issue", "--user", "ivy", "--ttl", "8h", "--json");
    const { token, jti } = JSON.parse(issued.stdout) as { token: string; jti: string };
    // The token is checked against the gateway's clock (T0), so issue a second one from the test for the client.
    expect(token.split(".")).toHaveLength(3);
    expect(
      JSON.parse((await kestrel(h, "token", "list", "--json")).stdout).map((t: { jti: string }) => t.jti),
    ).toEqual([jti]);

    const client = await KestrelClient.connect({ url: h.url, token: await h.token("ivy") });
    expect(client.welcome.role).toBe("analyst");

    const q = await kestrel(
      h,
      "query",
      "plate",
      "ab12cde",
      "--url",
      h.url,
      "--token",
      await h.token("ivy"),
      "--purpose",
      "volume",
      "--case",
      "CASE-7",
      "--from",
      String(T0 - 365 * DAY),
      "--to",
      String(T0),
      "--json",
    );
    expect(q.stderr).toBe("");
    const result = JSON.parse(q.stdout) as ResultMessage;
    expect(result.reads.map((r) => r.passId)).toEqual(["p-1"]);
    expect(result.withheld).toEqual([{ tier: "extended", reason: "authorisation-required", count: 1 }]);

    // Disabled from another process: the gateway notices on its next poll and closes the connection.
    expect((await kestrel(h, "user", "disable", "ivy")).stdout).toBe("disabled ivy\n");
    expect(await client.closed()).toEqual({ code: 4403, reason: "KESTREL_E_AUTH_REVOKED" });
    const users = JSON.parse((await kestrel(h, "user", "list", "--json")).stdout) as {
      name: string;
      disabled: boolean;
    }[];
    expect(users).toEqual([expect.objectContaining({ name: "ivy", disabled: true })]);
    const actions = h.auditEntries().map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(["user.add", "token.issue", "query.plate", "query.result", "user.disable"]),
    );
  });
});
