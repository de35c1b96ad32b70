/**
 * Keeps WebAssembly on V8's baseline tier (Liftoff) for a CLI run. The only WebAssembly the CLI
 * runs is llhttp, undici's HTTP parser; V8 re-compiles its hot functions with TurboFan in the
 * background, which on a `basegate sync` costs about 35 MB of peak RSS and 0.2 s of CPU (a
 * no-op sync peaked at 120 MB with it, 87 MB without; issue #20). Parsing response heads is a
 * small part of a sync, and the baseline code does it well enough: bodies are not scanned.
 * `--wasm-tiering-budget` is the dynamic-tiering budget (a production flag since V8 9.x, in
 * Node 20 to 24); a budget no run reaches means no function tiers up. It must be set before
 * undici compiles llhttp (at its first connection): cli.ts does it first thing.
 */
import { setFlagsFromString } from 'node:v8';

/** Sets V8's dynamic-tiering budget out of reach, so WebAssembly stays on Liftoff. */
export function keepWasmOnBaseline(): void {
  setFlagsFromString('--wasm-tiering-budget=2000000000');
}
