// Every shipped lesson against the real engine in headless Chromium (issue 13): open it
// (its files are placed in ~/lessons/ID), apply the reference solution step by step
// (lessons/ID/solution.json: files written through the IDE's file API, commands run in the
// machine) and see every check of every step pass; then reset the files, apply the wrong
// solution (lessons/ID/test/wrong.json) and see the named check fail with the expected
// message. Then reload the page: the progress is still there (IndexedDB), and a deep link
// opens a lesson at a step. Last, a lessons folder with a broken lesson (bad manifest,
// missing step file) loads the good one and names the broken ones' file and line.
//
// Figures (build/test-artifacts/lessons-figures.json): ms from opening a lesson to its
// first check result, and the time of each check run.
//
// Skipped (with the reason) when the site has no engine or no image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BASE_URL, launch, openIde, screenshot } from './lib/browser.mjs';
import { ROOT, ARTIFACTS, siteSkipReason } from './lib/paths.mjs';
import { PROMPT, waitTerm } from './lib/terminal.mjs';

const SITE = path.join(ROOT, 'build/site');
const skip = siteSkipReason(SITE) || (!fs.existsSync(path.join(SITE, 'lessons/index.json')) && 'the site has no lessons (node web/build.mjs)');
const LESSONS = path.join(ROOT, 'lessons');
const HOME = '/home/student';
const ids = JSON.parse(fs.readFileSync(path.join(LESSONS, 'index.json'), 'utf8')).lessons;

let ctx;
let page;
const figures = { firstResultMs: {}, checkRunMs: {} };

async function boot(url = BASE_URL) {
  page = await openIde(ctx, url, { waitFor: 'page' });
  await waitTerm(page, PROMPT, 180_000);
  await page.waitForFunction(() => window.glassbox.lessons !== null, null, { timeout: 30_000 });
  await page.evaluate(() => window.glassbox.lessons.ready);
}

before(async () => {
  if (skip) return;
  ctx = await launch({ viewport: { width: 1600, height: 900 } });
  await boot();
});

after(async () => {
  if (!skip) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'lessons-figures.json'), JSON.stringify(figures, null, 1) + '\n');
    console.log(`lessons figures: first check result after opening (ms) ${JSON.stringify(figures.firstResultMs)}; check runs (ms) ${JSON.stringify(figures.checkRunMs)}`);
  }
  await ctx?.close();
});

const state = () => page.evaluate(() => window.glassbox.lessons.state);

/** Writes `files` (dest -> source, relative to the lesson folder) and runs `run` in the lesson's folder. */
async function apply(id, entry) {
  const dir = `${HOME}/lessons/${id}`;
  for (const [dest, src] of Object.entries(entry.files ?? {})) {
    const text = fs.readFileSync(path.join(LESSONS, id, src), 'utf8');
    await page.evaluate(([p, t]) => window.glassbox.client.write(p, t), [`${dir}/${dest}`, text]);
  }
  for (const cmd of entry.run ?? []) {
    const r = await page.evaluate(([c, d]) => window.glassbox.client.exec({ argv: ['/bin/sh', '-c', c], cwd: d, timeoutMs: 60_000 }), [cmd, dir]);
    assert.equal(r.code, 0, `${id}: \`${cmd}\` ${r.signal ? `killed by ${r.signal}` : `exited ${r.code}`}\n${r.stdout}${r.stderr}`);
  }
}

/** Runs the current step's checks (after any automatic run in progress) and times it. */
async function check(id) {
  const t0 = Date.now();
  const results = await page.evaluate(() => window.glassbox.lessons.runChecks());
  (figures.checkRunMs[id] ??= []).push(Date.now() - t0);
  return results;
}

test('the catalogue loads every lesson of lessons/index.json, none broken', { skip }, async () => {
  const s = await state();
  assert.deepEqual(s.lessons, ids);
  assert.deepEqual(s.broken, []);
  await screenshot(page, 'lessons-catalogue');
});

for (const id of ids) {
  test(`${id}: the reference solution passes every check; the wrong one fails with its message`, { skip, timeout: 900_000 }, async () => {
    const lesson = JSON.parse(fs.readFileSync(path.join(LESSONS, id, 'lesson.json'), 'utf8'));
    const sol = JSON.parse(fs.readFileSync(path.join(LESSONS, id, 'solution.json'), 'utf8'));
    const wrong = JSON.parse(fs.readFileSync(path.join(LESSONS, id, 'test/wrong.json'), 'utf8'));
    // open: files placed, the first step's checks run (and fail: nothing is done yet)
    await page.evaluate((i) => window.glassbox.lessons.open(i, 0), id);
    await page.waitForFunction(() => window.glassbox.lessons.firstResultMs > 0, null, { timeout: 120_000 });
    figures.firstResultMs[id] = await page.evaluate(() => window.glassbox.lessons.firstResultMs);
    for (const [dest] of Object.entries(lesson.files ?? {})) {
      const st = await page.evaluate((p) => window.glassbox.client.stat(p), `${HOME}/lessons/${id}/${dest}`);
      assert.ok(st, `${dest} placed`);
    }
    for (let i = 0; i < lesson.steps.length; i++) {
      await page.evaluate((n) => window.glassbox.lessons.goto(n), i);
      await apply(id, sol.steps[i]);
      const results = await check(id);
      const failed = results.filter((r) => !r.ok);
      assert.deepEqual(failed.map((r) => `${r.title}: ${r.message}\n${r.detail ?? ''}`), [], `${id} step ${i + 1}`);
      assert.equal(results.length, lesson.steps[i].checks.length);
    }
    const s = await state();
    assert.ok(s.steps.every((x) => x.passed), `${id}: every step passed`);
    await screenshot(page, `lessons-${id}`);

    // the wrong solution, from the lesson's starting files
    await page.evaluate(() => window.glassbox.lessons.resetFiles());
    for (let i = 0; i < wrong.step - 1; i++) await apply(id, sol.steps[i]);
    await apply(id, wrong);
    await page.evaluate((n) => window.glassbox.lessons.goto(n), wrong.step - 1);
    const results = await check(id);
    const r = results.find((x) => x.title === wrong.fails);
    assert.ok(r, `${id}: the check "${wrong.fails}" ran (${results.map((x) => x.title).join(', ')})`);
    assert.equal(r.ok, false, `${id}: "${wrong.fails}" fails on the wrong solution`);
    assert.ok(r.message.includes(wrong.message), `${id}: message ${JSON.stringify(r.message)} has ${JSON.stringify(wrong.message)}`);
    await screenshot(page, `lessons-${id}-wrong`);
    // put the reference solution back for the reload test
    for (let i = 0; i < lesson.steps.length; i++) await apply(id, sol.steps[i]);
  });
}

test('a check cannot hang: a flood is capped, an endless program is killed at its timeout, a missing program is an error', { skip }, async () => {
  const exec = (spec) => page.evaluate((sp) => window.glassbox.client.exec(sp), spec);
  const flood = await exec({ argv: ['/usr/bin/yes', 'spam'], cap: 10000, timeoutMs: 3000 });
  assert.equal(flood.timedOut, true);
  assert.equal(flood.signal, 'SIGKILL');
  assert.equal(flood.stdout.length, 10000);
  assert.equal(flood.stdoutTruncated, true);
  const t0 = Date.now();
  const sleeper = await exec({ argv: ['/bin/sh', '-c', 'sleep 100 & sleep 100'], timeoutMs: 1500 });
  assert.equal(sleeper.timedOut, true, 'killed at the timeout, with the background child of its group');
  assert.ok(Date.now() - t0 < 10_000, `ended in ${Date.now() - t0} ms`);
  await assert.rejects(exec({ argv: ['/no/such/program'] }), /\/no\/such\/program/);
  const echo = await exec({ argv: ['/bin/cat'], stdin: 'piped in' });
  assert.equal(echo.stdout, 'piped in');
  assert.equal(echo.code, 0);
});

test('Export downloads the lesson\'s files and results as one tar', { skip }, async () => {
  await page.evaluate(() => window.glassbox.lessons.open('c-hello', 0));
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#lessons [data-act="export"]').click()]);
  assert.equal(download.suggestedFilename(), 'c-hello-work.tar');
  const file = path.join(ARTIFACTS, 'c-hello-work.tar');
  await download.saveAs(file);
  const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.ok(names.includes('c-hello/results.json'), names.join(' '));
  assert.ok(names.includes('c-hello/files/hello.c'), names.join(' '));
  const results = JSON.parse(execFileSync('tar', ['-xOf', file, 'c-hello/results.json'], { encoding: 'utf8' }));
  assert.equal(results.lesson, 'c-hello');
  assert.equal(results.steps.length, 2);
  assert.ok(results.steps.every((st) => st.passed && st.results.length > 0));
});

test('progress is kept across a reload; a deep link opens a lesson at a step', { skip }, async () => {
  await page.close();
  await boot(new URL('?lesson=c-hello&step=2', BASE_URL).href);
  await page.waitForFunction(() => window.glassbox.lessons.state.current === 'c-hello', null, { timeout: 30_000 });
  const s = await state();
  assert.equal(s.step, 1);
  assert.ok(s.steps.every((x) => x.passed), 'both steps of c-hello are still passed after the reload');
  await page.evaluate(() => window.glassbox.lessons.showCatalogue());
  const progress = await page.locator('#lessons .lesson-progress').allTextContents();
  assert.equal(progress[0], '2/2 steps');
});

test('a broken lesson is named with its file and line; the good ones still load', { skip }, async () => {
  const dir = path.join(SITE, 'test-lessons');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(SITE, 'lessons/c-hello'), path.join(dir, 'c-hello'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bad-json'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bad-json/lesson.json'), '{\n  "title": "x",\n  "level": "beginner"\n  "language": "c"\n}\n');
  fs.cpSync(path.join(SITE, 'lessons/c-hello'), path.join(dir, 'no-step'), { recursive: true });
  fs.rmSync(path.join(dir, 'no-step/steps/02-pipeline.md'));
  fs.mkdirSync(path.join(dir, 'bad-kind'), { recursive: true });
  const m = JSON.parse(fs.readFileSync(path.join(SITE, 'lessons/c-hello/lesson.json'), 'utf8'));
  m.steps[0].checks[0].kind = 'telepathy';
  fs.writeFileSync(path.join(dir, 'bad-kind/lesson.json'), JSON.stringify(m, null, 2));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ lessons: ['c-hello', 'bad-json', 'no-step', 'bad-kind', 'absent'] }));
  try {
    await page.close();
    await boot(new URL(`?lessons=${encodeURIComponent(new URL('test-lessons/', BASE_URL).href)}`, BASE_URL).href);
    const s = await state();
    assert.deepEqual(s.lessons, ['c-hello']);
    const errs = Object.fromEntries(s.broken.map((b) => [b.id, b.error]));
    assert.match(errs['bad-json'], /^bad-json\/lesson\.json:4: not valid JSON/);
    assert.match(errs['no-step'], /^no-step\/lesson\.json: missing file: no-step\/steps\/02-pipeline\.md/);
    assert.match(errs['bad-kind'], /^bad-kind\/lesson\.json:\d+: step 1: check 1: unknown check kind "telepathy"/);
    assert.match(errs.absent, /absent\/lesson\.json: HTTP 404/);
    await screenshot(page, 'lessons-broken');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
