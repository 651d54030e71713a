import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ARTIFACTS = path.join(ROOT, 'build/test-artifacts');

/** Why the real-engine tests cannot run on the built site (false: they can). */
export function siteSkipReason(site) {
  try {
    const b = JSON.parse(fs.readFileSync(path.join(site, 'build.json'), 'utf8'));
    if (!b.engine) return 'the site has no engine (tools/build web, then node web/build.mjs)';
    if (!b.image) return 'the site has no image (tools/mkimage/mkimage build images/default --out build/image)';
    return false;
  } catch {
    return 'no build/site/build.json (node web/build.mjs)';
  }
}
