// What a browser's processes are doing, for a test that timed out (tests/e2e/firefox.test.mjs):
// every thread of a process tree with its CPU share over a short window, state and wait
// channel, so a report tells a thread that spins (a busy main thread, a worker in a loop)
// from one that waits (a deadlock: every thread asleep), and optionally gdb's backtraces
// of the busiest process. Linux only (/proc); never throws.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

const read = (p) => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

/** The pids of `root` and all its descendants. */
export function processTree(root) {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = read(`/proc/${d}/stat`);
    const m = /\) \S (\d+)/.exec(st);
    if (!m) continue;
    const pp = +m[1];
    if (!children.has(pp)) children.set(pp, []);
    children.get(pp).push(+d);
  }
  const out = [];
  const walk = (p) => {
    out.push(p);
    for (const c of children.get(p) || []) walk(c);
  };
  walk(root);
  return out;
}

function threadTimes(pid) {
  const t = new Map();
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return t;
  }
  for (const tid of tids) {
    const st = read(`/proc/${pid}/task/${tid}/stat`);
    const close = st.lastIndexOf(')');
    if (close < 0) continue;
    const comm = st.slice(st.indexOf('(') + 1, close);
    const f = st.slice(close + 2).split(' '); // f[0] = state (field 3)
    t.set(tid, { comm, state: f[0], ticks: +f[11] + +f[12], wchan: read(`/proc/${pid}/task/${tid}/wchan`) || '-' });
  }
  return t;
}

/** A text report of every thread of `rootPid`'s tree: CPU % over `windowMs`, state, wchan. */
export async function threadReport(rootPid, { windowMs = 2000, gdb = false } = {}) {
  const hz = 100;
  const pids = processTree(rootPid);
  const before = new Map(pids.map((p) => [p, threadTimes(p)]));
  await new Promise((r) => setTimeout(r, windowMs));
  const lines = [`threads of pid ${rootPid} and its children, CPU over ${windowMs} ms (state R = running, S = sleeping; wchan = kernel wait)`];
  let busiest = null;
  for (const p of pids) {
    const a = before.get(p);
    const b = threadTimes(p);
    const cmd = read(`/proc/${p}/cmdline`).split('\0').filter(Boolean);
    const kind = cmd.includes('-contentproc') ? `content (${cmd[cmd.length - 1]})` : cmd[0]?.split('/').pop() || '?';
    let total = 0;
    const rows = [];
    for (const [tid, t] of b) {
      const pct = (((t.ticks - (a.get(tid)?.ticks ?? t.ticks)) / hz) * 1000 * 100) / windowMs;
      total += pct;
      rows.push({ tid, pct, ...t });
    }
    if (!busiest || total > busiest.total) busiest = { pid: p, total };
    lines.push(`pid ${p} ${kind}: ${b.size} threads, ${total.toFixed(0)}% CPU`);
    rows.sort((x, y) => y.pct - x.pct);
    for (const r of rows) {
      // the busy ones, and the ones that matter whatever they do
      if (r.pct >= 1 || r.state === 'R' || r.tid === String(p) || /DOM Worker|Worker|TaskCon|Helper|wasm/i.test(r.comm))
        lines.push(`  ${r.tid.padStart(7)} ${r.comm.padEnd(16)} ${r.state} ${r.pct.toFixed(0).padStart(4)}%  ${r.wchan}`);
    }
  }
  if (gdb && busiest && fs.existsSync('/usr/bin/gdb')) {
    try {
      const bt = execFileSync('timeout', ['40', '/usr/bin/gdb', '-batch', '-nx', '-p', String(busiest.pid), '-ex', 'thread apply all bt 20'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 << 20,
      });
      lines.push(`--- gdb: every thread of pid ${busiest.pid} (the busiest)`, bt);
    } catch (e) {
      lines.push(`--- gdb failed: ${String(e.message).slice(0, 300)}`);
    }
  }
  return lines.join('\n') + '\n';
}
