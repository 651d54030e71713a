// gcc-style diagnostics from the terminal's output, as data for editor markers.
//
// gcc, cc1, as and ld print `file:line:col: error: message` (also `fatal error`, `warning`,
// `note`, and `file:line: error: message` without a column). The terminal output is the
// pty's raw stream, so colours (gcc colours its output on a terminal) and carriage
// returns are stripped first. Pure code: no Monaco, no DOM (unit-tested in node).

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  /** The path as printed (relative to the shell's working directory, or absolute). */
  file: string;
  line: number;
  /** 1-based; 1 when gcc gave no column. */
  column: number;
  severity: Severity;
  message: string;
  /** gcc's option in brackets at the end of a warning, e.g. "-Wunused-variable". */
  option?: string;
}

// CSI sequences (colours, cursor), OSC sequences (titles, hyperlinks: gcc prints URLs for
// options with OSC 8), and other two-byte escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

const LINE = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*)$/;

/** Parses one line of output; undefined if it is not a diagnostic. */
export function parseDiagnosticLine(raw: string): Diagnostic | undefined {
  const text = stripAnsi(raw).replace(/\r/g, '').trimEnd();
  const m = LINE.exec(text);
  if (!m) return undefined;
  const file = m[1].trim();
  // "In file included from x.c:3:" and similar context lines do not match (no severity),
  // but guard against make's "make: *** [Makefile:3: all] Error 1" style prefixes anyway.
  if (file.includes(' ') && !file.startsWith('/')) {
    const last = file.split(' ').pop()!;
    if (!/[./]/.test(last)) return undefined;
  }
  let message = m[5];
  let option: string | undefined;
  const opt = /\s\[(-W[^\]]+|-f[^\]]+|enabled by default)\]$/.exec(message);
  if (opt) {
    option = opt[1];
    message = message.slice(0, opt.index);
  }
  return {
    file,
    line: Number(m[2]),
    column: m[3] ? Number(m[3]) : 1,
    severity: m[4] === 'fatal error' ? 'error' : (m[4] as Severity),
    message,
    option,
  };
}

export function parseDiagnostics(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of text.split('\n')) {
    const d = parseDiagnosticLine(line);
    if (d) out.push(d);
  }
  return out;
}

/** Commands whose diagnostics replace the previous build's. */
export const BUILD_COMMAND = /(^|[\s;&|(])(gcc|cc|g\+\+|c\+\+|clang|make|as|ld|cpp)(\s|$)/;

/**
 * Line-buffers terminal output and collects the diagnostics of the last build.
 * `commandStarted(line)` is called when the user presses Enter, with the terminal line the
 * command was typed on; if it looks like a build the collected diagnostics are cleared.
 */
export class DiagnosticsCollector {
  private partial = '';
  private decoder = new TextDecoder();
  diagnostics: Diagnostic[] = [];
  /** Called after every change to `diagnostics`. */
  onChange: (diags: Diagnostic[]) => void = () => undefined;

  commandStarted(line: string): void {
    if (BUILD_COMMAND.test(stripAnsi(line))) {
      this.diagnostics = [];
      this.onChange(this.diagnostics);
    }
  }

  feedBytes(bytes: Uint8Array): void {
    this.feedText(this.decoder.decode(bytes, { stream: true }));
  }

  feedText(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > 8192) this.partial = this.partial.slice(-8192);
    let changed = false;
    for (const l of lines) {
      const d = parseDiagnosticLine(l);
      if (d) {
        this.diagnostics.push(d);
        changed = true;
      }
    }
    if (changed) this.onChange(this.diagnostics);
  }

  clear(): void {
    this.diagnostics = [];
    this.partial = '';
    this.onChange(this.diagnostics);
  }
}

/**
 * The keys typed since the last Enter, as the page saw them. The terminal row under the
 * cursor is the better record of a command (it shows history recall and tab completion),
 * but it only holds what the guest has echoed back; a fast typist (or a loaded machine)
 * presses Enter before the echo of `gcc ...` arrives, and the build would not clear the
 * old markers. So Enter checks both: the row, and these keys.
 */
export class TypedLine {
  private text = '';

  /** Feeds xterm's onData string; returns the lines completed by Enter (usually 0 or 1). */
  feed(data: string): string[] {
    const done: string[] = [];
    // drop escape sequences (arrows, function keys): they edit the line in ways only the
    // guest's line editor knows; what was typed around them still counts
    const clean = data.replace(/\x1b(\[[0-?]*[ -/]*[@-~]|O.|.)/g, '');
    for (const ch of clean) {
      if (ch === '\r' || ch === '\n') {
        done.push(this.text);
        this.text = '';
      } else if (ch === '\x7f' || ch === '\b') {
        this.text = this.text.slice(0, -1);
      } else if (ch === '\x03' || ch === '\x15') {
        this.text = ''; // ^C, ^U
      } else if (ch >= ' ' || ch === '\t') {
        if (this.text.length < 8192) this.text += ch;
      }
    }
    return done;
  }
}

/**
 * Whether a diagnostic's file names the guest file `path`. gcc prints paths relative to
 * the shell's directory, which the page does not know, so a relative name matches any
 * open file whose path ends with it (`hello.c` matches `/home/student/hello.c`,
 * `src/a.c` matches `/home/student/proj/src/a.c`).
 */
export function diagnosticMatchesPath(file: string, path: string, home = '/home/student'): boolean {
  if (file.startsWith('/')) return normalise(file) === path;
  if (file.startsWith('~/')) return normalise(home + file.slice(1)) === path;
  const rel = normalise('/' + file);
  return path === rel || path.endsWith(rel);
}

function normalise(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}
