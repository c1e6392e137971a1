import { createRequire } from "node:module";
import { KestrelError } from "../errors/index.js";

/**
 * uWebSockets.js from the registry package @trufflesuite/uws-js-unofficial, which carries the real uWS
 * C++ core. When its native binary fails to load it silently falls back to a JavaScript implementation;
 * Kestrel refuses to run on that fallback, so this module checks and fails loudly.
 */
const require = createRequire(import.meta.url);
const PACKAGE = "@trufflesuite/uws-js-unofficial";

// The package's type declarations are uWebSockets.js's own.
export type UwsModule = typeof import("@trufflesuite/uws-js-unofficial");

export interface UwsInfo {
  native: boolean;
  binary: string;
  version: string;
}

let loaded: UwsModule | undefined;

function binaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

export function uwsInfo(mod: UwsModule = loadUwsUnchecked()): UwsInfo {
  const pkgJson = require(`${PACKAGE}/package.json`) as { version: string };
  const app = (mod as unknown as { App?: unknown }).App;
  const native = typeof app === "function" && Function.prototype.toString.call(app).includes("[native code]");
  return { native, binary: require.resolve(`${PACKAGE}/binaries/${binaryName()}`), version: pkgJson.version };
}

function loadUwsUnchecked(): UwsModule {
  loaded ??= require(PACKAGE) as UwsModule;
  return loaded;
}

/** The uWS module, guaranteed native. */
export function uws(): UwsModule {
  const mod = loadUwsUnchecked();
  const info = uwsInfo(mod);
  if (!info.native) {
    throw new KestrelError("KESTREL_E_UWS_FALLBACK", `native binary ${binaryName()} did not load`, {
      details: { binary: binaryName() },
    });
  }
  return mod;
}
