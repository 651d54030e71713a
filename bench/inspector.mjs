#!/usr/bin/env node
// bench/inspector.mjs — what the inspector costs (issue 12: "<= 15% and >= 30 frames/s"),
// a benchmark, not a test: it asserts nothing and prints a table.
//
//   node bench/inspector.mjs [--runs 5] [--url URL] [--no-build] [--no-python]
//                            [--panel processes|syscalls|files] [--cpu]
//
// Headless Chromium (Debian's, through playwright-core, as tests/e2e) on the built site
// (node web/build.mjs, then web/server.mjs on a free port, unless --url), two pages:
//   closed   a page whose inspector was never opened (no records produced);
//   tracing  a page with the inspector open but its canvas hidden (records produced and
//            moved into the module, nothing drawn);
//   drawing  the same page with the canvas shown (the panels draw as records arrive).
// Workloads, typed in each page's terminal: `gcc hello.c -o hello && ./hello` and a
// python3 loop (loop.py). Each is run once per page to warm (disk chunks, caches), then
// --runs rounds of one run per column, the columns' order rotating each round (a shared
// machine's load drifts over every column alike). Prints medians, the ratios to closed,
// and, for the drawing column, frames per second while the workload ran, ms per frame
// in gbi_frame and the share of the canvas a frame repainted (a frame redraws only what
// it changes: inspector/model/frame_damage.h), with the panel --panel names shown (default
// Processes); with --cpu, where the CPU went during each column's runs (Chromium's
// threads from /proc: the engine's worker, the page's main thread, the GPU process's
// raster threads (SwiftShader), its compositor, the rest); the load average before and after (os.loadavg). Every run is saved in
// build/bench/inspector.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { launch, openIde } from '../tests/e2e/lib/browser.mjs';
import { ROOT } from '../tests/e2e/lib/paths.mjs';
import { PROMPT, run, waitTerm } from '../tests/e2e/lib/terminal.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('--runs', 5));
const GREETING = 'hello from the inspector bench';
const PY_N = Number(opt('--py-n', 100000));

// ---- the site and its server ----
let server = null;
async function startServer() {
  if (!args.includes('--no-build')) execFileSync('node', ['web/build.mjs', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
  server = spawn('node', ['web/server.mjs', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the dev server did not start: ${out}`)), 20_000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = /Glassbox IDE: (http\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    server.on('exit', (c) => reject(new Error(`the dev server exited (${c}): ${out}`)));
  });
}

// CPU ms of every Chromium thread (Linux /proc), by what it does.
function cpuByRole() {
  const out = { worker: 0, main: 0, raster: 0, compositor: 0, other: 0 };
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('chromium')) continue;
    const type = (/--type=([a-z-]+)/.exec(cmd) || [null, 'browser'])[1];
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let st;
      try {
        st = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(f[11]) + Number(f[12])) * 10; // utime + stime, 100 ticks a second
      const role =
        type === 'renderer' && /DedicatedWorker/.test(name) ? 'worker'
        : type === 'renderer' && tid === pid ? 'main'
        : type === 'gpu-process' && /^Thread</.test(name) ? 'raster'
        : /VizCompositor|^Compositor/.test(name) ? 'compositor'
        : 'other';
      out[role] += ms;
    }
  }
  return out;
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const url = opt('--url', null) ?? (await startServer());
  const load0 = os.loadavg();
  const ctxA = await launch({ viewport: { width: 1600, height: 900 } });
  const ctxB = await launch({ viewport: { width: 1600, height: 900 } });
  try {
    const closed = await openIde(ctxA, url, { waitFor: 'page' });
    const open = await openIde(ctxB, url, { waitFor: 'page' });
    for (const p of [closed, open]) await waitTerm(p, PROMPT, 180_000);
    await open.evaluate(() => window.glassbox.inspector.open());
    const panel = opt('--panel', 'processes');
    await open.evaluate((p) => window.glassbox.inspector.selectTab(p), panel);
    const canvas = (p, shown) =>
      p.evaluate((s) => (document.getElementById('gb-inspector-canvas').style.display = s ? '' : 'none'), shown);

    const workloads = [
      {
        name: 'gcc hello',
        setup: `printf '#include <stdio.h>\\nint main(void) { puts("${GREETING}"); return 0; }\\n' > hello.c`,
        cmd: 'rm -f hello; gcc hello.c -o hello && ./hello',
        done: new RegExp(`\\n${GREETING}\\n[^]*\\$ ?$`),
      },
      {
        name: `python loop (${PY_N})`,
        setup: `printf 's = 0\\nfor i in range(${PY_N}):\\n    s += i * i\\nprint("py", s)\\n' > loop.py`,
        cmd: 'python3 loop.py',
        done: /\npy \d+\n[^]*\$ ?$/,
      },
    ];
    if (args.includes('--no-python')) workloads.pop();
    const columns = [
      { name: 'closed', page: closed, before: async () => {} },
      { name: 'tracing', page: open, before: () => canvas(open, false) },
      { name: 'drawing', page: open, before: () => canvas(open, true) },
    ];
    const results = [];
    for (const w of workloads) {
      for (const p of [closed, open]) {
        await run(p, w.setup, /\$ ?$/);
        await run(p, w.cmd, w.done, 300_000); // warm
      }
      const row = { name: w.name, ms: { closed: [], tracing: [], drawing: [] }, fps: [], msPerFrame: [], area: [], cpu: { closed: {}, tracing: {}, drawing: {} } };
      for (let r = 0; r < RUNS; r++) {
        for (let c = 0; c < columns.length; c++) {
          const col = columns[(c + r) % columns.length];
          await col.before();
          await col.page.waitForTimeout(300);
          const stats = () => open.evaluate(() => ({ ...window.glassbox.inspector.cost, paint: window.glassbox.inspector.paintStats(), t: performance.now() }));
          const c0 = col.name === 'drawing' ? await stats() : null;
          const cpu0 = args.includes('--cpu') ? cpuByRole() : null;
          const { ms } = await run(col.page, w.cmd, w.done, 300_000);
          row.ms[col.name].push(ms);
          if (cpu0) {
            const cpu1 = cpuByRole();
            for (const k of Object.keys(cpu1)) (row.cpu[col.name][k] ??= []).push(cpu1[k] - cpu0[k]);
          }
          if (c0) {
            const c1 = await stats();
            row.fps.push(((c1.frames - c0.frames) * 1000) / (c1.t - c0.t));
            const painted = c1.paint.painted - c0.paint.painted;
            row.area.push(painted ? (c1.paint.area * c1.paint.painted - c0.paint.area * c0.paint.painted) / painted : 0);
            row.msPerFrame.push((c1.drawMs - c0.drawMs) / Math.max(1, c1.frames - c0.frames));
          }
          process.stderr.write(`  ${w.name} round ${r + 1} ${col.name}: ${ms} ms\n`);
        }
      }
      results.push(row);
    }
    const load1 = os.loadavg();
    // ---- the table ----
    const pad = (s, n) => String(s).padEnd(n);
    const lpad = (s, n) => String(s).padStart(n);
    console.log(`\ninspector cost, median of ${RUNS} interleaved runs (headless Chromium, software WebGL; ${os.cpus().length} cores; panel ${panel})`);
    console.log(`load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`${pad('workload', 22)}${lpad('closed ms', 11)}${lpad('tracing ms', 12)}${lpad('x', 7)}${lpad('drawing ms', 12)}${lpad('x', 7)}${lpad('frames/s', 10)}${lpad('ms/frame', 10)}${lpad('repainted', 11)}`);
    for (const r of results) {
      const c = median(r.ms.closed), t = median(r.ms.tracing), d = median(r.ms.drawing);
      console.log(
        `${pad(r.name, 22)}${lpad(c, 11)}${lpad(t, 12)}${lpad((t / c).toFixed(2), 7)}${lpad(d, 12)}${lpad((d / c).toFixed(2), 7)}` +
          `${lpad(median(r.fps).toFixed(0), 10)}${lpad(median(r.msPerFrame).toFixed(2), 10)}${lpad((median(r.area) * 100).toFixed(0) + '%', 11)}`,
      );
    }
    if (args.includes('--cpu')) {
      console.log(`\nCPU ms per run (median; every Chromium thread, both pages): worker = the engine, main = the page's main thread, raster = the GPU process's SwiftShader threads`);
      for (const r of results)
        for (const c of ['closed', 'tracing', 'drawing'])
          console.log(`${pad(`${r.name}, ${c}`, 34)}` + Object.entries(r.cpu[c]).map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join('  '));
    }
    const out = path.join(ROOT, 'build/bench');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'inspector.json'), JSON.stringify({ runs: RUNS, load0, load1, results }, null, 1) + '\n');
    console.log(`(every run: ${path.relative(ROOT, path.join(out, 'inspector.json'))})`);
  } finally {
    await ctxA.close();
    await ctxB.close();
    server?.kill();
  }
}

main().catch((e) => {
  console.error(e);
  server?.kill();
  process.exit(1);
});
