// The inspector with the JIT on (`?jit=on`) in headless Chromium, real engine and image:
//  1. JIT blocks panel: a hot C loop runs in the terminal; the followed process's blocks
//     are marked compiled, and the region of one reads as x86 (Capstone) next to the
//     WebAssembly made from it (`loop`, `i64.add`, branches); the module validates.
//  2. Breakpoints are one list: a line breakpoint set through the break box's path
//     (`breakAt('hello3.c:4')`) shows its red dot in the editor's gutter; Clear removes
//     it; a gutter toggle shows in the inspector's list.
//     The panel's list of compiled regions has the loop's region with its compile time;
//     hovering an x86 row of the region lights the wasm made from it (the model the panel
//     draws from); when the loop exits, its regions' drop ("process gone") is listed.
//  3. A machine reset keeps the breakpoints (a line and a signal): the new engine has them
//     (its own count), the dot is back when the file opens again, and the program rebuilt
//     on the new machine stops on that line.
//  4. `hello4.c:4` typed in the break box at the shell's prompt names no program; it holds
//     in ./hello4 when that runs (the engine reads each program's line table).
// Saves build/test-artifacts/inspector-jit-region.{png,txt} and inspector-jit-gutter.png.
// Skipped (with the reason) when the site has no engine, image or inspector module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, launch, openIde, screenshot } from './lib/browser.mjs';
import { ROOT, ARTIFACTS, siteSkipReason } from './lib/paths.mjs';
import { PROMPT, run, waitTerm } from './lib/terminal.mjs';

const SITE = path.join(ROOT, 'build/site');
const skip = siteSkipReason(SITE) || (!fs.existsSync(path.join(SITE, 'engine/glassbox_inspector.wasm')) && 'the site has no inspector module (tools/build web)');
const HOME = '/home/student';

let ctx;
let page;

before(async () => {
  if (skip) return;
  ctx = await launch({ viewport: { width: 1600, height: 900 } });
  page = await openIde(ctx, new URL('?jit=on', BASE_URL).href, { waitFor: 'page' });
  await waitTerm(page, PROMPT, 180_000);
  await page.evaluate(() => window.glassbox.inspector.open());
});

after(async () => {
  await ctx?.close();
});

const insp = (fn, ...args) => page.evaluate(([f, a]) => window.glassbox.inspector[f](...a), [fn, args]);
const state = (panel = 'state') => insp('refreshState', panel);
const until = async (what, f, timeout = 60_000) => {
  let v;
  for (const end = Date.now() + timeout; !(v = await f()); await page.waitForTimeout(200))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  return v;
};
// the followed process runs ./prog and has a compiled block (its blocks panel state)
const compiledIn = (prog) => until(`a compiled block of ./${prog}`, async () => {
  const s = await state('blocks');
  return s.exe === `${HOME}/${prog}` && s.blocks.some((b) => b.compiled) && s.regions.length > 0 ? s : null;
}, 120_000);
// ./prog stopped at a breakpoint on `line` of main (where: once its symbols arrived)
const breakStop = async (prog, line, timeout) => {
  const s = await until(`the stop at ${prog}.c:${line}`, async () => {
    const x = await state();
    return x.halted && x.exe === `${HOME}/${prog}` && x.where.line === line ? x : null;
  }, timeout);
  assert.equal(s.reason, 'breakpoint');
  assert.equal(s.where.func, 'main');
  return s;
};
// a file in the guest (typed through the shell) and the same text in an editor tab
const writeFile = async (name, lines) => {
  await run(page, `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} > ${name}`, /\$ ?$/);
};

test('JIT blocks panel: a hot loop\'s blocks are compiled; the region shows its x86 next to its WebAssembly', { skip }, async () => {
  await writeFile('loop.c', ['#include <stdio.h>', 'int main(void) {', '  unsigned long s = 0;',
    '  for (unsigned long i = 0; i < 4000000000UL; i++) s += i ^ (s >> 3);', '  printf("%lu\\n", s);', '  return 0;', '}']);
  await run(page, 'gcc -O1 loop.c -o loop && ./loop', null);
  await insp('selectTab', 'blocks');
  // the followed process (the terminal's foreground job) is the loop; its hot block compiled
  const blocks = await compiledIn('loop');
  const compiled = blocks.blocks.filter((b) => b.compiled);
  console.log(`inspector JIT: ${compiled.length} of ${blocks.blocks.length} blocks compiled, ${blocks.regions.length} regions`);
  const hot = compiled.reduce((a, b) => (b.execs > a.execs ? b : a));
  const region = await insp('region', hot.start);
  assert.equal(region.have, true, JSON.stringify(region).slice(0, 500));
  assert.ok(region.blocks.includes(hot.start), `${hot.start} in ${region.blocks}`);
  assert.ok(region.insns > 0 && region.wasm_bytes > 0 && region.wasm_lines > 0, JSON.stringify({ ...region, rows: undefined, wasm: undefined }));
  const insns = region.rows.filter((r) => r.kind === 'insn');
  assert.equal(insns.length, region.insns, 'a row per compiled x86 instruction');
  // x86 as Capstone prints it (mnemonic, operands), each with the wasm made from it
  assert.ok(insns.every((r) => /^[a-z][a-z0-9]* ?/.test(r.x86)), JSON.stringify(insns.map((r) => r.x86)));
  assert.ok(insns.some((r) => /^(add|xor|shr|lea|mov|cmp) /.test(r.x86)), JSON.stringify(insns.map((r) => r.x86)));
  const wasm = region.rows.flatMap((r) => r.wasm.map((w) => w.trim()));
  assert.ok(wasm.includes('loop'), 'the dispatcher loop');
  assert.ok(wasm.some((w) => /^i64\.(add|xor)$/.test(w)), 'i64 arithmetic made from the x86');
  assert.ok(wasm.some((w) => /^br(_if|_table)? /.test(w)), 'branches');
  const add = insns.find((r) => /^add /.test(r.x86));
  if (add) assert.ok(add.wasm.some((w) => /i64\.add|call /.test(w)), JSON.stringify(add));
  // the module the region is (compiled alone, as the inspector shows it) is valid WebAssembly
  assert.equal(await page.evaluate((hex) => WebAssembly.validate(new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)))), region.wasm), true);
  // as text (the screen reader's view)
  const text = await insp('stateText', 'region');
  assert.match(text, /^region [0-9a-f]{16}\.\.[0-9a-f]{16}: \d+ blocks, \d+ x86 instructions -> \d+ wasm bytes/m);
  assert.match(text, /^ +[0-9a-f]{16} {2}\S+/m);
  assert.match(text, /\| +i64\.(add|xor)$/m);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'inspector-jit-region.txt'), text);
  assert.match(await insp('stateText', 'blocks'), /wasm/);
  // the list of compiled regions (state, asked for on the JIT tab): the loop's region, its
  // compile time and how often its entry ran
  const jit = await until('the loop\'s region in the list', async () => {
    const j = (await state('jit')).jit;
    return j.regions.some((r) => r.start === region.start && r.execs > 0) ? j : null;
  }, 30_000);
  const listed = jit.regions.find((r) => r.start === region.start);
  console.log(`inspector JIT list: ${jit.total} regions; the loop's: ${JSON.stringify(listed)}; compiled so far ${jit.compiled} (${jit.compile_us} us)`);
  assert.ok(listed.compile_us > 0, JSON.stringify(listed));
  assert.equal(listed.insns, region.insns);
  assert.equal(listed.blocks, region.blocks.length);
  assert.ok(listed.wasm_bytes > 0);
  assert.ok(jit.compiled >= jit.total && jit.compile_us > 0, 'the JitRegion records reached the panel');
  assert.match(await insp('stateText', 'jit'), /^compiled regions of the followed process: \d+$/m);
  // hovering the x86 row of an instruction lights its row and the wasm made from it
  const arith = insns.find((r) => /^(add|xor) /.test(r.x86)) ?? insns[0];
  const hover = await insp('regionHover', arith.addr);
  assert.ok(hover.row > 0, JSON.stringify(hover));
  assert.equal(hover.x86, arith.x86);
  assert.equal(hover.count, arith.wasm.length);
  assert.deepEqual(hover.wasm, arith.wasm);
  await page.waitForTimeout(400);
  await screenshot(page, 'inspector-jit-region');
  // stop the loop: its address space goes, and with it its regions (a drop record)
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.press('Control+c');
  await waitTerm(page, PROMPT, 30_000);
  // the Processes panel's tier: the loop ran mostly as compiled code (its Exit's figures)
  const loopProc = await until('the loop\'s exit', async () => (await insp('model', 'processes')).processes.findLast((r) => r.program === 'loop' && r.state !== 'running'), 10_000);
  assert.match(loopProc.tier, /^JIT \d+%$/, JSON.stringify(loopProc));
  assert.ok(loopProc.jit_icount > 0 && loopProc.jit_icount <= loopProc.icount && loopProc.cpu_ns > 0, JSON.stringify(loopProc));
  console.log(`inspector JIT: ./loop ${loopProc.tier}, ${loopProc.icount} instructions, ${(loopProc.cpu_ns / 1e6).toFixed(0)} ms CPU`);
  const drops = await until('the loop\'s regions dropped', async () => {
    const j = (await state('jit')).jit;
    return j.drops.some((d) => d.pid === blocks.pid && d.why === 1) ? j : null;
  }, 30_000);
  const gone = drops.drops.find((d) => d.pid === blocks.pid && d.why === 1);
  assert.ok(gone.count >= 1 && gone.insns > 0, JSON.stringify(gone));
  assert.equal(gone.reason, "its process exited or exec'd");
  assert.match(await insp('stateText', 'jit'), /drop {2}process \d+: \d+ regions? .*its process exited or exec'd/);
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});

// Regression (debugger_jit_region_runs_past_breakpoint): a watched task ran block by block
// with gb::run's budget of 1, but a block with a compiled region entered it, and a region
// runs on to its next loop head: a breakpoint on a line in the middle of a compiled loop
// was run past on every iteration and never stopped the program.
test('a breakpoint inside a compiled loop stops it there, and stepping goes on line by line', { skip }, async () => {
  await insp('control', 'clear');
  await writeFile('hot5.c', ['#include <stdio.h>', 'int main(void) {', '  unsigned long s = 0;',
    '  for (unsigned long i = 0; i < 4000000000UL; i++) {', '    if (i & 1)',
    '      s += i;', '    s ^= i >> 2;', '  }', '  printf("%lu\\n", s);', '  return 0;', '}']);
  await run(page, 'gcc -g -O0 hot5.c -o hot5 && ./hot5', null);
  await insp('selectTab', 'blocks');
  // the loop runs compiled first (line 6 runs every other iteration: hot, so its block is
  // in the loop's region, reached by a forward jump)
  await compiledIn('hot5');
  await insp('breakAt', 'hot5.c:6', `${HOME}/hot5`);
  const s = await breakStop('hot5', 6, 60_000);
  // resumed, it stops there again (the next odd i)
  await insp('control', 'resume');
  const again = await until('the second stop at hot5.c:6', async () => {
    const x = await state();
    return x.halted && x.where.line === 6 && x.icount !== s.icount ? x : null;
  }, 60_000);
  assert.equal(again.reason, 'breakpoint');
  // one instruction at a time from there (the debugger's own single step): line 6's
  // instructions, then line 7's, each step retiring one instruction
  await insp('control', 'clear');
  let at = again;
  for (let k = 0; k < 12 && at.where.line === 6; k++) {
    const stepped = await insp('control', 'step');
    assert.equal(stepped.reason, 'step');
    const next = await state();
    assert.equal(BigInt(next.icount), BigInt(at.icount) + 1n, `one instruction: ${at.icount} -> ${next.icount}`);
    at = next;
  }
  assert.equal(at.where.line, 7);
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.press('Control+c');
  await insp('control', 'resume');
  await waitTerm(page, PROMPT, 30_000);
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});

const HELLO = ['#include <stdio.h>', 'int main(void) {', '  int v = 6 * 7;', '  printf("v=%d\\n", v);', '  return 0;', '}'];

test('breakpoints are one list: the break box\'s hello3.c:4 shows a dot in the editor\'s gutter; Clear and the gutter agree with the inspector', { skip }, async () => {
  await writeFile('hello3.c', HELLO);
  await page.evaluate(([p, t]) => window.glassbox.debug.openFile(p, t), [`${HOME}/hello3.c`, `${HELLO.join('\n')}\n`]);
  await insp('selectTab', 'code');
  await insp('breakAt', 'hello3.c:4', `${HOME}/hello3`); // what the Code panel's break box does
  await page.waitForFunction(() => window.glassbox.inspector.breakDots.join() === '4', null, { timeout: 5000 });
  assert.ok(await page.locator('.gb-break-glyph').count() >= 1, 'a red dot in the glyph margin');
  await page.waitForTimeout(300);
  await screenshot(page, 'inspector-jit-gutter');
  // Clear in the inspector removes the dot
  await insp('control', 'clear');
  await page.waitForFunction(() => window.glassbox.inspector.breakDots.length === 0, null, { timeout: 5000 });
  // the gutter sets one the inspector lists (one list)
  await insp('toggleLineBreak', `${HOME}/hello3.c`, 4, `${HOME}/hello3`);
  const b = (await insp('stateModel', 'breaks')).breakpoints;
  assert.deepEqual(b.lines, [{ path: `${HOME}/hello3`, file: `${HOME}/hello3.c`, line: 4 }]);
  assert.match(await insp('stateText', 'breaks'), /hello3\.c:4 {2}\(\/home\/student\/hello3\)/);
  assert.deepEqual(await page.evaluate(() => window.glassbox.inspector.breakDots), [4]);
  // a gutter click on the dot of a breakpoint typed in the box removes it
  await insp('control', 'clear');
  await insp('breakAt', 'hello3.c:4', `${HOME}/hello3`);
  await insp('toggleLineBreak', `${HOME}/hello3.c`, 4, `${HOME}/hello3`);
  assert.deepEqual((await insp('stateModel', 'breaks')).breakpoints.lines, []);
  await page.waitForFunction(() => window.glassbox.inspector.breakDots.length === 0, null, { timeout: 5000 });
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});

test('a machine reset keeps the breakpoints: the new engine has them and the rebuilt program stops on the line', { skip }, async () => {
  await insp('breakAt', 'hello3.c:4', `${HOME}/hello3`);
  await insp('breakAt', 'SIGSEGV');
  assert.equal((await state()).engine_breaks, 2);
  await page.click('#btn-reset');
  await page.click('#reset-dialog button[value="reset"]');
  await waitTerm(page, /machine was reset/);
  await waitTerm(page, PROMPT, 180_000);
  const b = (await insp('stateModel', 'breaks')).breakpoints;
  assert.deepEqual(b.lines, [{ path: `${HOME}/hello3`, file: 'hello3.c', line: 4 }]);
  assert.deepEqual(b.signals, ['SIGSEGV']);
  // the new engine got them (its Status section counts its own breakpoints)
  await until('the new engine\'s breakpoints', async () => (await state()).engine_breaks === 2, 30_000);
  // the files were forgotten: write the program again; its dot is back when it opens
  await writeFile('hello3.c', HELLO);
  await page.evaluate(([p, t]) => window.glassbox.debug.openFile(p, t), [`${HOME}/hello3.c`, `${HELLO.join('\n')}\n`]);
  await page.waitForFunction(() => window.glassbox.inspector.breakDots.join() === '4', null, { timeout: 5000 });
  // built and run on the new machine: the kept breakpoint stops it
  await run(page, 'gcc -g hello3.c -o hello3 && ./hello3', null);
  await breakStop('hello3', 4, 120_000);
  await insp('control', 'clear');
  await insp('control', 'resume');
  await waitTerm(page, /\nv=42\n[^]*\$ ?$/, 60_000);
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});

test('the break box\'s hello4.c:4, typed at the shell\'s prompt, stops ./hello4 when it runs', { skip }, async () => {
  await insp('control', 'clear');
  await writeFile('hello4.c', HELLO);
  await insp('selectTab', 'code');
  await until('the shell followed', async () => !(await state()).halted);
  await insp('breakAt', 'hello4.c:4'); // the break box: no program (the followed one is the shell)
  const b = (await insp('stateModel', 'breaks')).breakpoints;
  assert.deepEqual(b.lines, [{ path: '', file: 'hello4.c', line: 4 }]);
  assert.match(await insp('stateText', 'breaks'), /hello4\.c:4 {2}\(any program built from it\)/);
  await run(page, 'gcc -g hello4.c -o hello4 && ./hello4', null);
  await breakStop('hello4', 4, 120_000);
  await insp('control', 'clear');
  await insp('control', 'resume');
  await waitTerm(page, /\nv=42\n[^]*\$ ?$/, 60_000);
  assert.deepEqual(page.errors.filter((e) => !/favicon/.test(e)), []);
});
