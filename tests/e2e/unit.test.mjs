// Node unit tests of the IDE's pure code: the SAB ring (also under a two-thread stress
// test), protocol frames, the gcc diagnostics parser and the tar writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importTs } from './lib/ts.mjs';
import { ROOT } from './lib/paths.mjs';

const ring = await importTs('ide/src/engine/ring.ts');
const proto = await importTs('ide/src/engine/protocol.ts');
const diag = await importTs('ide/src/diagnostics.ts');
const tar = await importTs('ide/src/tar.ts');
const { ByteRing, RING_HEADER_BYTES } = ring;

function bytes(n, seed = 1) {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

// ---------------------------------------------------------------------------------------
// ring

test('ring: rejects bad capacities', () => {
  assert.throws(() => ByteRing.create(100), RangeError);
  assert.throws(() => ByteRing.create(8), RangeError);
  assert.throws(() => new ByteRing(new SharedArrayBuffer(RING_HEADER_BYTES + 100)), RangeError);
});

test('ring: write/read, full, empty, wrap-around', () => {
  const r = ByteRing.create(16);
  assert.equal(r.available(), 0);
  assert.equal(r.space(), 16);
  assert.equal(r.write(bytes(20)), 16, 'writes only what fits');
  assert.equal(r.write(bytes(1)), 0, 'full');
  const out = new Uint8Array(10);
  assert.equal(r.read(out), 10);
  assert.deepEqual(out, bytes(20).subarray(0, 10));
  // wrap: 6 left at offset 10, write 10 more (4 at the end, 6 at the start)
  const more = bytes(10, 7);
  assert.equal(r.write(more), 10);
  const all = r.readAvailable();
  assert.equal(all.length, 16);
  assert.deepEqual(all.subarray(0, 6), bytes(20).subarray(10, 16));
  assert.deepEqual(all.subarray(6), more);
  assert.equal(r.read(new Uint8Array(4)), 0, 'empty');
});

test('ring: free-running indices wrap at 2^32', () => {
  const r = ByteRing.create(64);
  const ctl = new Int32Array(r.sab, 0, RING_HEADER_BYTES / 4);
  // head = tail = 2^32 - 40: the next writes cross the 32-bit wrap
  ctl[0] = (2 ** 32 - 40) | 0;
  ctl[16] = (2 ** 32 - 40) | 0;
  let expect = [];
  let got = [];
  for (let i = 0; i < 50; i++) {
    const chunk = bytes(1 + ((i * 7) % 50), i + 1);
    let off = 0;
    while (off < chunk.length) {
      off += r.write(chunk, off);
      got.push(...r.readAvailable(1 + (i % 13)));
    }
    expect.push(...chunk);
  }
  got.push(...r.readAvailable());
  assert.deepEqual(Uint8Array.from(got), Uint8Array.from(expect));
  assert.equal(r.available(), 0);
  assert.ok(ctl[0] > 0 && ctl[0] < 2 ** 20, 'head wrapped past zero');
});

test('ring: close wakes a waiting reader; waits time out', () => {
  const r = ByteRing.create(16);
  const t = Date.now();
  assert.equal(r.waitReadable(30), 'timed-out');
  assert.ok(Date.now() - t >= 25);
  r.write(bytes(16));
  assert.equal(r.waitWritable(1, 20), 'timed-out');
  r.close();
  r.readAvailable();
  assert.equal(r.waitReadable(1000), 'closed');
  assert.equal(r.closed, true);
});

test('ring: async waits resolve when the other side moves', async () => {
  const r = ByteRing.create(16);
  setTimeout(() => r.write(bytes(3)), 20);
  assert.equal(await r.waitReadableAsync(2000), 'ok');
  r.write(bytes(13));
  setTimeout(() => r.readAvailable(), 20);
  assert.equal(await r.waitWritableAsync(8, 2000), 'ok');
  await r.writeAllAsync(bytes(10));
  assert.equal(r.available(), 10);
});

test('ring: stress between two threads (8 MiB through 1 KiB and 64 KiB rings, both directions)', async () => {
  const ringSrc = path.join(ROOT, 'build/test-artifacts/.ts', fs.readdirSync(path.join(ROOT, 'build/test-artifacts/.ts')).find((f) => f.startsWith('ide_src_engine_ring-' + process.pid)));
  for (const cap of [1024, 65536]) {
    const toWorker = ByteRing.create(cap);
    const fromWorker = ByteRing.create(cap);
    const total = 8 * 1024 * 1024;
    // The worker reads with blocking waits, checks the sequence, and echoes every byte
    // xor 0x5a back through the other ring.
    const w = new Worker(
      `
      const { workerData, parentPort } = require('node:worker_threads');
      import(${JSON.stringify('file://' + ringSrc)}).then(({ ByteRing }) => {
        const inR = new ByteRing(workerData.a), outR = new ByteRing(workerData.b);
        let x = 12345, got = 0, bad = -1;
        const buf = new Uint8Array(70000);
        for (;;) {
          const st = inR.waitReadable(10000);
          if (st !== 'ok') break;
          const n = inR.read(buf, 0, 1 + Math.floor(Math.random() * buf.length));
          for (let i = 0; i < n; i++) {
            x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
            if (buf[i] !== (x & 0xff) && bad < 0) bad = got + i;
            buf[i] ^= 0x5a;
          }
          got += n;
          outR.writeAllBlocking(buf.subarray(0, n));
        }
        outR.close();
        parentPort.postMessage({ got, bad });
      });
    `,
      { eval: true, workerData: { a: toWorker.sab, b: fromWorker.sab } },
    );
    const done = new Promise((resolve, reject) => {
      w.on('message', resolve);
      w.on('error', reject);
    });
    // Producer (this thread): random-sized writes; consumer of the echo, interleaved.
    let x = 12345;
    let sent = 0;
    let y = 12345;
    let echoed = 0;
    let echoBad = -1;
    const buf = new Uint8Array(70000);
    const rd = new Uint8Array(70000);
    const drain = () => {
      const n = fromWorker.read(rd);
      for (let i = 0; i < n; i++) {
        y ^= y << 13;
        y ^= y >>> 17;
        y ^= y << 5;
        if ((rd[i] ^ 0x5a) !== (y & 0xff) && echoBad < 0) echoBad = echoed + i;
      }
      echoed += n;
      return n;
    };
    while (sent < total) {
      const n = Math.min(total - sent, 1 + Math.floor(Math.random() * 70000));
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        buf[i] = x & 0xff;
      }
      let off = 0;
      while (off < n) {
        off += toWorker.write(buf, off, n - off);
        if (off < n && drain() === 0) toWorker.waitWritable(1, 5);
      }
      sent += n;
    }
    toWorker.close();
    for (;;) {
      if (drain() > 0) continue;
      const st = fromWorker.waitReadable(10000);
      if (st !== 'ok') break;
    }
    const res = await done;
    await w.terminate();
    assert.equal(res.bad, -1, `worker saw a wrong byte at ${res.bad} (capacity ${cap})`);
    assert.equal(res.got, total, `capacity ${cap}`);
    assert.equal(echoBad, -1, `echo wrong at ${echoBad}`);
    assert.equal(echoed, total);
  }
});

// ---------------------------------------------------------------------------------------
// frames

test('frames: a frame larger than the ring streams through, split anywhere', () => {
  const r = ByteRing.create(64);
  const reader = new proto.FrameReader(r);
  const payload = bytes(10_000, 3);
  const frames = [proto.encodeFrame({ id: 1, op: 'write', path: '/home/student/a.c' }, payload), proto.encodeFrame({ id: 2, op: 'list', path: '/' })];
  const wire = new Uint8Array(frames[0].length + frames[1].length);
  wire.set(frames[0]);
  wire.set(frames[1], frames[0].length);
  const got = [];
  let off = 0;
  let step = 1;
  while (off < wire.length) {
    off += r.write(wire, off, Math.min(step, wire.length - off));
    step = (step * 7 + 3) % 61;
    got.push(...reader.poll());
  }
  got.push(...reader.poll());
  assert.equal(got.length, 2);
  assert.deepEqual(got[0].header, { id: 1, op: 'write', path: '/home/student/a.c' });
  assert.deepEqual(got[0].payload, payload);
  assert.deepEqual(got[1].header, { id: 2, op: 'list', path: '/' });
  assert.equal(got[1].payload.length, 0);
});

test('protocol: path helpers', () => {
  assert.equal(proto.joinPath('/home/student', 'a/b/../c.c'), '/home/student/a/c.c');
  assert.equal(proto.joinPath('/home/student', '/etc/passwd'), '/etc/passwd');
  assert.equal(proto.joinPath('/', '../..'), '/');
  assert.equal(proto.dirname('/home/student/a.c'), '/home/student');
  assert.equal(proto.dirname('/a'), '/');
  assert.equal(proto.basename('/home/student/a.c'), 'a.c');
});

// ---------------------------------------------------------------------------------------
// diagnostics

test('diagnostics: gcc lines, with and without colour, column, option', () => {
  const d = diag.parseDiagnosticLine("hello.c:5:9: error: 'x' undeclared (first use in this function)");
  assert.deepEqual(d, { file: 'hello.c', line: 5, column: 9, severity: 'error', message: "'x' undeclared (first use in this function)", option: undefined });
  const colour =
    '\x1b[01m\x1b[Ksum.c:12:7:\x1b[m\x1b[K \x1b[01;35m\x1b[Kwarning: \x1b[m\x1b[Kunused variable \x1b[01m\x1b[K\u2018y\u2019\x1b[m\x1b[K [\x1b[01;35m\x1b[K\x1b]8;;https://gcc.gnu.org/onlinedocs/gcc/Warning-Options.html#index-Wunused-variable\x07-Wunused-variable\x1b]8;;\x07\x1b[m\x1b[K]\r';
  assert.deepEqual(diag.parseDiagnosticLine(colour), { file: 'sum.c', line: 12, column: 7, severity: 'warning', message: 'unused variable \u2018y\u2019', option: '-Wunused-variable' });
  assert.equal(diag.parseDiagnosticLine('x.c:1:10: fatal error: nothere.h: No such file or directory').severity, 'error');
  assert.equal(diag.parseDiagnosticLine('/home/student/p/m.c:3:1: note: declared here').severity, 'note');
  const nocol = diag.parseDiagnosticLine('Makefile.c:7: warning: something old-style');
  assert.equal(nocol.column, 1);
  assert.equal(nocol.line, 7);
  for (const not of [
    "hello.c: In function 'main':",
    'make: *** [Makefile:3: all] Error 1',
    "/usr/bin/ld: /tmp/ccA.o: in function `main':",
    "hello.c:(.text+0x1a): undefined reference to `foo'",
    '    5 |     return x;',
    '  File "hello.py", line 3',
    'collect2: error: ld returned 1 exit status',
  ]) {
    assert.equal(diag.parseDiagnosticLine(not), undefined, not);
  }
});

test('diagnostics: collector buffers split lines, a build command clears the last build', () => {
  const c = new diag.DiagnosticsCollector();
  let calls = 0;
  c.onChange = () => calls++;
  c.commandStarted('student@glassbox:~$ gcc -Wall hello.c -o hello');
  const out = new TextEncoder().encode("hello.c: In function 'main':\r\nhello.c:4:5: warning: implicit declaration of function 'prinf' [-Wimplicit-function-declaration]\r\nhello.c:6:1: error: expected ';' before '}' token\r\n");
  // split across chunk boundaries, including inside a UTF-8 sequence
  for (let i = 0; i < out.length; i += 17) c.feedBytes(out.subarray(i, i + 17));
  assert.equal(c.diagnostics.length, 2);
  assert.equal(c.diagnostics[0].option, '-Wimplicit-function-declaration');
  assert.equal(c.diagnostics[1].line, 6);
  c.commandStarted('student@glassbox:~$ ls');
  assert.equal(c.diagnostics.length, 2, 'ls does not clear');
  c.commandStarted('student@glassbox:~/p$ make');
  assert.equal(c.diagnostics.length, 0, 'a new build clears');
  assert.ok(calls >= 2);
});

test('regression: markers stayed after a fixed build when Enter beat the echo (typed keys count)', () => {
  const t = new diag.TypedLine();
  assert.deepEqual(t.feed('sed -i s/a/b/ x.c && gc'), []);
  assert.deepEqual(t.feed('x\x7fc -c x.c'), []);
  const [line] = t.feed('\r');
  assert.equal(line, 'sed -i s/a/b/ x.c && gcc -c x.c');
  assert.deepEqual(t.feed('ls\x1b[Aq\x15make\r'), ['make'], 'arrows dropped, ^U clears');
  assert.deepEqual(t.feed('a\rb\r'), ['a', 'b']);
  // the terminal row holds only the prompt and part of the echo; the typed keys carry the build
  const c = new diag.DiagnosticsCollector();
  c.diagnostics = [{ file: 'x.c', line: 1, column: 1, severity: 'error', message: 'm' }];
  c.commandStarted('student@glassbox:~$ sed -i s/a/b/ x.c &&\n' + line);
  assert.equal(c.diagnostics.length, 0);
});

test('diagnostics: relative names match open files by suffix', () => {
  assert.ok(diag.diagnosticMatchesPath('hello.c', '/home/student/hello.c'));
  assert.ok(diag.diagnosticMatchesPath('src/a.c', '/home/student/proj/src/a.c'));
  assert.ok(diag.diagnosticMatchesPath('./a.c', '/home/student/a.c'));
  assert.ok(diag.diagnosticMatchesPath('/home/student/a.c', '/home/student/a.c'));
  assert.ok(diag.diagnosticMatchesPath('~/x/a.c', '/home/student/x/a.c'));
  assert.ok(!diag.diagnosticMatchesPath('a.c', '/home/student/ba.c'));
  assert.ok(!diag.diagnosticMatchesPath('/tmp/a.c', '/home/student/a.c'));
});

// ---------------------------------------------------------------------------------------
// tar

test('tar: GNU tar extracts what the writer wrote (long and non-ASCII names too)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-tar-'));
  try {
    const long1 = 'student/' + 'deep/'.repeat(25) + 'file.c'; // > 100 bytes: ustar prefix
    const long2 = 'student/' + 'x'.repeat(120) + '/' + 'y'.repeat(110) + '.txt'; // name part > 100: pax
    const entries = [
      { path: 'student', type: 'dir', mode: 0o755, mtime: 1747699200 },
      { path: 'student/hello.c', type: 'file', mode: 0o644, mtime: 1747699200, data: new TextEncoder().encode('int main(void){return 0;}\n') },
      { path: 'student/run.sh', type: 'file', mode: 0o755, mtime: 1747699200, data: new TextEncoder().encode('#!/bin/sh\necho hi\n') },
      { path: 'student/empty', type: 'file', mode: 0o600, mtime: 1747699200, data: new Uint8Array(0) },
      { path: 'student/big.bin', type: 'file', data: bytes(513 * 3 + 7, 9) },
      { path: 'student/caf\u00e9/na\u00efve.txt', type: 'file', data: new TextEncoder().encode('unicode\n') },
      { path: long1, type: 'file', data: new TextEncoder().encode('long1\n') },
      { path: long2, type: 'file', data: new TextEncoder().encode('long2\n') },
    ];
    const archive = tar.writeTar(entries);
    assert.equal(archive.length % 512, 0);
    fs.writeFileSync(path.join(dir, 'w.tar'), archive);
    execFileSync('tar', ['-xf', 'w.tar'], { cwd: dir });
    assert.equal(fs.readFileSync(path.join(dir, 'student/hello.c'), 'utf8'), 'int main(void){return 0;}\n');
    assert.equal(fs.statSync(path.join(dir, 'student/run.sh')).mode & 0o777, 0o755);
    assert.equal(fs.statSync(path.join(dir, 'student/empty')).size, 0);
    assert.equal(fs.statSync(path.join(dir, 'student/hello.c')).mtimeMs, 1747699200000);
    assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'student/big.bin'))), bytes(513 * 3 + 7, 9));
    assert.equal(fs.readFileSync(path.join(dir, 'student/caf\u00e9/na\u00efve.txt'), 'utf8'), 'unicode\n');
    assert.equal(fs.readFileSync(path.join(dir, long1), 'utf8'), 'long1\n');
    assert.equal(fs.readFileSync(path.join(dir, long2), 'utf8'), 'long2\n');
    // and GNU tar's own verdict on the headers (checksums, format)
    const listing = execFileSync('tar', ['-tvf', 'w.tar'], { cwd: dir, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    assert.match(listing, /-rwxr-xr-x student\/student\s+18 2025-05-20 00:00 student\/run\.sh/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
