// The site's image/ folder: the manifest, the layout map and the chunk files the manifest
// names (hard links where the file system allows, copies otherwise), and optionally the
// chunks of the PREVIOUS image this site served.
//
// Why the previous image's chunks: a student's overlay is kept per image id (docs/storage.md,
// "Old images"). After an update their browser can still boot the old image read-only, from
// the manifest it kept, to hand them their files (ide/src/workspace.ts). The old image's
// chunks are content-named, so most are the new image's too (a layout-stable rebuild changes
// about 1 %: docs/image.md); the few others are copied here so that download works online.
// Only one version back: a site keeps what its students used last, not every image ever.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const readManifest = (dir) => {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  if (m.format !== 'glassbox-image' || !Array.isArray(m.chunks)) throw new Error(`${path.join(dir, 'manifest.json')}: not a glassbox image manifest`);
  return m;
};
const hashesOf = (m) => [...new Set(m.chunks.filter(Boolean).map((c) => c.hash))];

function place(src, dst) {
  try {
    fs.linkSync(src, dst);
    return true;
  } catch {
    fs.copyFileSync(src, dst);
    return false;
  }
}

/** The chunk hashes the previous manifest names and the new one does not. */
export const onlyInPrevious = (prev, next) => {
  const have = new Set(hashesOf(next));
  return hashesOf(prev).filter((h) => !have.has(h));
};

/**
 * A published site's image as `previousDir` for writeSiteImage: `prevDir` holds its
 * manifest.json (already fetched from `imageUrl`); the chunks only it names are fetched from
 * `imageUrl` into prevDir, each checked against its sha256 name. Returns how many.
 */
export async function fetchPreviousChunks(imageUrl, prevDir, newManifestDir) {
  const prev = readManifest(prevDir);
  const chunksDir = prev.chunks_dir || 'chunks';
  const want = onlyInPrevious(prev, readManifest(newManifestDir));
  fs.mkdirSync(path.join(prevDir, chunksDir), { recursive: true });
  for (const h of want) {
    const url = `${imageUrl.replace(/\/$/, '')}/${chunksDir}/${h}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const data = Buffer.from(await res.arrayBuffer());
    if (createHash('sha256').update(data).digest('hex') !== h) throw new Error(`chunk ${h} of the published image does not match its name`);
    fs.writeFileSync(path.join(prevDir, chunksDir, h), data);
  }
  return want.length;
}

/**
 * The warm-up list (docs/ide.md, "Chunks"): the manifest's indices of the chunks holding the
 * data of `paths` (web/warm-paths.txt), in the order of the paths, each once, zero chunks
 * left out; through the layout map (`files[path] = [inode, [[block, count], ...]]`). Paths
 * the layout does not have are listed in `missing` (a recipe without python, say).
 */
export function warmList(manifest, layout, paths) {
  const bs = layout.geometry?.block_size;
  if (!bs || !layout.files) throw new Error('layout.json: no geometry.block_size or files');
  const cs = manifest.chunk_size;
  const seen = new Set();
  const chunks = [];
  const missing = [];
  let files = 0;
  for (const p of paths) {
    const f = layout.files[p];
    if (!f) {
      missing.push(p);
      continue;
    }
    files++;
    for (const [block, count] of f[1]) {
      const first = Math.floor((block * bs) / cs);
      const last = Math.floor(((block + count) * bs - 1) / cs);
      for (let c = first; c <= last && c < manifest.chunks.length; c++) {
        if (seen.has(c) || !manifest.chunks[c]) continue;
        seen.add(c);
        chunks.push(c);
      }
    }
  }
  const bytes = chunks.reduce((n, c) => n + manifest.chunks[c].length, 0);
  return { version: 1, image_id: manifest.image_id, files, missing, bytes, chunks };
}

/** web/warm-paths.txt as a list (comments and blank lines dropped). */
export const readWarmPaths = (file) =>
  fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/**
 * Writes `outDir` (the site's image/) from the image built in `imageDir`; with `previousDir`
 * (the image/ folder of the site published before), adds that image's chunks the new one
 * does not name; with `warmPaths`, writes warm.json (warmList). Returns { id, chunks, bytes,
 * linked, warm: { chunks, bytes, missing } | null, previous?: { id, chunks, bytes } }.
 */
export function writeSiteImage(imageDir, outDir, { previousDir, warmPaths } = {}) {
  const manifest = readManifest(imageDir);
  const chunksDir = manifest.chunks_dir || 'chunks';
  const hashes = hashesOf(manifest);
  fs.mkdirSync(path.join(outDir, chunksDir), { recursive: true });
  fs.copyFileSync(path.join(imageDir, 'manifest.json'), path.join(outDir, 'manifest.json'));
  // the layout map: a later build passes it back (mkimage --previous) to keep chunks stable
  if (fs.existsSync(path.join(imageDir, 'layout.json'))) fs.copyFileSync(path.join(imageDir, 'layout.json'), path.join(outDir, 'layout.json'));
  // the warm-up list (needs the layout map; without one the worker warms nothing)
  fs.rmSync(path.join(outDir, 'warm.json'), { force: true });
  let warm = null;
  if (warmPaths?.length && fs.existsSync(path.join(imageDir, 'layout.json'))) {
    warm = warmList(manifest, JSON.parse(fs.readFileSync(path.join(imageDir, 'layout.json'), 'utf8')), warmPaths);
    fs.writeFileSync(path.join(outDir, 'warm.json'), JSON.stringify(warm) + '\n');
  }
  let linked = 0;
  for (const h of hashes) if (place(path.join(imageDir, chunksDir, h), path.join(outDir, chunksDir, h))) linked++;
  const result = { id: manifest.image_id, chunks: hashes.length, bytes: manifest.stats?.stored_bytes, linked, warm: warm && { chunks: warm.chunks.length, bytes: warm.bytes, missing: warm.missing.length } };
  if (previousDir && fs.existsSync(path.join(previousDir, 'manifest.json'))) {
    const prev = readManifest(previousDir);
    if (prev.image_id !== manifest.image_id) {
      const prevChunks = prev.chunks_dir || 'chunks';
      let n = 0;
      let bytes = 0;
      for (const h of onlyInPrevious(prev, manifest)) {
        const src = path.join(previousDir, prevChunks, h);
        if (!fs.existsSync(src)) throw new Error(`the previous image names chunk ${h}, missing from ${path.join(previousDir, prevChunks)}`);
        fs.copyFileSync(src, path.join(outDir, chunksDir, h));
        n++;
        bytes += fs.statSync(src).size;
      }
      result.previous = { id: prev.image_id, chunks: n, bytes };
    }
  }
  return result;
}

// node web/site-image.mjs fetch-previous IMAGE_URL PREV_DIR NEW_IMAGE_DIR (tools/site --previous URL)
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, url, prevDir, newDir] = process.argv.slice(2);
  if (cmd !== 'fetch-previous' || !newDir) {
    console.error('usage: node web/site-image.mjs fetch-previous IMAGE_URL PREV_DIR NEW_IMAGE_DIR');
    process.exit(2);
  }
  fetchPreviousChunks(url, prevDir, newDir).then(
    (n) => console.log(`site: fetched ${n} chunks only the published image names`),
    (e) => {
      console.error(`site: could not fetch the previous image's chunks: ${e.message}`);
      process.exit(1);
    },
  );
}
