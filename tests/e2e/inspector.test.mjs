// The inspector against the real engine in headless Chromium (issue 12): open the
// Inspector pane (its Dear ImGui module draws on a WebGL2 canvas), run
// `gcc hello.c -o hello && ./hello` in the terminal, and check through the test hook
// (window.glassbox.inspector.model) what the panels' models saw: cc1, as and ld exec'd and
// exited; the openat of hello.c and the write of the greeting, decoded; then python3's
// first run and the disk reads behind it, with the network chunks they fetched. Saves a
// screenshot of each panel (build/test-artifacts/inspector-*.png) and the models as JSON.
// Then control: `gcc -g`, a breakpoint at main (from the ELF symbol table, set before the
// program runs), rip == main, one step moves rip by the instruction's length, stepping
// over the call of puts prints the greeting and stops after the call, keyboard
// input typed while stopped is not lost, resume and the program prints; the Registers,
// Code, Memory and JIT blocks models and their screenshots.
//
// Skipped (with the reason) when the site has no engine or no image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, launch, openIde, screenshot } from './lib/browser.mjs';
import { ROOT, ARTIFACTS, siteSkipReason } from './lib/paths.mjs';
import { PROMPT, run, termText, waitTerm } from './lib/terminal.mjs';

const SITE = path.join(ROOT, 'build/site');
const skip = siteSkipReason(SITE) || (!fs.existsSync(path.join(SITE, 'engine/glassbox_inspector.wasm')) && 'the site has no inspector module (tools/build web)');
const GREETING = 'hello from the inspector test';

let ctx;
let page;

before(async () => {
  if (skip) return;
  ctx = await launch({ viewport: { width: 1600, height: 900 } });
  page = await openIde(ctx, BASE_URL, { waitFor: 'page' });
  await waitTerm(page, PROMPT, 180_000);
});

after(async () => {
  await ctx?.close();
});

const model = (panel = 'all') => page.evaluate((p) => window.glassbox.inspector.model(p), panel);

const figures = {};
const GCC = 'gcc hello.c -o hello && ./hello';

test('the inspector opens on its canvas and draws frames; gcc timed with it closed and open', { skip }, async () => {
  await run(page, `printf '#include <stdio.h>\\nint main(void) { puts("${GREETING}"); return 0; }\\n' > hello.c`, /\$ ?$/);
  const done = new RegExp(`\\n${GREETING}\\n[^]*\\$ ?$`);
  await run(page, GCC, done, 300_000); // warm: disk chunks fetched, caches filled
  const timed = async () => (await run(page, `rm hello; ${GCC}`, done, 300_000)).ms;
  figures.closedMs = Math.min(await timed(), await timed());
  await page.evaluate(() => window.glassbox.inspector.open());
  assert.equal(await page.evaluate(() => window.glassbox.inspector.state), 'open');
  await page.waitForTimeout(300);
  const f1 = await page.evaluate(() => window.glassbox.inspector.frames);
  assert.ok(f1 > 0, 'the first frame is drawn'); // later ones only when records arrive or on input
  const box = await page.locator('#gb-inspector-canvas').boundingBox();
  assert.ok(box && box.width > 100 && box.height > 100, `canvas box ${JSON.stringify(box)}`);
  // open but not drawing (the canvas hidden): what tracing alone costs
  await page.evaluate(() => (document.getElementById('gb-inspector-canvas').style.visibility = 'hidden'));
  await page.evaluate(() => (document.getElementById('gb-inspector-canvas').style.display = 'none'));
  figures.tracingOnlyMs = Math.min(await timed(), await timed());
  await page.evaluate(() => (document.getElementById('gb-inspector-canvas').style.cssText = ''));
  const c0 = await page.evaluate(() => window.glassbox.inspector.cost);
  const fr0 = await page.evaluate(() => [window.glassbox.inspector.frames, performance.now()]);
  figures.openMs = Math.min(await timed(), await timed());
  const fr1 = await page.evaluate(() => [window.glassbox.inspector.frames, performance.now()]);
  const c1 = await page.evaluate(() => window.glassbox.inspector.cost);
  figures.msPerFrame = +((c1.drawMs - c0.drawMs) / Math.max(1, c1.frames - c0.frames)).toFixed(2);
  figures.pumpMsPerRun = +((c1.pumpMs - c0.pumpMs) / 2).toFixed(1);
  figures.fpsWhileGcc = Math.round(((fr1[0] - fr0[0]) * 1000) / (fr1[1] - fr0[1]));
  assert.ok(figures.fpsWhileGcc >= 5, `the panels keep drawing while gcc runs (${figures.fpsWhileGcc} frames/s)`);
  const x = (v) => (v / figures.closedMs).toFixed(2);
  console.log(`inspector figures (best of 2): gcc hello closed ${figures.closedMs} ms, tracing but not drawing ${figures.tracingOnlyMs} ms (x${x(figures.tracingOnlyMs)}), open and drawing ${figures.openMs} ms (x${x(figures.openMs)}), ${figures.fpsWhileGcc} frames/s while gcc ran, ${figures.msPerFrame} ms per frame in gbi_frame, ${figures.pumpMsPerRun} ms per gcc moving records`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'inspector-figures.json'), JSON.stringify(figures, null, 1) + '\n');
});

test('partial redraws: while gcc runs, the canvas holds what a whole redraw of the frame makes (Processes, System calls)', { skip }, async () => {
  // A frame redraws only the rectangle it changes (inspector/model/frame_damage.h); the hook
  // reads the canvas, redraws the last frame whole and counts the pixels that differ.
  const done = new RegExp(`\\n${GREETING}\\n[^]*\\$ ?$`);
  for (const tab of ['processes', 'syscalls']) {
    await page.evaluate((t) => window.glassbox.inspector.selectTab(t), tab);
    await page.waitForTimeout(1200); // past the interaction's every-frame second
    const s0 = await page.evaluate(() => window.glassbox.inspector.paintStats());
    const checks = [];
    let finished = false;
    const running = run(page, `rm hello; ${GCC}`, done, 300_000).finally(() => (finished = true));
    while (!finished) {
      checks.push(await page.evaluate(() => window.glassbox.inspector.checkPaint()));
      await page.waitForTimeout(150);
    }
    await running;
    await page.waitForTimeout(200);
    checks.push(await page.evaluate(() => window.glassbox.inspector.checkPaint()));
    const s1 = await page.evaluate(() => window.glassbox.inspector.paintStats());
    const painted = s1.painted - s0.painted;
    const area = painted > 0 ? (s1.area * s1.painted - s0.area * s0.painted) / painted : 0;
    figures[`paint_${tab}`] = { frames: s1.frames - s0.frames, painted, meanArea: +area.toFixed(3), checks: checks.length };
    console.log(`partial redraws, ${tab} while gcc ran: ${s1.frames - s0.frames} frames, ${painted} changed pixels, on ${(area * 100).toFixed(0)}% of the canvas on average; ${checks.length} checks against a whole redraw`);
    assert.ok(checks.length >= 3, `checks ${checks}`);
    assert.deepEqual(checks.filter((c) => c !== 0), [], `pixels that differ from a whole redraw: ${checks}`);
    assert.ok(painted > 0, 'frames were painted while gcc ran');
  }
  await page.evaluate(() => window.glassbox.inspector.selectTab('processes'));
  fs.writeFileSync(path.join(ARTIFACTS, 'inspector-figures.json'), JSON.stringify(figures, null, 1) + '\n');
});

test('gcc hello.c (run with the inspector open): the process model sees cc1, as and ld exec and exit; the syscall model has the openat of hello.c and the write of the greeting', { skip }, async () => {
  await page.waitForTimeout(300); // the last records of the slice reach the page
  const m = await model();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'inspector-model.json'), JSON.stringify(m, null, 1) + '\n');

  const procs = m.processes;
  for (const prog of ['cc1', 'as', 'ld']) {
    const p = procs.findLast((r) => r.program === prog);
    assert.ok(p, `no process ran ${prog}: ${procs.map((r) => r.program).join(' ')}`);
    assert.equal(p.state, 'exited', `${prog}: ${JSON.stringify(p)}`);
    assert.equal(p.status, 0, `${prog} exit status`);
    assert.ok(p.execs >= 1 && p.icount > 0, `${prog}: ${JSON.stringify(p)}`);
    assert.ok(procs.some((q) => q.tid === p.parent), `${prog}'s parent ${p.parent} is in the tree`);
  }
  const cc1 = procs.findLast((r) => r.program === 'cc1');
  assert.match(cc1.cmdline, /cc1 .*hello\.c/);
  const hello = procs.findLast((r) => r.program === 'hello');
  assert.ok(hello && hello.state === 'exited', 'the program itself ran and exited');
  // per-task figures (Stat / Exit records): cc1's CPU time and own instructions, its tier,
  // and the timeline's fork -> exec -> exit
  assert.ok(cc1.cpu_ns > 0, `cc1's CPU time: ${JSON.stringify(cc1)}`);
  assert.match(cc1.tier, /^(interpreter|interpreter \(JIT on\)|JIT \d+%)$/);
  assert.ok(cc1.exec_ms.length >= 1 && cc1.start_ms <= cc1.exec_ms[0] && cc1.exec_ms[0] <= cc1.end_ms, `cc1's timeline: ${JSON.stringify(cc1)}`);
  console.log(`inspector: cc1 ${(cc1.cpu_ns / 1e6).toFixed(1)} ms CPU, ${cc1.icount} instructions, ${cc1.tier}; ./hello ${(hello.cpu_ns / 1e6).toFixed(1)} ms`);

  const rows = m.syscalls.rows;
  // (the shell's `> hello.c` opened it O_WRONLY|O_CREAT|O_TRUNC first: that is traced too)
  const open = rows.findLast((r) => r.name === 'openat' && r.data === 'hello.c' && /O_RDONLY/.test(r.args) && r.ret >= 0);
  assert.ok(open, 'an openat of hello.c for reading that succeeded');
  assert.match(open.args, /^AT_FDCWD, "hello\.c", O_RDONLY/);
  assert.equal(open.pid, cc1.pid, 'cc1 opened hello.c');
  const read = rows.findLast((r) => r.name === 'read' && r.pid === cc1.pid && r.data.includes(GREETING));
  assert.ok(read, 'cc1 read the source (its bytes are in the record)');
  const write = rows.findLast((r) => r.name === 'write' && r.data === `${GREETING}\n`);
  assert.ok(write, 'the write of the greeting');
  assert.equal(write.args, `1, "${GREETING}\\n", ${GREETING.length + 1}`);
  assert.equal(write.result, String(GREETING.length + 1));
  assert.ok(write.pid === hello.pid, 'written by ./hello');
  // where did fd 1 come from: ./hello inherited it from the shell, open before the
  // inspector attached (the attach snapshot: the terminal)
  assert.equal(write.fd, 1);
  assert.match(write.origin, /^open when the inspector attached \(pid \d+\): \/dev\/(pts\/\d+|tty\w*|console)$/, write.origin);
  // cc1's read of the source: its fd came from the openat of hello.c
  assert.equal(read.fd_origin, open.seq, `read ${JSON.stringify(read)} from the openat #${open.seq}`);
  assert.match(read.origin, /^openat\(AT_FDCWD, "hello\.c", O_RDONLY/);
  // the detail view (and its text mirror): the call, the fd's origin, text and hex
  assert.equal(await page.evaluate((s) => window.glassbox.inspector.showCall(s), write.seq), true);
  const detail = await page.evaluate(() => window.glassbox.inspector.text('call'));
  assert.ok(detail.includes('fd 1 came from: open when the inspector attached'), detail);
  assert.ok(detail.includes('hex:\n0000  68 65 6c 6c 6f 20 66 72 6f 6d'), detail);
  assert.ok(write.hex.startsWith('68656c6c6f'), write.hex);
  // a failed call carries Linux's errno name (the dynamic loader probes paths that do not exist)
  const failed = rows.findLast((r) => r.ret < 0 && r.ret >= -4095);
  assert.ok(failed, 'some call failed');
  assert.match(failed.result, /^-1 E[A-Z]+ \(/);
  assert.ok(m.syscalls.counts.openat.calls >= 1 && m.syscalls.counts.write.calls >= 1);
  // every call the engine implements is decoded with the engine's own argument kinds
  // (SysShapes records), not only the common ones: libc's start-up and the loader
  const arch = rows.findLast((r) => r.name === 'arch_prctl');
  assert.ok(arch && /^ARCH_SET_FS, 0x[0-9a-f]+$/.test(arch.args), JSON.stringify(arch));
  const mprot = rows.findLast((r) => r.name === 'mprotect');
  assert.ok(mprot && /^0x[0-9a-f]+, \d+, PROT_(READ|NONE)/.test(mprot.args), JSON.stringify(mprot));
  console.log(`inspector: ${m.received} records, ${m.dropped} dropped (seq gaps), reader ${m.readerDropped}, engine ${m.engineDropped}; ${procs.length} tasks, ${m.syscalls.total} calls`);
  // the student's changes on the disk: the linker wrote ./hello (FsWrite records), named
  // through its write calls' fd, its chunks marked as changed in the chunk map
  const written = m.files.rows.filter((r) => r.source === 'written');
  assert.ok(m.files.blocks_written > 0 && m.files.chunks_changed > 0, JSON.stringify({ ...m.files, rows: undefined }));
  const helloWrites = written.filter((r) => r.what === 'data' && /(^|\/)hello$/.test(r.path ?? ''));
  assert.ok(helloWrites.length > 0 && helloWrites.every((r) => r.chunk >= 0), `written: ${JSON.stringify(written.slice(0, 5))}`);
  console.log(`inspector files: ${m.files.writes} writes, ${m.files.blocks_written} blocks written, ${m.files.chunks_changed} chunks changed; ./hello written in ${helloWrites.length} runs by pid ${helloWrites[0].pid}`);

  // the screen-reader view carries the same content as text
  const text = await page.evaluate(() => window.glassbox.inspector.text('syscalls'));
  assert.ok(text.includes(`write(1, "${GREETING}\\n", ${GREETING.length + 1}) = ${GREETING.length + 1}`), 'the text view has the strace line');
  await page.click('[data-inspector-text="processes"]');
  const area = await page.locator('#inspector-text').inputValue();
  assert.match(area, /cc1/);
  await page.click('[data-inspector-text="processes"]');

  // the chunk map knows what the cache held before the inspector opened (gcc ran twice)
  assert.ok(m.files.chunks_total > 0 && m.files.chunks_earlier > 0, `chunks ${m.files.chunks_earlier} of ${m.files.chunks_total} before`);

  // screenshots of each panel: click its tab on the canvas (ImGui's tab bar, second row)
  await page.waitForTimeout(200);
  await screenshot(page, 'inspector-processes');
  const box = await page.locator('#gb-inspector-canvas').boundingBox();
  // a real click on the System calls tab (second row of the canvas, under the control bar)
  await page.mouse.click(box.x + 86, box.y + 54);
  await page.waitForTimeout(300);
  await screenshot(page, 'inspector-syscalls'); // with the detail view of the greeting's write
  // focus on cc1: the System calls model (its visible rows) and the Files text follow it
  await page.evaluate((p) => window.glassbox.inspector.focus(p), cc1.pid);
  const focused = await model('syscalls');
  assert.ok(focused.syscalls.rows.length > 0 && focused.syscalls.rows.every((r) => r.pid === cc1.pid), 'only cc1\'s calls');
  assert.ok(focused.syscalls.visible < focused.syscalls.total);
  await page.evaluate(() => window.glassbox.inspector.selectTab('processes'));
  await page.waitForTimeout(300);
  await screenshot(page, 'inspector-focus');
  await page.evaluate(() => window.glassbox.inspector.focus(0));
  assert.equal((await model('syscalls')).syscalls.visible, (await model('syscalls')).syscalls.total);
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});

test('python3 (first run, its files not yet fetched): the files model has its reads with network chunk numbers', { skip }, async () => {
  await run(page, "python3 -c 'print(6*7)'", /\n42\n[^]*\$ ?$/, 300_000);
  await page.waitForTimeout(300);
  const m = await model('all');
  const py = m.processes.findLast((r) => r.program === 'python3');
  assert.ok(py && py.state === 'exited', 'python3 ran and exited');
  const f = m.files;
  const mine = f.rows.filter((r) => r.pid === py.pid);
  assert.ok(mine.length > 0, 'python3 read the disk');
  const net = mine.filter((r) => r.source === 'network');
  assert.ok(net.length > 0, `python3 fetched chunks (sources: ${[...new Set(mine.map((r) => r.source))]})`);
  assert.ok(net.every((r) => r.chunk >= 0 && r.ino >= 0), 'a network read names its chunk');
  assert.ok(net.some((r) => r.bytes_fetched > 0), 'and the bytes it fetched');
  assert.ok(f.chunks_fetched > 0 && f.bytes_fetched > 0);
  console.log(`inspector files: python3 made ${mine.length} reads, ${net.length} from the network; ${f.chunks_fetched} chunks, ${f.bytes_fetched} bytes fetched while the inspector was open`);
  const text = await page.evaluate(() => window.glassbox.inspector.text('files'));
  assert.match(text, /from network, chunk \d+, \d+ bytes fetched/);
  // reads name their file: the inode joined to the openat (or execve) it was read through
  const named = mine.filter((r) => r.path);
  assert.ok(named.some((r) => /^\/usr\/(bin|lib)\/|\.py|python/.test(r.path)), `named reads: ${[...new Set(named.map((r) => r.path))].slice(0, 8)}`);
  console.log(`inspector files: ${named.length} of python3's ${mine.length} reads name their file, e.g. ${[...new Set(named.map((r) => r.path))].slice(0, 4).join(', ')}`);
  await page.evaluate(() => window.glassbox.inspector.selectTab('files'));
  await page.waitForTimeout(300);
  await screenshot(page, 'inspector-files');
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});

test('control: gcc -g hello, break at main (from the symbol table), rip == main, one step, input kept while stopped, resume to the output; registers, code, memory and blocks panels', { skip }, async () => {
  const insp = (fn, ...args) => page.evaluate(([f, a]) => window.glassbox.inspector[f](...a), [fn, args]);
  const state = async (panel = 'state') => insp('refreshState', panel);
  await page.mouse.move(0, 0); // no tooltip in the screenshots
  await run(page, 'gcc -g hello.c -o hello', /\$ ?$/, 300_000);
  const cwd = (await run(page, 'pwd', /\n(\/\S*)\n[^]*\$ ?$/)).text.match(/\n(\/\S*)\n/)[1];
  const prog = `${cwd}/hello`;
  await insp('breakAt', 'main', prog);
  const before = await state();
  // run it without waiting for the prompt: the machine stops at main
  await run(page, './hello');
  let s;
  const end = Date.now() + 120_000;
  for (;;) {
    s = await state('state');
    if (s.halted && s.stops > before.stops) break;
    if (Date.now() > end) throw new Error(`never stopped at main: ${JSON.stringify(s)}`);
    await page.waitForTimeout(100);
  }
  assert.equal(s.reason, 'breakpoint');
  assert.equal(s.exe, prog);
  // rip == main's address: the symbol table's value + the PIE load base (from the maps)
  let code = (await state('code')).code;
  for (let i = 0; i < 20 && code.symbols.path !== prog; i++) {
    await page.waitForTimeout(100); // the module asks for the program's symbols when exe changes
    code = (await state('code')).code;
  }
  assert.equal(code.symbols.path, prog);
  assert.ok(code.symbols.main, 'main is in the symbol table');
  const mainAddr = BigInt(code.symbols.main) + BigInt(code.symbols.bias);
  const regs = (await state('registers')).registers;
  assert.equal(BigInt(regs.rip), mainAddr, `rip ${regs.rip} == main ${mainAddr.toString(16)}`);
  const at = code.lines[code.rip_line];
  assert.equal(BigInt(at.addr), mainAddr);
  assert.equal(at.sym, 'main');
  assert.equal(at.src, 'hello.c:2', 'the source line from the DWARF line table (main is on line 2)');
  assert.match(await insp('stateText', 'code'), /^ +hello\.c:2$/m);
  assert.ok(!at.bad && at.size > 0, JSON.stringify(at));
  console.log(`inspector control: stopped at main = 0x${mainAddr.toString(16)} (${at.text}, ${at.size} bytes), ${code.lines.length} lines, ${code.symbols.count} symbols`);

  // keyboard input typed while the machine is stopped is kept (read once it runs again)
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.type('echo typed-while-paused\n');

  // memory: the maps hold the program and the stack; the hex view at rsp is readable
  await insp('selectTab', 'memory');
  const mem = await state('memory');
  assert.ok(mem.maps.some((m) => m.name === prog && m.perms.includes('x')), 'the program\'s code is mapped');
  assert.ok(mem.maps.some((m) => m.name === '[stack]'));
  assert.ok(mem.memory.readable > 0, JSON.stringify(mem.memory));
  await page.waitForTimeout(300);
  await screenshot(page, 'inspector-memory');
  // the decoded blocks of the stopped process (the dynamic loader's, libc's start)
  await insp('selectTab', 'blocks');
  const blocks = (await state('blocks')).blocks;
  assert.ok(blocks.length > 10, `${blocks.length} blocks`);
  assert.ok(blocks[0].execs >= blocks[blocks.length - 1].execs, 'hottest first');
  const bc = await insp('blockCode', blocks[0].start, 64);
  assert.equal(bc.addr, blocks[0].start);
  assert.ok(bc.lines.length > 0, 'the hottest block disassembles');
  await page.waitForTimeout(300);
  await screenshot(page, 'inspector-blocks');

  // one step: rip moves by the length of the instruction at main
  await insp('selectTab', 'code');
  await page.waitForTimeout(300);
  await screenshot(page, 'inspector-code');
  const stepped = await insp('control', 'step');
  assert.equal(stepped.reason, 'step');
  const regs2 = (await state('registers')).registers;
  assert.equal(BigInt(regs2.rip), mainAddr + BigInt(at.size), `one step: ${regs.rip} + ${at.size} -> ${regs2.rip}`);
  assert.ok(regs2.changed.includes('rip'), `changed: ${regs2.changed}`);
  await insp('selectTab', 'registers');
  await page.waitForTimeout(300);
  await screenshot(page, 'inspector-registers');
  const text = await insp('stateText', 'registers');
  assert.match(text, /^rip +0x[0-9a-f]{16} +\(changed\)$/m);

  // step to the call of puts and over it: the greeting is printed while the program stays
  // stopped, rip on the instruction after the call
  let code2 = (await state('code')).code;
  for (let i = 0; i < 10 && !/^call/.test(code2.lines[code2.rip_line].text); i++) {
    await insp('control', 'step');
    code2 = (await state('code')).code;
  }
  const call = code2.lines[code2.rip_line];
  assert.match(call.text, /^call/, JSON.stringify(code2.lines));
  const greetings = async () => `${await termText(page)}\n`.split(`\n${GREETING}\n`).length - 1; // (termText drops the last newline)
  const g0 = await greetings();
  const over = await insp('control', 'over');
  assert.equal(over.halted, true);
  assert.equal(over.reason, 'step');
  const regs3 = (await state('registers')).registers;
  assert.equal(BigInt(regs3.rip), BigInt(call.addr) + BigInt(call.size), `over ${call.text}: ${regs3.rip}`);
  for (let i = 0; i < 50 && (await greetings()) === g0; i++) await page.waitForTimeout(100);
  assert.equal(await greetings(), g0 + 1, 'puts ran during the step over');

  // from the keyboard: F11 on the focused canvas is one step
  const k0 = await state();
  await page.focus('#gb-inspector-canvas');
  await page.keyboard.press('F11');
  let k1 = k0;
  for (let i = 0; i < 50 && k1.stops === k0.stops; i++) {
    await page.waitForTimeout(100);
    k1 = await state();
  }
  assert.equal(k1.stops, k0.stops + 1, 'F11 stepped');
  assert.equal(k1.reason, 'step');
  assert.ok(k1.icount > k0.icount, `${k0.icount} -> ${k1.icount}`);

  // resume (breakpoints cleared): the program exits, then the kept input runs
  await insp('control', 'clear');
  await insp('control', 'resume');
  await waitTerm(page, new RegExp(`\\n${GREETING}\\n[^]*\\ntyped-while-paused\\n[^]*\\$ ?$`), 60_000);
  const after = await state();
  assert.equal(after.halted, false);
  // pause the running machine (the shell at its prompt) and resume it: nothing lost
  const paused = await insp('control', 'pause');
  assert.equal(paused.halted, true);
  assert.equal(paused.reason, 'paused');
  const resumed = await insp('control', 'resume');
  assert.equal(resumed.halted, false);
  await run(page, 'echo after-pause', /\nafter-pause\n[^]*\$ ?$/);
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});

test('source lines: a breakpoint at hello2.c:3 (set before the program exists), the line highlighted in the editor and named in the status bar, step out to main, a line\'s instructions', { skip }, async () => {
  const insp = (fn, ...args) => page.evaluate(([f, a]) => window.glassbox.inspector[f](...a), [fn, args]);
  const state = async (panel = 'state') => insp('refreshState', panel);
  const src = ['#include <stdio.h>', 'static int twice(int x) {', '  return 2 * x;', '}', 'int main(void) {',
    '  int v = twice(21);', '  printf("v=%d\\n", v);', '  return 0;', '}'];
  await run(page, `printf '%s\\n' ${src.map((l) => `'${l}'`).join(' ')} > hello2.c`, /\$ ?$/);
  const cwd = (await run(page, 'pwd', /\n(\/\S*)\n[^]*\$ ?$/)).text.match(/\n(\/\S*)\n/)[1];
  const prog = `${cwd}/hello2`;
  await insp('breakAt', 'hello2.c:3', prog); // resolved by the engine when hello2 runs
  await run(page, 'gcc -g hello2.c -o hello2 && ./hello2');
  let s;
  for (const end = Date.now() + 300_000; ; await page.waitForTimeout(200)) {
    s = await state('state');
    if (s.halted && s.exe === prog) break;
    if (Date.now() > end) throw new Error(`never stopped at hello2.c:3: ${JSON.stringify(s)}`);
  }
  assert.equal(s.reason, 'breakpoint');
  for (let i = 0; i < 30 && s.where.line !== 3; i++) {
    await page.waitForTimeout(100); // the program's symbols and line table arrive after the stop
    s = await state('state');
  }
  assert.equal(s.where.func, 'twice');
  assert.equal(s.where.line, 3);
  assert.equal(s.where.file, `${cwd}/hello2.c`);
  const regs = (await state('registers')).registers;
  const start = await insp('lineAddresses', 'hello2.c', 3);
  assert.equal(start.line, 3);
  assert.equal(BigInt(regs.rip), BigInt(start.addrs[0]), `rip ${regs.rip} == where line 3 starts ${start.addrs[0]}`);
  // the status bar and the editor (the file opened, line 3 highlighted)
  await page.waitForFunction(() => window.glassbox.inspector.statusText === 'stopped at twice (hello2.c:3)', { timeout: 10_000 });
  await page.waitForFunction(() => window.glassbox.inspector.stopLine === 3 && document.querySelector('.gb-stop-line'), { timeout: 10_000 });
  assert.ok((await page.evaluate(() => window.glassbox.editor.activePath)).endsWith('/hello2.c'));
  await screenshot(page, 'inspector-source-line');
  // step out: back in main after the call, twice's result in eax
  const out = await insp('control', 'out');
  assert.equal(out.reason, 'step');
  s = await state('state');
  assert.equal(s.where.func, 'main');
  assert.equal(s.where.line, 6);
  assert.equal(BigInt((await state('registers')).registers.rax) & 0xffffffffn, 42n);
  await page.waitForFunction(() => window.glassbox.inspector.stopLine === 6, { timeout: 10_000 });
  // a line's instructions (what a click on line 7 in the editor shows): the call of printf
  assert.equal(await insp('lineView', `${cwd}/hello2.c`, 7), true);
  const view = (await state('code')).code.line_view;
  assert.equal(view.label, 'hello2.c:7');
  assert.ok(view.lines.some((l) => /^call/.test(l)), JSON.stringify(view));
  // resumed: the program prints and the status bar says running again
  await insp('control', 'clear');
  await insp('control', 'resume');
  await waitTerm(page, /\nv=42\n[^]*\$ ?$/, 60_000);
  await page.waitForFunction(() => !/^stopped/.test(window.glassbox.inspector.statusText), { timeout: 10_000 });
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});
