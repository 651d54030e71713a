// The JavaScript API (web/lib/, docs/api.md) in headless Chromium, through its example page
// (web/examples/api.html): the page's own machine runs a command with its output streamed
// and writes and reads a file (its buttons); a second machine made in the page measures
// create -> first output, runs with stdin, env, cwd, uid and exit codes, sees none of the
// first's files, drives a terminal of its own, sends events; destroy ends it and the
// first machine keeps working. One page, two machines (the CI budget is tight).
//
// Figures to build/test-artifacts/api-figures.json. Skipped without engine or image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, BASE_URL, launch, screenshot, watchConsole } from './lib/browser.mjs';
import { ROOT, siteSkipReason } from './lib/paths.mjs';

const skip = siteSkipReason(path.join(ROOT, 'build/site'));
let ctx;
before(async () => {
  if (!skip) ctx = await launch();
});
after(async () => {
  await ctx?.close();
});

test('the API example page: run, files, two isolated machines, terminal, events, destroy', { skip, timeout: 600_000 }, async () => {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const { lines, waitFor } = watchConsole(page, 120_000);
  await page.goto(new URL('examples/api.html', BASE_URL).href, { waitUntil: 'load' });
  await waitFor(() => !document.getElementById('run').disabled, null, 240_000);

  // the page's machine: Run (output streamed into #out), then the file button
  await page.fill('#cmd', "echo start; python3 -c 'print(6*7)'; echo oops >&2; exit 3");
  await page.click('#run');
  await waitFor(() => document.getElementById('out').textContent.includes('[exit status'));
  const out = await page.textContent('#out');
  assert.match(out, /start\n42\n/);
  assert.match(out, /oops/);
  assert.match(out, /\[exit status 3\]/);
  await page.click('#file');
  await waitFor(() => document.getElementById('out').textContent.includes('from-the-page.txt'));
  assert.match(await page.textContent('#out'), /^written at \d{4}-/);
  // its console (xterm.js in #term) got the login shell's prompt
  await waitFor(() => document.querySelector('#term .xterm-rows')?.textContent.includes('$'));

  const r = await page.evaluate(async () => {
    const { Glassbox, vm: a } = window;
    const t0 = performance.now();
    // b runs with the JIT on (the bench page's second machine does too)
    const b = await Glassbox.create({ storage: 'memory', jit: 'on' });
    const booted = performance.now() - t0;
    let first = 0;
    let streamed = '';
    const procs = [];
    const seen = { busy: 0, idle: 0, disk: 0, trace: 0 };
    const offTrace = b.on('trace', () => seen.trace++);
    b.on('process', (e) => procs.push(e));
    b.on('busy', () => seen.busy++);
    b.on('idle', () => seen.idle++);
    b.on('disk', () => seen.disk++);
    const st = await b.run(['/bin/echo', 'hello from b'], {
      onOutput: (t) => {
        if (!first) first = performance.now() - t0;
        streamed += t;
      },
    });
    const res = {
      booted, first, streamed, st,
      idRoot: await b.runDetailed(['/usr/bin/id', '-u'], { uid: 0 }),
      idUser: await b.runDetailed(['id', '-u']), // looked up in PATH
      stdin: await b.runDetailed(['/bin/cat'], { stdin: 'typed in\n' }),
      env: await b.runDetailed(['/bin/sh', '-c', 'echo "$GREETING from $(pwd)"'], { env: ['GREETING=hi', 'PATH=/usr/bin:/bin'], cwd: '/tmp' }),
      killed: await b.run(['/bin/sh', '-c', 'kill -SEGV $$']),
      missing: await b.run(['/no/such/program']).then((s) => `resolved ${s}`, (e) => e.message),
      hotLoop: await b.runDetailed(['/bin/sh', '-c', 'i=0; s=0; while [ $i -lt 4000 ]; do i=$((i+1)); s=$((s+i*i)); done; echo $s']),
      badJit: await Glassbox.create({ jit: 'fast' }).then(() => 'resolved', (e) => `${e.name}: ${e.message}`),
    };
    // files: each machine its own disk
    await b.fs.writeFile('/tmp/only-in-b', 'b\n');
    res.bSeesA = await b.fs.readFile('/home/student/from-the-page.txt').then(() => 'yes', (e) => e.code);
    res.aSeesB = await a.run(['/usr/bin/test', '-e', '/tmp/only-in-b']);
    res.bRead = await b.fs.readFile('/tmp/only-in-b', 'utf8');
    res.bStat = await b.fs.stat('/tmp/only-in-b');
    res.bList = (await b.fs.readdir('/tmp')).map((e) => e.name);
    await b.fs.rm('/tmp/only-in-b');
    res.afterRm = await b.fs.stat('/tmp/only-in-b').then(() => 'still there', (e) => e.code);
    // a terminal of one's own on the console
    let screen = '';
    const dec = new TextDecoder();
    let typed = null;
    const t = await b.attachTerminal({ write: (bytes) => (screen += dec.decode(bytes)), onData: (l) => (typed = l), rows: 30, cols: 100 });
    t.input('echo $((6*7))-$(tput cols 2>/dev/null || stty size)\r');
    const deadline = performance.now() + 60_000;
    while (!/42-/.test(screen) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    res.terminal = screen;
    res.typedHooked = typeof typed === 'function';
    await new Promise((r) => setTimeout(r, 300)); // the trace poll runs every 50 ms
    offTrace();
    res.procs = procs;
    res.seen = seen;
    b.destroy();
    res.afterDestroy = await b.run(['/bin/true']).then(() => 'ran', (e) => e.code || e.message);
    res.destroyed = b.destroyed;
    res.aStill = await a.runDetailed(['/bin/echo', 'a is alive']);
    return res;
  });

  assert.equal(r.st, 0);
  assert.equal(r.streamed, 'hello from b\n');
  assert.ok(r.first > 0 && r.first >= r.booted);
  assert.equal(r.idRoot.stdout, '0\n');
  assert.notEqual(r.idUser.stdout, '0\n');
  assert.equal(r.stdin.stdout, 'typed in\n');
  assert.equal(r.env.stdout, 'hi from /tmp\n');
  assert.equal(r.killed, 128 + 11);
  assert.match(r.missing, /no\/such\/program|ENOENT/);
  assert.equal(r.bSeesA, 'ENOENT', 'the second machine does not see the first one\'s file');
  assert.equal(r.aSeesB, 1, 'the first machine does not see the second one\'s file');
  assert.equal(r.bRead, 'b\n');
  assert.equal(r.bStat.type, 'file');
  assert.equal(r.bStat.size, 2);
  assert.ok(r.bList.includes('only-in-b'));
  assert.equal(r.afterRm, 'ENOENT');
  assert.equal(r.hotLoop.stdout, '21341334000\n', 'a hot shell loop in the machine with the JIT on');
  assert.equal(r.badJit, "TypeError: jit: 'off' or 'on', not \"fast\"");
  assert.match(r.terminal, /42-(100|30 100)/, 'the console answered in the attached terminal at its size');
  assert.ok(r.procs.some((e) => e.type === 'start' && e.argv[0]?.endsWith('echo') && e.argv[1] === 'hello from b') || r.procs.some((e) => e.type === 'start' && e.argv.includes('-u')), JSON.stringify(r.procs.slice(0, 5)));
  assert.ok(r.procs.some((e) => e.type === 'exit' && e.status === 0));
  assert.ok(r.seen.busy > 0 && r.seen.idle > 0 && r.seen.trace > 0, JSON.stringify(r.seen));
  assert.equal(r.afterDestroy, 'ENOENGINE');
  assert.equal(r.destroyed, true);
  assert.equal(r.aStill.stdout, 'a is alive\n');

  await page.click('#destroy');
  assert.equal(await page.textContent('#state'), 'destroyed');
  await screenshot(page, 'api-example');
  const figures = { createMs: Math.round(r.booted), createToFirstOutputMs: Math.round(r.first), diskEvents: r.seen.disk };
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'api-figures.json'), JSON.stringify(figures, null, 1) + '\n');
  console.log(`# api: create ${figures.createMs} ms, create -> first output ${figures.createToFirstOutputMs} ms`);
  assert.deepEqual(lines.filter((l) => l.startsWith('pageerror') || l.startsWith('error')), []);
});
