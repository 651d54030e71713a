// The lesson format (docs/lessons.md): a folder per lesson with a manifest (lesson.json),
// Markdown steps and the files to place in the student's home. This module validates a
// manifest into a Lesson and says exactly what is wrong (file, line, field) when it cannot;
// fetching is the caller's (lessons/store.ts). Pure code: no DOM (unit-tested in node).
//
//   lessons/index.json        {"lessons": ["c-hello", ...]}  the catalogue, in order
//   lessons/<id>/lesson.json  title, summary, level, language, minutes, dir, files, steps
//   lessons/<id>/steps/*.md   one Markdown file per step
//   lessons/<id>/files/...    placed in ~/<dir> before the lesson starts ("files")
//   lessons/<id>/solution.json, lessons/<id>/test/wrong.json   reference and wrong
//                             solutions (the tests apply them; students never see them)

export type Level = 'beginner' | 'intermediate' | 'advanced';
export type Compare = 'exact' | 'whitespace' | 'regex' | 'numeric';

/** What a command's result must be. */
export interface CommandCheck {
  kind: 'command';
  title: string;
  /** Shell command (sh -c), run as the student in the lesson's folder, in a fresh process. */
  run: string;
  /** Exit status required (default 0). */
  status?: number;
  /** Regular expressions stdout must / must not match. */
  stdoutMatches?: string;
  stdoutNotMatches?: string;
  timeoutMs?: number;
  /** The message when it fails (else one is made from what happened). */
  message?: string;
}
/** A file's existence or content, relative to the lesson's folder. */
export interface FileCheck {
  kind: 'file';
  title: string;
  path: string;
  /** Default true; false: the file must not exist. */
  exists?: boolean;
  equals?: string;
  matches?: string;
  /** "gcc -Wall -c" style: the file compiles with this command without any output. */
  compiles?: string;
  /** For "compiles". */
  timeoutMs?: number;
  message?: string;
}
/** A program's output on a given stdin. */
export interface OutputCheck {
  kind: 'output';
  title: string;
  run: string;
  stdin?: string;
  expect: string;
  compare?: Compare;
  /** numeric: the largest difference allowed between numbers. */
  tolerance?: number;
  /** The expected output is not shown to the student. */
  hidden?: boolean;
  timeoutMs?: number;
  message?: string;
}
/** One pattern over the machine's trace events of a command. */
export interface EventPattern {
  /** exec, exit, signal, fault, syscall-exit, fs-read, fork (exec events "fork N of M"). */
  event: string;
  /** Regular expression over the event's text (strace line, path, "killed by SIGSEGV"). */
  match: string;
  /** What this pattern means, for the student ("cc1 ran"). */
  says?: string;
  /** In "expect": exactly this many matching events (default: at least one). */
  count?: number;
}
/** Events of the machine while a command runs: our own check kind. */
export interface EventsCheck {
  kind: 'events';
  title: string;
  run: string;
  stdin?: string;
  /** Each must happen at least once. */
  expect?: EventPattern[];
  /** None of these may happen. */
  forbid?: EventPattern[];
  timeoutMs?: number;
  message?: string;
}
export type Check = CommandCheck | FileCheck | OutputCheck | EventsCheck;

export interface Step {
  title: string;
  /** Path of the Markdown text, relative to the lesson folder. */
  text: string;
  checks: Check[];
  /** Unlocked one at a time by the student. */
  hints: string[];
}

export interface Lesson {
  id: string;
  title: string;
  summary: string;
  level: Level;
  language: 'c' | 'python' | 'shell';
  minutes: number;
  /** The student's folder for this lesson, relative to their home. */
  dir: string;
  /** Destination (relative to dir) -> source (relative to the lesson folder). */
  files: Record<string, string>;
  steps: Step[];
}

export class LessonError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${detail}`);
  }
}

const LEVELS: Level[] = ['beginner', 'intermediate', 'advanced'];
const KINDS = ['command', 'file', 'output', 'events'];
const COMPARES: Compare[] = ['exact', 'whitespace', 'regex', 'numeric'];
const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const REL_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0]+$/;

/** The 1-based line of `needle` (a JSON key) in `text`, or 0. */
function lineOf(text: string, needle: string): number {
  const i = text.indexOf(needle);
  return i < 0 ? 0 : text.slice(0, i).split('\n').length;
}

/** JSON.parse with the error's line (V8 says "at position N"). */
export function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : 0;
    throw new LessonError(file, line, `not valid JSON: ${msg}`);
  }
}

/** The catalogue: lesson ids in order. */
export function parseIndex(text: string, file = 'index.json'): string[] {
  const v = parseJson(file, text) as { lessons?: unknown };
  if (!v || typeof v !== 'object' || !Array.isArray(v.lessons)) throw new LessonError(file, 1, '"lessons" must be an array of lesson ids');
  for (const id of v.lessons) {
    if (typeof id !== 'string' || !ID.test(id)) throw new LessonError(file, lineOf(text, JSON.stringify(id)), `bad lesson id ${JSON.stringify(id)} (lower case letters, digits and '-')`);
  }
  return v.lessons as string[];
}

/** Validates lesson.json of lesson `id`. Throws LessonError naming the file, line and field. */
export function parseLesson(id: string, text: string, file = `${id}/lesson.json`): Lesson {
  const v = parseJson(file, text) as Record<string, unknown>;
  const fail = (key: string, detail: string): never => {
    throw new LessonError(file, lineOf(text, `"${key}"`) || 1, detail);
  };
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail('', 'the manifest must be a JSON object');
  const str = (o: Record<string, unknown>, key: string, where: string, required = true): string | undefined => {
    const x = o[key];
    if (x === undefined && !required) return undefined;
    if (typeof x !== 'string' || (required && !x.trim())) fail(key, `${where}"${key}" must be a non-empty string`);
    return x as string;
  };
  const num = (o: Record<string, unknown>, key: string, where: string, min: number, max: number): number | undefined => {
    const x = o[key];
    if (x === undefined) return undefined;
    if (typeof x !== 'number' || !(x >= min && x <= max)) fail(key, `${where}"${key}" must be a number from ${min} to ${max}`);
    return x as number;
  };
  const regex = (o: Record<string, unknown>, key: string, where: string): string | undefined => {
    const r = str(o, key, where, false);
    if (r !== undefined) {
      try {
        new RegExp(r, 'm');
      } catch (e) {
        fail(key, `${where}"${key}" is not a valid regular expression: ${(e as Error).message}`);
      }
    }
    return r;
  };
  const path = (o: Record<string, unknown>, key: string, where: string): string => {
    const p = str(o, key, where)!;
    if (!REL_PATH.test(p)) fail(key, `${where}"${key}" must be a relative path inside the lesson (${JSON.stringify(p)})`);
    return p;
  };

  const level = str(v, 'level', '')! as Level;
  if (!LEVELS.includes(level)) fail('level', `"level" must be one of ${LEVELS.join(', ')}`);
  const language = str(v, 'language', '')!;
  if (!['c', 'python', 'shell'].includes(language)) fail('language', '"language" must be c, python or shell');
  const files: Record<string, string> = {};
  if (v.files !== undefined) {
    if (!v.files || typeof v.files !== 'object' || Array.isArray(v.files)) fail('files', '"files" must map destination paths to source paths');
    for (const [dest, src] of Object.entries(v.files as Record<string, unknown>)) {
      if (!REL_PATH.test(dest)) fail('files', `"files": bad destination ${JSON.stringify(dest)}`);
      if (typeof src !== 'string' || !REL_PATH.test(src)) fail('files', `"files": bad source for ${dest}`);
      files[dest] = src as string;
    }
  }
  if (!Array.isArray(v.steps) || v.steps.length === 0) fail('steps', '"steps" must be a non-empty array');
  const steps = (v.steps as unknown[]).map((s, i): Step => {
    const where = `step ${i + 1}: `;
    if (!s || typeof s !== 'object') fail('steps', `${where}must be an object`);
    const so = s as Record<string, unknown>;
    const checks = (so.checks ?? []) as unknown[];
    if (!Array.isArray(checks)) fail('checks', `${where}"checks" must be an array`);
    const hints = (so.hints ?? []) as unknown[];
    if (!Array.isArray(hints) || hints.some((h) => typeof h !== 'string')) fail('hints', `${where}"hints" must be an array of strings`);
    return {
      title: str(so, 'title', where)!,
      text: path(so, 'text', where),
      hints: hints as string[],
      checks: checks.map((c, j) => {
        const cw = `${where}check ${j + 1}: `;
        if (!c || typeof c !== 'object') fail('checks', `${cw}must be an object`);
        const co = c as Record<string, unknown>;
        const kind = co.kind;
        if (typeof kind !== 'string' || !KINDS.includes(kind)) fail('kind', `${cw}unknown check kind ${JSON.stringify(kind)} (one of ${KINDS.join(', ')})`);
        str(co, 'title', cw);
        str(co, 'message', cw, false);
        num(co, 'timeoutMs', cw, 100, 120_000);
        if (kind === 'command') {
          str(co, 'run', cw);
          num(co, 'status', cw, 0, 255);
          regex(co, 'stdoutMatches', cw);
          regex(co, 'stdoutNotMatches', cw);
        } else if (kind === 'file') {
          path(co, 'path', cw);
          if (co.exists !== undefined && typeof co.exists !== 'boolean') fail('exists', `${cw}"exists" must be true or false`);
          str(co, 'equals', cw, false);
          regex(co, 'matches', cw);
          str(co, 'compiles', cw, false);
        } else if (kind === 'output') {
          str(co, 'run', cw);
          str(co, 'stdin', cw, false);
          if (typeof co.expect !== 'string') fail('expect', `${cw}"expect" must be a string`);
          const cmp = co.compare ?? 'exact';
          if (!COMPARES.includes(cmp as Compare)) fail('compare', `${cw}"compare" must be one of ${COMPARES.join(', ')}`);
          if (cmp === 'regex') regex(co, 'expect', cw);
          num(co, 'tolerance', cw, 0, 1e300);
          if (co.hidden !== undefined && typeof co.hidden !== 'boolean') fail('hidden', `${cw}"hidden" must be true or false`);
        } else {
          str(co, 'run', cw);
          str(co, 'stdin', cw, false);
          const pats = [...((co.expect as unknown[]) ?? []), ...((co.forbid as unknown[]) ?? [])];
          if (!Array.isArray(co.expect ?? []) || !Array.isArray(co.forbid ?? [])) fail('expect', `${cw}"expect" and "forbid" must be arrays`);
          if (!pats.length) fail('expect', `${cw}an events check needs "expect" or "forbid" patterns`);
          for (const p of pats) {
            if (!p || typeof p !== 'object') fail('expect', `${cw}each pattern must be an object`);
            str(p as Record<string, unknown>, 'event', cw);
            regex(p as Record<string, unknown>, 'match', cw);
            if ((p as Record<string, unknown>).match === undefined) fail('match', `${cw}each pattern needs "match"`);
            num(p as Record<string, unknown>, 'count', cw, 0, 1e6);
          }
        }
        return co as unknown as Check;
      }),
    };
  });
  return {
    id,
    title: str(v, 'title', '')!,
    summary: str(v, 'summary', '')!,
    level,
    language: language as Lesson['language'],
    minutes: num(v, 'minutes', '', 1, 600) ?? 15,
    dir: v.dir === undefined ? `lessons/${id}` : path(v, 'dir', ''),
    files,
    steps,
  };
}
