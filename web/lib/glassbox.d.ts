// The Glassbox JavaScript API: a Linux machine in your own page, without the IDE.
// The declarations of lib/glassbox.js (built from web/lib/index.ts by web/build.mjs; the
// implementation is checked against this file). docs/api.md shows how to use it.
//
//   import { Glassbox } from './lib/glassbox.js';
//   const vm = await Glassbox.create({ storage: 'memory' });
//   const status = await vm.run(['/bin/sh', '-c', 'echo hi'], { onOutput: (s, t) => console.log(s, t) });

/** Where the machine's changed disk blocks are kept: `'memory'` (gone with the page) or
 *  `'indexeddb:<name>'` (kept in this origin's IndexedDB database `<name>`, restored by the
 *  next `create` with the same name; two machines must not share a name). */
export type StorageSpec = 'memory' | `indexeddb:${string}`;

export interface CreateOptions {
  /** URL of the image's manifest.json (default: the site's image/manifest.json, next to lib/). */
  image?: string;
  /** Default 'memory'. */
  storage?: StorageSpec;
  /** The network relay's URL (docs/networking.md). */
  relay?: string;
  /** Guest memory in MiB (16..3072; default: what the tab can hold). */
  memoryMb?: number;
  /** The console's size until a terminal says otherwise (default 24 x 80). */
  rows?: number;
  cols?: number;
  /** Where the site is (engine/, assets/, image/): default the folder above lib/glassbox.js. */
  base?: string;
  /** The execution tier: 'on' (default) compiles hot guest code to WebAssembly
   *  (docs/jit.md); 'off' interprets every instruction. */
  jit?: 'off' | 'on';
  /** Fetch the disk chunks of the files a lab's first gcc and python3 read in the
   *  background once the machine is at its prompt (the site's image/warm.json), so the
   *  first run does not wait on them (default true). */
  warm?: boolean;
  /** How long a download may go without receiving a byte before it is given up as stalled
   *  and tried again (the engine's module and the image's manifest: four tries, 1, 2 and
   *  4 s apart; then `ready` rejects with the URL and the reason). Default 30000 ms. */
  fetchTimeoutMs?: number;
}

export interface RunOptions {
  /** The environment as NAME=value strings (default: the login shell's). */
  env?: string[];
  /** Working directory (default: the login's home, /home/student). */
  cwd?: string;
  /** User id (0 = root; default: the login's). The group follows unless `gid` is given. */
  uid?: number;
  gid?: number;
  /** Bytes on the command's stdin, then end of file. */
  stdin?: string;
  /** Output as it comes: stream 1 (stdout) or 2 (stderr), decoded as UTF-8. */
  onOutput?: (text: string, stream: 1 | 2) => void;
  /** Killed (SIGKILL to its process group) after this many ms (default 30 s). */
  timeoutMs?: number;
}

/** What `run` resolves to: the exit code, or 128 + the signal number when it was killed
 *  (as a shell's `$?`). `runDetailed` gives the rest. */
export type ExitStatus = number;

export interface RunResult {
  /** As the shell's `$?`. */
  status: ExitStatus;
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  /** "SIGKILL", ... or null. */
  signal: string | null;
  /** The output not delivered to onOutput (all of it without onOutput; 64 KiB each at most). */
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Milliseconds from start to exit. */
  ms: number;
}

export type FileType = 'file' | 'dir' | 'symlink' | 'other';
export interface DirEntry {
  name: string;
  type: FileType;
  size: number;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}
export interface Stat {
  type: FileType;
  size: number;
  mode: number;
  mtime: number;
}

/** File errors carry Linux's errno name in `code` ("ENOENT", "EISDIR", ...). */
export interface FsError extends Error {
  code: string;
}

export interface GlassboxFs {
  readFile(path: string): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  /** Creates or replaces the file (mode for a new file, default 0o644). */
  writeFile(path: string, data: string | Uint8Array, options?: { mode?: number }): Promise<void>;
  readdir(path: string): Promise<DirEntry[]>;
  stat(path: string): Promise<Stat>;
  mkdir(path: string, options?: { mode?: number }): Promise<void>;
  /** A directory needs `recursive`. */
  rm(path: string, options?: { recursive?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

/** A terminal of your own: the machine writes the console's bytes to `write` and reads
 *  keystrokes from `onData`. */
export interface TerminalLike {
  write(data: Uint8Array): void;
  onData(listener: (data: string | Uint8Array) => void): unknown;
  rows?: number;
  cols?: number;
}
export interface TerminalAttachment {
  /** Tell the machine the window's new size (a shell and full-screen programs follow it). */
  resize(rows: number, cols: number): void;
  /** Type into the console as if from the keyboard. */
  input(data: string | Uint8Array): void;
  /** Stop writing to this terminal (an element's xterm.js is disposed). */
  detach(): void;
}

export interface ProcessEvent {
  type: 'start' | 'exit';
  pid: number;
  /** start: the program's argv (first bytes). */
  argv?: string[];
  /** exit: Linux's wait status (code << 8, or the signal). */
  status?: number;
}
export interface DiskEvent {
  /** Bytes of the image (and engine) fetched over the network so far. */
  bytesFetched: number;
  /** Disk chunks fetched on demand (a program waited for them). */
  chunksFetched: number;
  /** The warm-up (`warm` option): chunks fetched ahead in the background since the first
   *  prompt, of `warmTotal`; `warmDone` once it is through (or there was nothing to warm). */
  warmFetched: number;
  warmTotal: number;
  warmDone: boolean;
}
/** One record of the engine's trace (vm/trace/record.h), numbers decoded. */
export interface TraceRecord {
  seq: number;
  timeNs: number;
  pid: number;
  tid: number;
  kind: 'sys-enter' | 'sys-exit' | 'fork' | 'exec' | 'exit' | 'signal' | 'fs-read' | 'stat' | 'fd' | 'chunks' | 'jit-region' | 'jit-drop' | 'none';
  nr: number;
  ret: number;
  a: number[];
  data: Uint8Array;
}
export interface StatusEvent {
  state: string;
  message: string;
}

export interface GlassboxEvents {
  process: ProcessEvent;
  disk: DiskEvent;
  busy: void;
  idle: void;
  trace: TraceRecord;
  status: StatusEvent;
  /** Storing the disk in IndexedDB failed (quota) or works again. */
  storage: { state: 'failed' | 'ok'; quota: boolean; message: string };
}

export interface GlassboxVM {
  readonly fs: GlassboxFs;
  /** The manifest's image id. */
  readonly imageId: string;
  /** Runs a command in a new process (no terminal); resolves to its exit status. */
  run(argv: string[], options?: RunOptions): Promise<ExitStatus>;
  /** The same, with the output and details. */
  runDetailed(argv: string[], options?: RunOptions): Promise<RunResult>;
  /** The console (a login shell) in an element (xterm.js, loaded on demand) or your terminal. */
  attachTerminal(target: HTMLElement | TerminalLike): Promise<TerminalAttachment>;
  on<K extends keyof GlassboxEvents>(event: K, listener: (e: GlassboxEvents[K]) => void): () => void;
  off<K extends keyof GlassboxEvents>(event: K, listener: (e: GlassboxEvents[K]) => void): void;
  /** Stops the machine and its worker; pending calls reject with code ENOENGINE. */
  destroy(): void;
  readonly destroyed: boolean;
}

export declare const Glassbox: {
  /** Starts a machine; resolves once it has booted (its console waits for input). */
  create(options?: CreateOptions): Promise<GlassboxVM>;
  readonly version: string;
};
