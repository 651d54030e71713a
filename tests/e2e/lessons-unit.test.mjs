// Node tests of the lesson format and checks (ide/src/lessons/): manifest validation with
// the file, line and field of each mistake; every output comparison and its message; event
// patterns; the Markdown subset and its escaping; and every shipped lesson (lessons/) parses,
// has its step texts and files, and its reference and wrong solutions name real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { importTs } from './lib/ts.mjs';
import { ROOT } from './lib/paths.mjs';

const fmt = await importTs('ide/src/lessons/format.ts');
const checks = await importTs('ide/src/lessons/checks.ts');
const md = await importTs('ide/src/lessons/markdown.ts');

const good = {
  title: 'T',
  summary: 'S',
  level: 'beginner',
  language: 'c',
  minutes: 10,
  files: { 'a.c': 'files/a.c' },
  steps: [{ title: 'one', text: 'steps/1.md', checks: [{ kind: 'output', title: 'prints', run: './a', expect: 'x\n' }], hints: ['h'] }],
};
const text = (o) => JSON.stringify(o, null, 2);

// ---- format -------------------------------------------------------------------------------

test('format: a good manifest parses, with defaults', () => {
  const l = fmt.parseLesson('demo', text(good));
  assert.equal(l.id, 'demo');
  assert.equal(l.dir, 'lessons/demo');
  assert.equal(l.steps[0].checks[0].kind, 'output');
  assert.deepEqual(l.steps[0].hints, ['h']);
});

test('format: mistakes name the file, the line and the field', () => {
  const bad = (mut, re) => {
    const o = structuredClone(good);
    mut(o);
    const t = text(o);
    assert.throws(() => fmt.parseLesson('demo', t), (e) => {
      assert.ok(e instanceof fmt.LessonError, String(e));
      assert.match(e.message, re);
      assert.match(e.message, /^demo\/lesson\.json:\d+: /);
      return true;
    });
  };
  bad((o) => (o.level = 'expert'), /"level" must be one of beginner/);
  bad((o) => delete o.title, /"title" must be a non-empty string/);
  bad((o) => (o.steps = []), /"steps" must be a non-empty array/);
  bad((o) => (o.steps[0].checks[0].kind = 'magic'), /step 1: check 1: unknown check kind "magic"/);
  bad((o) => (o.steps[0].checks[0].compare = 'fuzzy'), /"compare" must be one of exact/);
  bad((o) => (o.steps[0].checks[0] = { kind: 'events', title: 'e', run: 'x' }), /needs "expect" or "forbid"/);
  bad((o) => (o.steps[0].checks[0] = { kind: 'command', title: 'c', run: 'x', stdoutMatches: '(' }), /not a valid regular expression/);
  bad((o) => (o.files = { '../etc/passwd': 'files/a.c' }), /bad destination/);
  bad((o) => (o.steps[0].text = '/etc/passwd'), /relative path inside the lesson/);
  bad((o) => (o.steps[0].hints = [3]), /"hints" must be an array of strings/);
  // the line of the offending key
  const o = structuredClone(good);
  o.level = 'expert';
  const t = text(o);
  const line = t.split('\n').findIndex((l) => l.includes('"level"')) + 1;
  assert.throws(() => fmt.parseLesson('demo', t), new RegExp(`lesson\\.json:${line}: `));
});

test('format: broken JSON gives its line; the index checks ids', () => {
  assert.throws(() => fmt.parseLesson('demo', '{\n  "title": "x",\n  oops\n}'), /demo\/lesson\.json:3: not valid JSON/);
  assert.deepEqual(fmt.parseIndex('{"lessons": ["a-1", "b"]}'), ['a-1', 'b']);
  assert.throws(() => fmt.parseIndex('{"lessons": ["../x"]}'), /bad lesson id/);
  assert.throws(() => fmt.parseIndex('[]'), /"lessons" must be an array/);
});

// ---- comparisons and events ------------------------------------------------------------

test('checks: exact comparison says where and what differs, hidden says less', () => {
  assert.deepEqual(checks.compareOutput('a\nb\n', 'a\nb\n'), { ok: true, why: '' });
  assert.deepEqual(checks.compareOutput('a\r\nb\r\n', 'a\nb\n'), { ok: true, why: '' });
  const r = checks.compareOutput('Hello world\n', 'Hello, world!\n');
  assert.equal(r.ok, false);
  assert.equal(r.why, 'line 1, column 6: expected "Hello, world!", got "Hello world"');
  const missing = checks.compareOutput('a\n', 'a\nb\n');
  assert.match(missing.why, /line 2, column 1: expected "b", got ""/);
  const h = checks.compareOutput('42\n', '43\n', 'exact', 0, true);
  assert.equal(h.ok, false);
  assert.doesNotMatch(h.why, /43/);
  assert.match(h.why, /line 1, column 2 \(your line: "42"\)/);
});

test('checks: whitespace, regex and numeric comparisons', () => {
  assert.equal(checks.compareOutput('  a   b\n\nc ', 'a b c', 'whitespace').ok, true);
  assert.equal(checks.compareOutput('a b d', 'a b c', 'whitespace').why, 'word 3: expected "c", got "d"');
  assert.equal(checks.compareOutput('total: 17 items', '^total: \\d+ items$', 'regex').ok, true);
  assert.match(checks.compareOutput('total: x', '^total: \\d+', 'regex').why, /does not match/);
  assert.equal(checks.compareOutput('pi = 3.14159', 'pi = 3.1416', 'numeric', 1e-3).ok, true);
  assert.equal(checks.compareOutput('pi = 3.2', 'pi = 3.1416', 'numeric', 1e-3).why, 'number 1: expected 3.1416 (± 0.001), got 3.2');
  assert.equal(checks.compareOutput('1 2', '1 2 3', 'numeric').why, 'expected 3 numbers in the output, found 2');
  assert.equal(checks.compareOutput('1e3', '1000', 'numeric', 0).ok, true);
});

test('checks: event patterns (exec vs fork, counts, forbidden events)', () => {
  const ev = [
    { kind: 'exec', pid: 5, nr: 0, ret: 0, text: '/usr/bin/gcc' },
    { kind: 'exec', pid: 6, nr: 0, ret: 0, text: 'fork 6 of 5' },
    { kind: 'exec', pid: 6, nr: 0, ret: 0, text: '/usr/lib/gcc/x86_64-linux-gnu/12/cc1' },
    { kind: 'syscall-exit', pid: 6, nr: 1, ret: 3, text: 'write(1, "hi\\n", 3) = 3' },
    { kind: 'exit', pid: 6, nr: 0, ret: 139, text: 'killed by SIGSEGV' },
  ];
  assert.equal(checks.eventMatches(ev[1], { event: 'fork', match: '.' }), true);
  assert.equal(checks.eventMatches(ev[1], { event: 'exec', match: '.' }), false);
  assert.deepEqual(checks.matchEvents(ev, [{ event: 'exec', match: '/cc1$' }]), { ok: true, why: '' });
  const r = checks.matchEvents(ev, [{ event: 'exec', match: '/as$', says: 'as ran' }, { event: 'exec', match: '/cc1$', count: 2, says: 'cc1 ran' }], [{ event: 'exit', match: 'killed by', says: 'a signal' }]);
  assert.equal(r.ok, false);
  assert.equal(r.why, 'cc1 ran: expected 2 times, happened 1 time. did not happen: as ran. happened but should not: a signal (killed by SIGSEGV)');
});

test('checks: how a command ended, in words', () => {
  const base = { stdout: '', stderr: '', events: [], status: 0, stdoutTruncated: false, stderrTruncated: false, eventsTruncated: false, ms: 1 };
  assert.equal(checks.ending({ ...base, code: 3, signal: null, timedOut: false }), 'exited with status 3');
  assert.equal(checks.ending({ ...base, code: null, signal: 'SIGSEGV', timedOut: false }), 'was killed by SIGSEGV');
  assert.equal(checks.ending({ ...base, code: null, signal: 'SIGKILL', timedOut: true }), 'did not finish in time and was stopped');
});

// ---- markdown ------------------------------------------------------------------------------

test('markdown: the subset, and nothing of the lesson reaches the page unescaped', () => {
  const h = md.renderMarkdown('# Title\n\nSome **bold** and *it* and `a<b>`.\n\n- one\n- two\n\n```run\nls -l\n```\n\n[f](file:a.c) [i](inspector:syscalls) [w](https://example.org/x?a=1&b=2)');
  assert.match(h, /<h3>Title<\/h3>/);
  assert.match(h, /<strong>bold<\/strong> and <em>it<\/em> and <code>a&lt;b&gt;<\/code>/);
  assert.match(h, /<ul><li>one<\/li><li>two<\/li><\/ul>/);
  assert.match(h, /data-run="ls -l"/);
  assert.match(h, /data-open-file="a.c"/);
  assert.match(h, /data-inspector="syscalls"/);
  assert.match(h, /href="https:\/\/example.org\/x\?a=1&amp;b=2" target="_blank" rel="noopener noreferrer"/);
  const evil = md.renderMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))\n\n```run\n"><script>\n```');
  assert.doesNotMatch(evil, /<script|<img|javascript:/);
  assert.match(evil, /&lt;script&gt;/);
});

// ---- the shipped lessons -----------------------------------------------------------------

const LESSONS = path.join(ROOT, 'lessons');
const ids = fmt.parseIndex(fs.readFileSync(path.join(LESSONS, 'index.json'), 'utf8'));

test('lessons: the catalogue lists every lesson folder', () => {
  const dirs = fs.readdirSync(LESSONS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  assert.deepEqual([...ids].sort(), dirs);
});

for (const id of ids) {
  test(`lessons: ${id} parses; its steps, files and solutions exist`, () => {
    const dir = path.join(LESSONS, id);
    const l = fmt.parseLesson(id, fs.readFileSync(path.join(dir, 'lesson.json'), 'utf8'));
    for (const s of l.steps) {
      assert.ok(fs.existsSync(path.join(dir, s.text)), `${id}/${s.text}`);
      assert.ok(s.checks.length > 0 || s.hints.length === 0, `${id}: step "${s.title}" has hints but nothing to check`);
      md.renderMarkdown(fs.readFileSync(path.join(dir, s.text), 'utf8'));
    }
    for (const src of Object.values(l.files)) assert.ok(fs.existsSync(path.join(dir, src)), `${id}/${src}`);
    const sol = JSON.parse(fs.readFileSync(path.join(dir, 'solution.json'), 'utf8'));
    assert.equal(sol.steps.length, l.steps.length, `${id}: one solution entry per step`);
    const wrong = JSON.parse(fs.readFileSync(path.join(dir, 'test/wrong.json'), 'utf8'));
    for (const src of [...sol.steps.flatMap((s) => Object.values(s.files ?? {})), ...Object.values(wrong.files ?? {})]) {
      assert.ok(fs.existsSync(path.join(dir, src)), `${id}/${src}`);
    }
    const step = l.steps[wrong.step - 1];
    assert.ok(step, `${id}: wrong.json names step ${wrong.step}`);
    assert.ok(step.checks.some((c) => c.title === wrong.fails), `${id}: wrong.json's check "${wrong.fails}" is in step ${wrong.step}`);
  });
}
