#!/usr/bin/env node
/**
 * The second step of `npm run build` (issue #20): bundles each entry point tsc wrote
 * (dist/functions/cli.js, the `basegate` bin, and dist/functions/app.js, the Functions entry)
 * into one file with esbuild, in place. A process then reads one file instead of resolving and
 * reading some 450 modules (a no-op sync spent 0.3 s there). What an entry requires lazily
 * (a command, the composition root) stays lazy: esbuild wraps each module and runs it on its
 * first require. The Azure SDKs, Sigstore and the OpenTelemetry SDKs stay external, loaded from node_modules only when
 * used (the CLI never loads the Azure SDKs unless it meets an ACR; a sync without signature
 * gates never loads Sigstore), and @azure/functions must be the package the Functions host
 * talks to. Every other file tsc wrote stays where it was: dist/ keeps its layout.
 */
const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');
const ENTRIES = ['dist/functions/cli.js', 'dist/functions/app.js'];

for (const entry of ENTRIES) {
  const file = path.join(ROOT, entry);
  esbuild.buildSync({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // @opentelemetry/api is bundled (every run records through it, a no-op without an SDK); the SDKs
    // and exporters load from node_modules only when serve runs or OTEL_* settings ask (issue #19).
    external: ['@azure/*', '@sigstore/*', '@opentelemetry/sdk-*', '@opentelemetry/exporter-*', '@opentelemetry/core', '@opentelemetry/resources', '@opentelemetry/context-async-hooks'],
    // Maps to the TypeScript sources through tsc's maps, so stack traces still name functions/*.ts.
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
