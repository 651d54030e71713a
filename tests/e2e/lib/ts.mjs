// Imports TypeScript modules of ide/src in node tests: bundles them with esbuild into
// build/test-artifacts/.ts/ and imports the result.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.mjs';

const OUT = path.join(ROOT, 'build/test-artifacts/.ts');

/** Bundles `entry` (relative to the repo) to one ESM file and imports it. */
export async function importTs(entry) {
  fs.mkdirSync(OUT, { recursive: true });
  const out = path.join(OUT, entry.replace(/[\\/]/g, '_').replace(/\.ts$/, '') + `-${process.pid}.mjs`);
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile: out,
    logLevel: 'error',
  });
  return import(pathToFileURL(out).href);
}

/** Bundles `entry` to a classic script (iife) and returns its source text. */
export async function bundleScript(entry, globalName) {
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName,
    write: false,
    logLevel: 'error',
  });
  return r.outputFiles[0].text;
}
