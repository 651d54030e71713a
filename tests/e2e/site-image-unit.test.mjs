// Node tests of the site's image folder (web/site-image.mjs): the warm-up list (warm.json), the chunks the manifest
// names, and with a previous site's image the old chunks the new image does not name
// (students download their files from the old image after an update: docs/storage.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { fetchPreviousChunks, readWarmPaths, warmList, writeSiteImage } from '../../web/site-image.mjs';

// an image folder with the given chunk contents (null: a hole)
function image(dir, id, contents) {
  fs.mkdirSync(path.join(dir, 'chunks'), { recursive: true });
  const chunks = contents.map((c) => {
    if (c === null) return null;
    const hash = createHash('sha256').update(c).digest('hex');
    fs.writeFileSync(path.join(dir, 'chunks', hash), c);
    return { hash, length: c.length };
  });
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ format: 'glassbox-image', version: 1, image_id: id, chunk_size: 4, chunks_dir: 'chunks', chunks }));
  fs.writeFileSync(path.join(dir, 'layout.json'), '{}');
  return chunks;
}

test('site image: the chunks it names, and the previous image\'s chunks it does not', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-site-image-'));
  try {
    const a = image(path.join(tmp, 'a'), 'sha256:a', ['AAAA', 'BBBB', null, 'CCCC', 'AAAA']);
    const b = image(path.join(tmp, 'b'), 'sha256:b', ['AAAA', 'BBBX', null, 'CCCC', 'DDDD']);
    // the first site: image a
    const r1 = writeSiteImage(path.join(tmp, 'a'), path.join(tmp, 's1'));
    assert.deepEqual({ id: r1.id, chunks: r1.chunks, previous: r1.previous }, { id: 'sha256:a', chunks: 3, previous: undefined });
    assert.ok(fs.existsSync(path.join(tmp, 's1', 'layout.json')));
    // the update: image b, previous = the first site's image/
    const r2 = writeSiteImage(path.join(tmp, 'b'), path.join(tmp, 's2'), { previousDir: path.join(tmp, 's1') });
    assert.equal(r2.chunks, 4);
    assert.deepEqual(r2.previous, { id: 'sha256:a', chunks: 1, bytes: 4 }, 'only BBBB is the old image\'s alone');
    const served = new Set(fs.readdirSync(path.join(tmp, 's2', 'chunks')));
    for (const c of [...a, ...b].filter(Boolean)) assert.ok(served.has(c.hash), `chunk ${c.hash.slice(0, 8)} served`);
    assert.equal(served.size, 5);
    assert.equal(JSON.parse(fs.readFileSync(path.join(tmp, 's2', 'manifest.json'), 'utf8')).image_id, 'sha256:b');
    // the same image again: nothing extra
    const r3 = writeSiteImage(path.join(tmp, 'b'), path.join(tmp, 's3'), { previousDir: path.join(tmp, 's2') });
    assert.equal(r3.previous, undefined);
    // a previous site missing a chunk it names: a clear error
    fs.rmSync(path.join(tmp, 's1', 'chunks', a[1].hash));
    assert.throws(() => writeSiteImage(path.join(tmp, 'b'), path.join(tmp, 's4'), { previousDir: path.join(tmp, 's1') }), /names chunk [0-9a-f]{64}, missing from/);
    // not a manifest: a clear error
    fs.writeFileSync(path.join(tmp, 's1', 'manifest.json'), '{"format":"other"}');
    assert.throws(() => writeSiteImage(path.join(tmp, 'b'), path.join(tmp, 's5'), { previousDir: path.join(tmp, 's1') }), /not a glassbox image manifest/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('site image: warm.json lists the chunks of the warm paths\' data, in their order, each once, no holes', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-site-warm-'));
  try {
    // 4-byte chunks of 2-byte blocks: chunk c holds blocks 2c and 2c+1
    const dir = path.join(tmp, 'img');
    image(dir, 'sha256:w', ['AAAA', 'BBBB', null, 'CCCC', 'DDDD', 'EEEE']);
    const layout = {
      geometry: { block_size: 2 },
      files: {
        '/usr/bin/cc': [12, [[7, 2], [2, 1]]], // blocks 7-8 (chunks 3, 4), block 2 (chunk 1)
        '/lib/libc.so': [13, [[8, 1], [4, 2]]], // chunk 4 again; blocks 4-5: chunk 2, a hole
        '/etc/empty': [14, []],
        '/opt/big': [15, [[0, 12]]], // the whole image
      },
    };
    fs.writeFileSync(path.join(dir, 'layout.json'), JSON.stringify(layout));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const w = warmList(manifest, layout, ['/usr/bin/cc', '/lib/libc.so', '/etc/empty', '/not/there']);
    assert.deepEqual(w.chunks, [3, 4, 1]);
    assert.deepEqual(w.missing, ['/not/there']);
    assert.equal(w.files, 3);
    assert.equal(w.bytes, 12);
    assert.equal(w.image_id, 'sha256:w');
    assert.deepEqual(warmList(manifest, layout, ['/opt/big']).chunks, [0, 1, 3, 4, 5]);
    // the paths file: comments and blank lines are not paths
    fs.writeFileSync(path.join(tmp, 'warm.txt'), '# recorded\n/usr/bin/cc\n\n  /lib/libc.so  \n');
    assert.deepEqual(readWarmPaths(path.join(tmp, 'warm.txt')), ['/usr/bin/cc', '/lib/libc.so']);
    // written next to the manifest; a build without paths leaves none behind
    const r = writeSiteImage(dir, path.join(tmp, 'site'), { warmPaths: ['/usr/bin/cc'] });
    assert.deepEqual(r.warm, { chunks: 3, bytes: 12, missing: 0 });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(tmp, 'site', 'warm.json'), 'utf8')).chunks, [3, 4, 1]);
    assert.equal(writeSiteImage(dir, path.join(tmp, 'site')).warm, null);
    assert.equal(fs.existsSync(path.join(tmp, 'site', 'warm.json')), false);
    // a layout map without geometry: a clear error
    assert.throws(() => warmList(manifest, { files: {} }, ['/usr/bin/cc']), /no geometry.block_size/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('site image: a published site\'s chunks the new image does not name are fetched over HTTP, each checked', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-site-image-'));
  // the published site: a real HTTP server over its image/ folder; it counts the requests
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url);
    const f = path.join(tmp, 'pub', req.url.replace(/^\/image\//, ''));
    if (!req.url.startsWith('/image/') || !fs.existsSync(f)) return res.writeHead(404).end();
    res.writeHead(200).end(fs.readFileSync(f));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/image`;
  try {
    image(path.join(tmp, 'pub'), 'sha256:a', ['AAAA', 'BBBB', 'CCCC']);
    image(path.join(tmp, 'new'), 'sha256:b', ['AAAA', 'BBBX', 'CCCC']);
    // tools/site has fetched the manifest; the chunks come from here
    fs.mkdirSync(path.join(tmp, 'prev'));
    fs.copyFileSync(path.join(tmp, 'pub', 'manifest.json'), path.join(tmp, 'prev', 'manifest.json'));
    assert.equal(await fetchPreviousChunks(url, path.join(tmp, 'prev'), path.join(tmp, 'new')), 1);
    const bbbb = createHash('sha256').update('BBBB').digest('hex');
    assert.deepEqual(seen, [`/image/chunks/${bbbb}`], 'only the chunk the new image lacks');
    // and then it is a previous image like a folder: the new site serves it
    const r = writeSiteImage(path.join(tmp, 'new'), path.join(tmp, 'site'), { previousDir: path.join(tmp, 'prev') });
    assert.deepEqual(r.previous, { id: 'sha256:a', chunks: 1, bytes: 4 });
    // a chunk whose bytes do not match its name, and a missing one: clear errors
    fs.writeFileSync(path.join(tmp, 'pub', 'chunks', bbbb), 'XXXX');
    await assert.rejects(fetchPreviousChunks(url, path.join(tmp, 'prev'), path.join(tmp, 'new')), /does not match its name/);
    fs.rmSync(path.join(tmp, 'pub', 'chunks', bbbb));
    await assert.rejects(fetchPreviousChunks(url, path.join(tmp, 'prev'), path.join(tmp, 'new')), /HTTP 404/);
  } finally {
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
