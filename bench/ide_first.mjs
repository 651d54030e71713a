// bench/ide_first.mjs — a fresh machine's first commands in headless Chromium: the warm-up
// (docs/ide.md, "Chunks") on and waited for, on but the command typed at the prompt, and off.
//
// Every sample is a new browser profile (empty HTTP and service-worker caches: a student's
// first visit) opening the site's bench page (web/examples/bench.html, ?warm=on|off), one
// machine (the JIT off unless --jit on), then `gcc hello.c -o hello && ./hello`,
// `python3 -c pass` and the gcc again, each timed by the machine (RunResult.ms), with the
// disk chunks each fetched on demand (the API's `disk` event). Medians over --runs samples
// of each mode, the modes interleaved.
//
//   node bench/ide_first.mjs [--runs N] [--jit on|off] [--latency MS]   (after node web/build.mjs)
import path from 'node:path';
import { launch, ROOT } from '../tests/e2e/lib/browser.mjs';
import { startServer } from '../tests/e2e/lib/server.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const runs = +arg('--runs', 3);
// --latency MS: every request of the page and its workers takes MS longer (Chromium's network
// emulation through the DevTools protocol), as from a site across the internet
const latency = +arg('--latency', 0);
const jit = arg('--jit', 'off');
const GCC = ['/bin/sh', '-c', 'cd /tmp && gcc /home/student/examples/hello.c -o hello && ./hello'];
const ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'PYTHONDONTWRITEBYTECODE=1'];
const COMMANDS = [['gcc hello (first)', GCC], ['python3 -c pass', ['/usr/bin/python3', '-c', 'pass']], ['gcc hello (again)', GCC]];
const MODES = [
  ['warm-up waited for', 'on', true],
  ['warm-up, typed at once', 'on', false],
  ['no warm-up', 'off', false],
];
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function sample(url, warm, wait) {
  const ctx = await launch();
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    if (latency) {
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency, downloadThroughput: -1, uploadThroughput: -1 });
    }
    await page.goto(new URL(`examples/bench.html?warm=${warm}`, url).href, { waitUntil: 'load' });
    await page.waitForFunction(() => window.glassboxBench !== undefined, null, { timeout: 60_000 });
    const boot = await page.evaluate((j) => window.glassboxBench.boot(j), jit);
    const disk = async () => (await page.evaluate((j) => window.glassboxBench.disk(j), jit)) ?? { chunksFetched: 0 };
    let warmMs = 0;
    if (wait) {
      const t0 = Date.now();
      await page.waitForFunction((j) => window.glassboxBench.disk(j)?.warmDone, jit, { timeout: 120_000 });
      warmMs = Date.now() - t0;
    }
    const out = { boot, warmMs, ms: [], onDemand: [] };
    for (const [, argv] of COMMANDS) {
      const before = (await disk()).chunksFetched;
      const r = await page.evaluate(([j, a, e]) => window.glassboxBench.run(j, a, { env: e, cwd: '/tmp', uid: 0 }), [jit, argv, ENV]);
      if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
      await page.waitForTimeout(250); // (the 'disk' event comes at most every 100 ms)
      out.ms.push(r.ms);
      out.onDemand.push((await disk()).chunksFetched - before);
    }
    return out;
  } finally {
    await ctx.close();
  }
}

const server = await startServer(path.join(ROOT, 'build/site'));
try {
  const got = MODES.map(() => []);
  for (let k = 0; k < runs; k++) {
    for (let m = 0; m < MODES.length; m++) {
      const s = await sample(server.url, MODES[m][1], MODES[m][2]);
      got[m].push(s);
      process.stderr.write(`ide_first: ${MODES[m][0]}, sample ${k + 1}: ${s.ms.map((x) => x.toFixed(0)).join(' / ')} ms, on demand ${s.onDemand.join(' / ')}\n`);
    }
  }
  console.log(`\nheadless Chromium, a fresh profile per sample, JIT ${jit}${latency ? `, ${latency} ms added to every request` : ''}: medians of ${runs} (ms; chunks fetched on demand)\n`);
  console.log(`${'mode'.padEnd(26)}${'boot'.padStart(7)}${'warm-up'.padStart(9)}` + COMMANDS.map(([n]) => n.padStart(22)).join(''));
  for (let m = 0; m < MODES.length; m++) {
    const g = got[m];
    const cells = COMMANDS.map((_, c) => `${median(g.map((s) => s.ms[c])).toFixed(0)} (${median(g.map((s) => s.onDemand[c]))})`.padStart(22));
    console.log(`${MODES[m][0].padEnd(26)}${median(g.map((s) => s.boot)).toFixed(0).padStart(7)}${median(g.map((s) => s.warmMs)).toFixed(0).padStart(9)}${cells.join('')}`);
  }
} finally {
  server.proc.kill();
}
