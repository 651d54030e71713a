// A lesson's checks (docs/lessons.md, "Checks"), run against the real machine: every command
// runs in a fresh process of the student's machine through the worker's 'exec' message
// (worker/exec.ts), never on a server. Each result says what was expected and what happened.
// The comparison functions are pure (unit-tested in node); runCheck needs a LessonMachine.
import type { ExecEvent, ExecResult, ExecSpec } from '../engine/protocol';
import type { Check, Compare, EventPattern } from './format';

export interface LessonMachine {
  exec(spec: ExecSpec): Promise<ExecResult>;
  /** The file's bytes, or null when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
}

export interface CheckResult {
  ok: boolean;
  title: string;
  /** One sentence: what was expected and what happened. */
  message: string;
  /** More: the output, a diff line, the events seen. */
  detail?: string;
  ms: number;
}

const MAX_SHOWN = 600;
/** A check command's time limit unless it sets timeoutMs: generous, because the first run of
 *  a program fetches its files from the network and a school laptop may be slow. */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

function clip(s: string, n = MAX_SHOWN): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s;
}

/** A string as the student should read it: visible newlines, quoted. */
export function shown(s: string): string {
  return JSON.stringify(clip(s));
}

/** Where two strings first differ: line and column (1-based), and the two lines. */
export function firstDifference(actual: string, expected: string): { line: number; column: number; actual: string; expected: string } | null {
  if (actual === expected) return null;
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    const al = a[i] ?? '';
    const el = e[i] ?? '';
    if (al !== el || (i >= a.length) !== (i >= e.length)) {
      let c = 0;
      while (c < al.length && c < el.length && al[c] === el[c]) c++;
      return { line: i + 1, column: c + 1, actual: i < a.length ? al : '(no line)', expected: i < e.length ? el : '(no line)' };
    }
  }
  return null;
}

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g;

/** Compares a program's output with the expected text. `why` explains a mismatch. */
export function compareOutput(actual: string, expected: string, mode: Compare = 'exact', tolerance = 1e-6, hidden = false): { ok: boolean; why: string } {
  const norm = (s: string) => s.replace(/\r\n/g, '\n');
  const a = norm(actual);
  const e = norm(expected);
  switch (mode) {
    case 'exact': {
      const d = firstDifference(a, e);
      if (!d) return { ok: true, why: '' };
      if (hidden) return { ok: false, why: `the output differs from the expected output at line ${d.line}, column ${d.column} (your line: ${shown(d.actual)})` };
      return { ok: false, why: `line ${d.line}, column ${d.column}: expected ${shown(d.expected)}, got ${shown(d.actual)}` };
    }
    case 'whitespace': {
      const w = (s: string) => s.split(/\s+/).filter(Boolean);
      const aw = w(a);
      const ew = w(e);
      for (let i = 0; i < Math.max(aw.length, ew.length); i++) {
        if (aw[i] !== ew[i]) {
          if (hidden) return { ok: false, why: `word ${i + 1} of the output differs from the expected output (yours: ${shown(aw[i] ?? '(nothing)')})` };
          return { ok: false, why: `word ${i + 1}: expected ${shown(ew[i] ?? '(nothing)')}, got ${shown(aw[i] ?? '(nothing)')}` };
        }
      }
      return { ok: true, why: '' };
    }
    case 'regex': {
      if (new RegExp(e, 'm').test(a)) return { ok: true, why: '' };
      return { ok: false, why: hidden ? 'the output does not have the expected form' : `the output does not match /${e}/` };
    }
    case 'numeric': {
      const an = a.match(NUMBER) ?? [];
      const en = e.match(NUMBER) ?? [];
      if (an.length !== en.length) return { ok: false, why: `expected ${en.length} numbers in the output, found ${an.length}` };
      for (let i = 0; i < en.length; i++) {
        const d = Math.abs(Number(an[i]) - Number(en[i]));
        if (!(d <= tolerance)) {
          if (hidden) return { ok: false, why: `number ${i + 1} of the output (${an[i]}) is not the expected value` };
          return { ok: false, why: `number ${i + 1}: expected ${en[i]} (± ${tolerance}), got ${an[i]}` };
        }
      }
      return { ok: true, why: '' };
    }
  }
}

/** Whether one event matches a pattern. "fork" is an exec event whose text starts "fork ". */
export function eventMatches(ev: ExecEvent, p: EventPattern): boolean {
  const forkLike = ev.kind === 'exec' && /^(fork|thread) \d+ of /.test(ev.text);
  if (p.event === 'fork') {
    if (!forkLike) return false;
  } else if (p.event === 'exec') {
    if (ev.kind !== 'exec' || forkLike) return false;
  } else if (ev.kind !== p.event) {
    return false;
  }
  return new RegExp(p.match).test(ev.text);
}

/** Checks event patterns against the events of a run. */
export function matchEvents(events: ExecEvent[], expect: EventPattern[] = [], forbid: EventPattern[] = []): { ok: boolean; why: string } {
  const describe = (p: EventPattern) => p.says ?? `${p.event} /${p.match}/`;
  const parts: string[] = [];
  const counted = expect.filter((p) => p.count !== undefined);
  for (const p of counted) {
    const n = events.filter((e) => eventMatches(e, p)).length;
    if (n !== p.count) parts.push(`${describe(p)}: expected ${p.count} time${p.count === 1 ? '' : 's'}, happened ${n} time${n === 1 ? '' : 's'}`);
  }
  const missing = expect.filter((p) => p.count === undefined && !events.some((e) => eventMatches(e, p)));
  const seen = forbid.map((p) => [p, events.find((e) => eventMatches(e, p))] as const).filter(([, e]) => e);
  if (missing.length) parts.push(`did not happen: ${missing.map(describe).join('; ')}`);
  if (seen.length) parts.push(`happened but should not: ${seen.map(([p, e]) => `${describe(p)} (${clip(e!.text, 120)})`).join('; ')}`);
  return { ok: parts.length === 0, why: parts.join('. ') };
}

/** How a command ended, in words. */
export function ending(r: ExecResult): string {
  if (r.timedOut) return `did not finish in time and was stopped`;
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with status ${r.code}`;
}

function sh(run: string, cwd: string, timeoutMs: number | undefined, stdin?: string, events = false): ExecSpec {
  return { argv: ['/bin/sh', '-c', run], cwd, stdin, timeoutMs: timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, events };
}

function outputDetail(r: ExecResult): string {
  const parts: string[] = [];
  if (r.stdout) parts.push(`stdout:\n${clip(r.stdout)}${r.stdoutTruncated ? '\n(cut)' : ''}`);
  if (r.stderr) parts.push(`stderr:\n${clip(r.stderr)}${r.stderrTruncated ? '\n(cut)' : ''}`);
  return parts.join('\n');
}

/** Runs one check with the lesson's folder `dir` (absolute) as the working directory. */
export async function runCheck(c: Check, dir: string, m: LessonMachine): Promise<CheckResult> {
  const t0 = performance.now();
  const done = (ok: boolean, message: string, detail?: string): CheckResult => ({
    ok,
    title: c.title,
    message: ok ? message : (c.message ? `${c.message} (${message})` : message),
    detail,
    ms: Math.round(performance.now() - t0),
  });
  try {
    switch (c.kind) {
      case 'command': {
        const r = await m.exec(sh(c.run, dir, c.timeoutMs));
        const want = c.status ?? 0;
        if (r.timedOut || r.signal || r.code !== want) return done(false, `\`${c.run}\` ${ending(r)}; expected status ${want}`, outputDetail(r));
        if (c.stdoutMatches && !new RegExp(c.stdoutMatches, 'm').test(r.stdout)) return done(false, `the output of \`${c.run}\` does not match /${c.stdoutMatches}/`, outputDetail(r));
        if (c.stdoutNotMatches && new RegExp(c.stdoutNotMatches, 'm').test(r.stdout)) return done(false, `the output of \`${c.run}\` matches /${c.stdoutNotMatches}/ and should not`, outputDetail(r));
        return done(true, `\`${c.run}\` ${ending(r)}`);
      }
      case 'file': {
        const path = `${dir}/${c.path}`;
        const bytes = await m.readFile(path);
        const mustExist = c.exists ?? true;
        if (!mustExist) return bytes ? done(false, `${c.path} exists and should not`) : done(true, `${c.path} does not exist`);
        if (!bytes) return done(false, `${c.path} does not exist in ${dir}`);
        const text = new TextDecoder().decode(bytes);
        if (c.equals !== undefined) {
          const d = firstDifference(text, c.equals);
          if (d) return done(false, `${c.path}, line ${d.line}: expected ${shown(d.expected)}, found ${shown(d.actual)}`);
        }
        if (c.matches && !new RegExp(c.matches, 'm').test(text)) return done(false, `${c.path} does not contain what was asked (/${c.matches}/)`);
        if (c.compiles) {
          const cmd = `${c.compiles} '${c.path.replace(/'/g, `'\\''`)}'`;
          const r = await m.exec(sh(cmd, dir, c.timeoutMs ?? 30_000));
          if (r.timedOut || r.signal || r.code !== 0) return done(false, `\`${cmd}\` failed: it ${ending(r)}`, outputDetail(r));
          if (r.stdout.trim() || r.stderr.trim()) return done(false, `\`${cmd}\` printed warnings`, outputDetail(r));
          return done(true, `${c.path} compiles cleanly with \`${c.compiles}\``);
        }
        return done(true, `${c.path} is as expected`);
      }
      case 'output': {
        const r = await m.exec(sh(c.run, dir, c.timeoutMs, c.stdin ?? ''));
        if (r.timedOut) return done(false, `\`${c.run}\` ${ending(r)} (an endless loop, or waiting for input?)`, outputDetail(r));
        if (r.signal) return done(false, `\`${c.run}\` ${ending(r)}`, outputDetail(r));
        const cmp = compareOutput(r.stdout, c.expect, c.compare, c.tolerance, c.hidden);
        if (!cmp.ok) return done(false, `the output of \`${c.run}\` is not right: ${cmp.why}`, outputDetail(r));
        return done(true, `\`${c.run}\` printed the expected output`);
      }
      case 'events': {
        const r = await m.exec(sh(c.run, dir, c.timeoutMs, c.stdin ?? '', true));
        const ev = matchEvents(r.events, c.expect, c.forbid);
        const detail = `\`${c.run}\` ${ending(r)}; ${r.events.length} events${r.eventsTruncated ? ' (the first ones)' : ''}\n${outputDetail(r)}`;
        if (!ev.ok) return done(false, `while \`${c.run}\` ran, ${ev.why}`, detail);
        return done(true, `the machine did what was asked while \`${c.run}\` ran`);
      }
    }
  } catch (e) {
    return done(false, `the check could not run: ${(e as Error).message}`);
  }
}
