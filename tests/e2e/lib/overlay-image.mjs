// The browser's disk, checked natively: the base image reassembled from the manifest and
// its chunks (what the engine reads), the overlay blocks read back from IndexedDB written
// over it, then e2fsck -fn and debugfs on the result.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** The raw image of `manifestPath` (cached in `dir` by image id; sparse). */
export function baseImage(manifestPath, dir) {
  const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const out = path.join(dir, `base-${m.image_id.replace(/^sha256:/, '').slice(0, 16)}.img`);
  if (fs.existsSync(out)) return { file: out, manifest: m };
  fs.mkdirSync(dir, { recursive: true });
  const chunksDir = path.join(path.dirname(manifestPath), m.chunks_dir);
  const tmp = `${out}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    m.chunks.forEach((c, i) => {
      if (!c) return; // a zero chunk: leave a hole
      const stored = fs.readFileSync(path.join(chunksDir, c.hash));
      const data = c.gz ? zlib.gunzipSync(stored) : stored;
      fs.writeSync(fd, data, 0, data.length, i * m.chunk_size);
    });
    fs.ftruncateSync(fd, m.image_size);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, out);
  return { file: out, manifest: m };
}

/** base + overlay blocks ([[blockNumber, Buffer]]) -> a new image file. */
export function withOverlay(base, blocks, blockSize, out) {
  execFileSync('cp', ['--sparse=always', base, out]);
  const fd = fs.openSync(out, 'r+');
  try {
    for (const [n, data] of blocks) fs.writeSync(fd, data, 0, data.length, n * blockSize);
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

const sbin = (name) => (fs.existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : fs.existsSync(`/sbin/${name}`) ? `/sbin/${name}` : name);

/** e2fsck -fn: { code, output } (0 = clean). */
export function fsck(img) {
  const r = spawnSync(sbin('e2fsck'), ['-fn', img], { encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A file's bytes in the image (null if it does not exist). */
export function readFile(img, guestPath) {
  const r = spawnSync(sbin('debugfs'), ['-R', `cat ${guestPath}`, img], { maxBuffer: 64 << 20 });
  if (r.status !== 0 || /File not found/.test(r.stderr.toString())) return null;
  return r.stdout;
}
