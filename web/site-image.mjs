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
import fs from 'node:fs';
import path from 'node:path';

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

/**
 * Writes `outDir` (the site's image/) from the image built in `imageDir`; with `previousDir`
 * (the image/ folder of the site published before), adds that image's chunks the new one
 * does not name. Returns { id, chunks, bytes, linked, previous?: { id, chunks, bytes } }.
 */
export function writeSiteImage(imageDir, outDir, { previousDir } = {}) {
  const manifest = readManifest(imageDir);
  const chunksDir = manifest.chunks_dir || 'chunks';
  const hashes = hashesOf(manifest);
  fs.mkdirSync(path.join(outDir, chunksDir), { recursive: true });
  fs.copyFileSync(path.join(imageDir, 'manifest.json'), path.join(outDir, 'manifest.json'));
  // the layout map: a later build passes it back (mkimage --previous) to keep chunks stable
  if (fs.existsSync(path.join(imageDir, 'layout.json'))) fs.copyFileSync(path.join(imageDir, 'layout.json'), path.join(outDir, 'layout.json'));
  let linked = 0;
  for (const h of hashes) if (place(path.join(imageDir, chunksDir, h), path.join(outDir, chunksDir, h))) linked++;
  const result = { id: manifest.image_id, chunks: hashes.length, bytes: manifest.stats?.stored_bytes, linked };
  if (previousDir && fs.existsSync(path.join(previousDir, 'manifest.json'))) {
    const prev = readManifest(previousDir);
    if (prev.image_id !== manifest.image_id) {
      const have = new Set(hashes);
      const prevChunks = prev.chunks_dir || 'chunks';
      let n = 0;
      let bytes = 0;
      for (const h of hashesOf(prev)) {
        if (have.has(h)) continue;
        const src = path.join(previousDir, prevChunks, h);
        if (!fs.existsSync(src)) throw new Error(`the previous image names chunk ${h}, missing from ${path.join(previousDir, prevChunks)}`);
        fs.copyFileSync(src, path.join(outDir, chunksDir, h));
        have.add(h);
        n++;
        bytes += fs.statSync(src).size;
      }
      result.previous = { id: prev.image_id, chunks: n, bytes };
    }
  }
  return result;
}
