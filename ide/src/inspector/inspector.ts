// The Inspector pane (docs/inspector.md): the Dear ImGui module
// (engine/glassbox_inspector.{js,wasm}, built from inspector/) drawing on its own canvas,
// fed from the trace ring the engine worker fills.
//
//   open()          loads the module, allocates the ring, tells the worker to trace
//   attach(client)  a new machine (Reset machine): hand it the ring again
//   each frame      ring -> module (gbi_feed); draws only while the pane is visible
//   canvas events   pointer, wheel and keys of the canvas only (never the window's), so
//                   the editor and the terminal keep their keys
//   as text         a read-only <textarea> with each panel as plain text, refreshed while
//                   shown (screen readers cannot see a canvas)
//   test hook       window.glassbox.inspector.model(panel) -> the models as data
//   breakpoints     one list, the module's (StateModel): the break box, the editor's
//                   gutter and Clear all change it; the page redraws the editor's dots when
//                   gbi_breaks_version moves; a new machine keeps them (gbi_reset)
//   state panels    Registers, Code, Memory, JIT blocks and the control bar read state
//                   replies: the module queues requests (gbi_take_command: buttons, a new
//                   program's symbols) and says what to refresh (gbi_refresh_request); this
//                   pane sends them through the engine's request queue (client.inspect),
//                   one at a time, every REFRESH_MS while open, and hands the replies back
//                   (gbi_state). Pausing and stepping are such requests.
import type { EngineClient } from '../engine/client';
import { DEFAULT_STALL_MS, FetchError, fetchRetryingBytes } from '../fetch';
import { RECORD_SIZE, TraceRingReader, allocateTraceRing } from '../engine/trace-ring';

/** The module's exports (inspector/web/inspector_web.cpp). */
interface InspectorModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _gbi_init(selector: number): number;
  _gbi_feed(bytes: number, n: number): void;
  _gbi_reset(): void;
  _gbi_frame(w: number, h: number, dpr: number, t: number): number;
  _gbi_paint_stats(): number;
  _gbi_check_paint(): number;
  _gbi_invalidate(): void;
  _gbi_mouse(x: number, y: number, buttons: number): void;
  _gbi_wheel(dx: number, dy: number): void;
  _gbi_key(code: number, down: number, mods: number): void;
  _gbi_char(c: number): void;
  _gbi_json(panel: number): number;
  _gbi_text(panel: number): number;
  _gbi_set_filter(failedOnly: number, name: number): void;
  _gbi_set_theme(dark: number): void;
  _gbi_state(bytes: number, n: number, purpose: number): void;
  _gbi_take_command(): number;
  _gbi_refresh_request(): number;
  _gbi_state_json(panel: number): number;
  _gbi_state_text(panel: number): number;
  _gbi_control(op: number): void;
  _gbi_break(where: number, path: number): number;
  _gbi_select_tab(tab: number): void;
  _gbi_line_view(file: number, line: number): number;
  _gbi_line_addrs(file: number, line: number): number;
  _gbi_toggle_line_break(path: number, file: number, line: number): number;
  _gbi_layout(): number;
  _gbi_set_layout(text: number): void;
  _gbi_layout_dirty(): number;
  _gbi_breaks_version(): number;
  _gbi_break_lines(path: number): number;
  _gbi_focus?(pid: number): void;
  _gbi_show_call?(seq: number): number;
  _gbi_region_hover(addr: number): number;
  UTF8ToString(p: number): string;
}
type InspectorFactory = (args: object) => Promise<InspectorModule>;

/** Where the machine stopped (the status bar and the editor's highlighted line). */
export interface StopInfo {
  reason: string; // breakpoint, step, syscall, signal, paused
  func: string; // "main" ('' if unknown)
  file: string; // the source file's path from the DWARF line table ('' without -g)
  line: number;
  signal: string; // "SIGSEGV" when stopped before a signal
  pid: number;
}
const LAYOUT_KEY = 'glassbox.inspector.layout'; // ImGui's ini + the tab (localStorage)

export type PanelName = 'processes' | 'syscalls' | 'files' | 'call' | StatePanel;
export type StatePanel = 'registers' | 'code' | 'memory' | 'blocks' | 'region' | 'jit' | 'breaks';
const STATE_PANELS: readonly string[] = ['registers', 'code', 'memory', 'blocks', 'region', 'jit', 'breaks'];
const REFRESH_MS = 250; // state requests while open: status, registers, code (+ the shown panel's)
const LITE_REFRESH_MS = 1000; // a record panel shown while the machine runs: the status only
const RING_RECORDS = 16384; // 4 MiB of shared memory
const FEED_MAX = 4096; // records per frame into the module
// While records stream in and nobody interacts: 40 frames/s on average (a frame redraws
// only what it changes, inspector/model/frame_damage.h). Counted as credit, not as a
// minimum gap: rAF's timestamps jitter around 16.7 ms apart, and with a gap a frame that
// came 0.1 ms early waited for the next one (30 frames/s became 20-27); with credit a late
// frame is made up by the next.
const DRAW_EVERY_MS = 25;
const INTERACT_MS = 1000; // after an input event, draw every frame for this long

export class InspectorPane {
  private module: InspectorModule | null = null;
  private ring: SharedArrayBuffer | null = null;
  private reader: TraceRingReader | null = null;
  private client: EngineClient | null = null;
  private feedPtr = 0;
  private readonly scratch = { buf: new Uint8Array(0) };
  private opening: Promise<void> | null = null;
  private textPanel: PanelName | null = null;
  private lastText = 0;
  /** Frames drawn (for tests and the frame-rate figure), and those that changed pixels
   *  (a frame redraws only the rectangle it changes, or nothing). */
  frames = 0;
  painted = 0;
  /** Main-thread time spent in gbi_frame and in pumping records (ms, summed). */
  drawMs = 0;
  pumpMs = 0;
  private credit = 1; // frames owed at DRAW_EVERY_MS (at most 1.5: no burst after idle)
  private lastFrameT = 0;
  private hidden = false; // the canvas had no size since the last frame drawn
  private fed = false; // records arrived since the last frame drawn
  private interactUntil = 0; // draw every frame until then (after input)
  state: 'closed' | 'loading' | 'open' | 'error' = 'closed';
  private stateChain: Promise<void> = Promise.resolve();
  private lastRefresh = 0;
  private refreshing = false;
  private lastState: Uint8Array | null = null;
  private lastStopKey = '';
  private refreshMs = REFRESH_MS;
  private lastLayoutCheck = 0;
  private breaksVersion = 0;
  /** Called when the machine stops (with where) or runs again (null). Set by main. */
  onStop: (stop: StopInfo | null) => void = () => undefined;
  /** Called when the breakpoints changed (the module's one list: the break box, the
   *  gutter, Clear, a reset): the editor redraws its dots from breakLines(). Set by main. */
  onBreaks: () => void = () => undefined;
  error = '';

  constructor(
    private readonly root: HTMLElement,
    private readonly scriptUrl: string,
    private readonly wasmUrl: string,
    private readonly stallMs = DEFAULT_STALL_MS,
  ) {
    root.querySelector<HTMLButtonElement>('#btn-inspector-open')?.addEventListener('click', () => void this.open());
    for (const b of root.querySelectorAll<HTMLButtonElement>('[data-inspector-text]'))
      b.addEventListener('click', () => this.toggleText(b.dataset.inspectorText as PanelName));
  }

  attach(client: EngineClient): void {
    this.client = client;
    if (!this.ring) return;
    this.pump(); // the last records of the old machine, then a clean slate for the new one
    this.module?._gbi_reset(); // (the breakpoints stay, queued for the new engine)
    this.lastState = null;
    this.lastStopKey = '';
    client.post({ type: 'trace', ring: this.ring });
  }

  /** Loads the module and starts tracing; resolves when the first frame can be drawn. */
  open(): Promise<void> {
    if (!this.opening) this.opening = this.doOpen();
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    this.state = 'loading';
    this.root.classList.add('inspector-loading');
    try {
      // Both files through the stall clock (a <script src> and Emscripten's own loader
      // would wait on a stalled server for ever, the pane saying "loading").
      const [factory, wasmBinary] = await Promise.all([loadScript(this.scriptUrl, this.stallMs), fetchRetryingBytes(this.wasmUrl, this.stallMs)]);
      const canvas = this.root.querySelector<HTMLCanvasElement>('#gb-inspector-canvas')!;
      const M = await factory({ wasmBinary, locateFile: (n: string) => (n.endsWith('.wasm') ? this.wasmUrl : n), canvas });
      const sel = cstr(M, '#gb-inspector-canvas');
      const rc = M._gbi_init(sel);
      M._free(sel);
      if (rc !== 0) throw new Error('WebGL2 is not available for the inspector canvas');
      this.module = M;
      this.feedPtr = M._malloc(FEED_MAX * RECORD_SIZE);
      this.ring = allocateTraceRing(RING_RECORDS);
      this.reader = new TraceRingReader(this.ring);
      if (this.client) this.client.post({ type: 'trace', ring: this.ring });
      this.wireEvents(canvas, M);
      this.loadLayout(M);
      // follow the IDE's theme (<html data-theme>)
      const theme = () => {
        M._gbi_set_theme(document.documentElement.dataset.theme === 'light' ? 0 : 1);
        this.interactUntil = performance.now() + 100;
      };
      theme();
      new MutationObserver(theme).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
      this.state = 'open';
      this.root.classList.remove('inspector-loading');
      this.root.classList.add('inspector-open');
      requestAnimationFrame((t) => this.frame(t));
    } catch (e) {
      this.state = 'error';
      this.error = (e as Error).message;
      this.root.classList.remove('inspector-loading');
      const msg = this.root.querySelector('#inspector-message');
      if (msg) msg.textContent = `The inspector could not start: ${this.error}`;
      throw e;
    }
  }

  private frame(t: number): void {
    const M = this.module!;
    this.pump();
    const canvas = this.root.querySelector<HTMLCanvasElement>('#gb-inspector-canvas')!;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    // Draw while the student interacts (every frame), else only when records arrived, 40
    // times a second on average: an idle inspector draws nothing, and a busy one leaves the
    // CPU to the machine (WebGL may be software-rendered).
    this.credit = Math.min(1.5, this.credit + Math.max(0, t - this.lastFrameT) / DRAW_EVERY_MS);
    this.lastFrameT = t;
    const due = t < this.interactUntil || (this.fed && this.credit >= 0.9) || this.frames === 0;
    if (w === 0 || h === 0) this.hidden = true;
    if (w > 0 && h > 0 && due) {
      if (this.hidden) M._gbi_invalidate(); // (a hidden canvas's picture is not relied on)
      this.hidden = false;
      const dpr = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
        this.interactUntil = t + 500;
      }
      const t0 = performance.now();
      this.painted += M._gbi_frame(w, h, dpr, t);
      this.drawMs += performance.now() - t0;
      this.frames++;
      this.credit = Math.max(0, this.credit - 1);
      this.fed = false;
    }
    this.checkBreaks();
    if (this.textPanel && t - this.lastText > 1000) this.refreshText();
    if (t - this.lastLayoutCheck > 2000) {
      this.lastLayoutCheck = t;
      if (M._gbi_layout_dirty()) this.saveLayout();
    }
    this.serviceState(t);
    requestAnimationFrame((t2) => this.frame(t2));
  }

  /** Moves what the worker wrote into the module (also called by the test hook). */
  pump(): void {
    const M = this.module, r = this.reader;
    if (!M || !r) return;
    const t0 = performance.now();
    for (;;) {
      const n = r.read(this.scratch, FEED_MAX);
      if (n <= 0) break;
      M.HEAPU8.set(this.scratch.buf.subarray(0, n * RECORD_SIZE), this.feedPtr);
      M._gbi_feed(this.feedPtr, n);
      this.fed = true;
      if (n < FEED_MAX) break;
    }
    this.pumpMs += performance.now() - t0;
  }

  // ---- state requests (control, registers, code, memory, blocks) ----

  private str(p: number): string {
    return this.module!.UTF8ToString(p);
  }

  /** Sends one gb_inspect request and hands the reply to the module. */
  private async send(req: Record<string, unknown>): Promise<void> {
    const M = this.module, c = this.client;
    if (!M || !c) return;
    const bytes = await c.inspect(req);
    // an idle machine answers the periodic refresh with the same bytes: nothing to decode
    // or draw (the panels stay as they are, no allocation, no frame)
    if (req.op === 'state') {
      const last = this.lastState;
      if (last && last.length === bytes.length && last.every((v, i) => v === bytes[i])) return;
      this.lastState = bytes;
    }
    const p = M._malloc(bytes.length || 1);
    M.HEAPU8.set(bytes, p);
    M._gbi_state(p, bytes.length, typeof req.purpose === 'number' ? req.purpose : 0);
    M._free(p);
    this.fed = true;
    if (typeof req.purpose !== 'number') this.checkStop();
  }

  /** Tells main when the breakpoint list moved (one number per frame: cheap). */
  private checkBreaks(): void {
    const v = this.module?._gbi_breaks_version() ?? 0;
    if (v === this.breaksVersion) return;
    this.breaksVersion = v;
    this.onBreaks();
  }

  /** The lines of an editor file (its path) that hold a breakpoint: line breakpoints whose
   *  file names it and symbol breakpoints the program's line table places in it. */
  breakLines(path: string): number[] {
    const M = this.module;
    if (!M) return [];
    const p = cstr(M, path);
    const lines = JSON.parse(this.str(M._gbi_break_lines(p))) as number[];
    M._free(p);
    return lines;
  }

  /** Tells main when the machine stopped somewhere new or runs again. */
  private checkStop(): void {
    const s = this.stateModel('status') as {
      halted: boolean; stops: number; reason: string; pid: number;
      where: { func: string; file: string; line: number; signal: string };
    } | null;
    if (!s) return;
    const key = s.halted ? `${s.stops}:${s.where.func}:${s.where.line}` : 'running';
    if (key === this.lastStopKey) return;
    this.lastStopKey = key;
    this.onStop(s.halted ? { reason: s.reason, pid: s.pid, ...s.where } : null);
  }

  // ---- the editor's side: a line's instructions, line breakpoints ----

  /** Shows the instructions of `file`:`line` in the Code panel; false if the followed
   *  program has no code for it (not built with -g from this file, or not running). */
  async lineView(file: string, line: number): Promise<boolean> {
    const M = this.module;
    if (!M) return false;
    const f = cstr(M, file);
    const ok = M._gbi_line_view(f, line) === 1;
    M._free(f);
    if (ok) {
      this.selectTab('code');
      await this.flushState(false);
    }
    return ok;
  }

  /** Where `file`:`line` starts in the followed program (runtime addresses) and the line used. */
  lineAddresses(file: string, line: number): { line: number; addrs: string[] } {
    const M = this.module;
    if (!M) return { line: 0, addrs: [] };
    const f = cstr(M, file);
    const r = JSON.parse(this.str(M._gbi_line_addrs(f, line))) as { line: number; addrs: string[] };
    M._free(f);
    return r;
  }

  /** The program a source file's breakpoints belong to: the followed program if its line
   *  table has the file, else the file's name without its extension (gcc -g hello.c -o hello). */
  programFor(file: string): string {
    const exe = (this.stateModel('status') as { exe: string } | null)?.exe ?? '';
    if (exe && this.lineAddresses(file, 1).addrs.length) return exe;
    return file.replace(/\.[^./]*$/, '');
  }

  /** The editor's gutter: removes the breakpoints shown on that line (whichever way they
   *  were set) or sets a line breakpoint there; returns the file's lines with one. */
  async toggleLineBreak(file: string, line: number, program = this.programFor(file)): Promise<number[]> {
    const M = this.module;
    if (!M) return [];
    const p = cstr(M, program), f = cstr(M, file);
    M._gbi_toggle_line_break(p, f, line);
    M._free(p);
    M._free(f);
    this.checkBreaks();
    await this.flushState(false);
    return this.breakLines(file);
  }

  private loadLayout(M: InspectorModule): void {
    let text: string | null = null;
    try {
      text = localStorage.getItem(LAYOUT_KEY);
    } catch {
      return; // storage disabled: the default layout
    }
    if (!text) return;
    const p = cstr(M, text);
    M._gbi_set_layout(p);
    M._free(p);
  }

  /** Keeps ImGui's layout (window and column sizes) and the selected tab for the next visit. */
  saveLayout(): void {
    const M = this.module;
    if (!M) return;
    try {
      localStorage.setItem(LAYOUT_KEY, this.str(M._gbi_layout()));
    } catch {
      // storage full or disabled: the layout is not kept
    }
  }

  /** Sends every queued command, then (when `refresh`) the periodic state request. */
  private flushState(refresh: boolean): Promise<void> {
    const run = async () => {
      const M = this.module;
      if (!M || !this.client) return;
      for (;;) {
        const cmd = this.str(M._gbi_take_command());
        if (!cmd) break;
        await this.send(JSON.parse(cmd) as Record<string, unknown>);
      }
      if (refresh) {
        const req = JSON.parse(this.str(M._gbi_refresh_request())) as Record<string, unknown>;
        this.refreshMs = req.maps === false ? LITE_REFRESH_MS : REFRESH_MS;
        await this.send(req);
      }
    };
    const p = this.stateChain.then(run, run);
    this.stateChain = p.catch(() => undefined);
    return p;
  }

  /** Every frame: the commands the panels queued; every REFRESH_MS also the state. */
  private serviceState(t: number): void {
    if (this.refreshing || !this.client) return;
    const due = t - this.lastRefresh >= this.refreshMs;
    if (due) this.lastRefresh = t;
    this.refreshing = true;
    this.flushState(due)
      .catch(() => undefined)
      .finally(() => (this.refreshing = false));
  }

  /** Pixels that differ between what the partial redraws left on the canvas and the last
   *  frame redrawn whole (0: exact; -1: no frame yet). The test hook of frame_damage.h. */
  checkPaint(): number {
    return this.module ? this.module._gbi_check_paint() : -1;
  }

  /** The redraws' figures: frames, frames that changed pixels, their mean share of the canvas. */
  paintStats(): { frames: number; painted: number; area: number } {
    return this.module ? JSON.parse(this.str(this.module._gbi_paint_stats())) : { frames: 0, painted: 0, area: 0 };
  }

  /** Shows a panel's tab (the test hook; drawn on the next frame). */
  selectTab(panel: PanelName): void {
    const order: PanelName[] = ['processes', 'syscalls', 'files', 'registers', 'code', 'memory', 'blocks'];
    const i = order.indexOf(panel);
    if (!this.module || i < 0) return;
    this.module._gbi_select_tab(i);
    this.interactUntil = performance.now() + INTERACT_MS;
    this.lastRefresh = 0; // the new panel's state at once
  }

  /** Pause, resume, step, step over a call, run to the next syscall, clear breakpoints (test hook). */
  async control(op: 'pause' | 'resume' | 'step' | 'over' | 'out' | 'syscall' | 'clear'): Promise<unknown> {
    const M = this.module;
    if (!M) return null;
    await this.flushState(true); // the current stop (step needs its task)
    const stops = (this.stateModel('state') as { stops: number }).stops;
    const p = cstr(M, op);
    M._gbi_control(p);
    M._free(p);
    await this.flushState(true);
    // a step or "to the next syscall" runs in the engine's next slice: wait for its stop
    for (let end = performance.now() + 5000; op === 'step' || op === 'over' || op === 'out' || op === 'syscall'; ) {
      const s = this.stateModel('state') as { halted: boolean; stops: number };
      if ((s.halted && s.stops > stops) || performance.now() > end) break;
      await new Promise((r) => setTimeout(r, 20));
      await this.flushState(true);
    }
    return this.stateModel('state');
  }

  /** A breakpoint: "main", "main+4", "0x401000", "hello.c:5" (a source line, resolved by
   *  the engine when the program runs) or "SIGSEGV"; `path`: a program that may not run yet
   *  (its symbols are read first); "syscall:write" for a system call. Throws why not. */
  async breakAt(where: string, path = ''): Promise<void> {
    const M = this.module;
    if (!M) throw new Error('the inspector is not open');
    // one step of the request chain: no other reply (another program's symbols) lands
    // between this program's symbols and the breakpoint made from them
    const set = async () => {
      if (path) await this.send({ op: 'symbols', path });
      const w = cstr(M, where), p = cstr(M, path);
      const err = this.str(M._gbi_break(w, p));
      M._free(w);
      M._free(p);
      if (err) throw new Error(err);
    };
    await this.chain(set);
    this.checkBreaks();
    await this.flushState(false);
  }

  /** Pins a process (0: follow the terminal's foreground job again). */
  async follow(pid: number): Promise<void> {
    await this.chain(() => this.send({ op: 'follow', pid }));
  }

  /** Runs `f` as one step of the request chain (requests and their replies never interleave). */
  private chain<T>(f: () => Promise<T>): Promise<T> {
    const done = this.stateChain.then(f, f);
    this.stateChain = done.then(() => undefined, () => undefined);
    return done;
  }

  /** Fetches the state now and returns the state models as data. */
  async refreshState(panel: 'state' | StatePanel = 'state'): Promise<unknown> {
    await this.flushState(true);
    return this.stateModel(panel);
  }

  /** The state panels' models as data: status, registers, code, memory, blocks. */
  stateModel(panel: 'state' | 'status' | StatePanel = 'state'): unknown {
    const M = this.module;
    if (!M) return null;
    const p = cstr(M, panel);
    const json = this.str(M._gbi_state_json(p));
    M._free(p);
    return JSON.parse(json);
  }

  /** Asks for the block's x86 (the JIT blocks panel's selection) and returns the lines. */
  async blockCode(start: string, len: number): Promise<unknown> {
    await this.chain(() => this.send({ op: 'memory', addr: start, len, purpose: 1 }));
    return (this.stateModel('blocks') as { block_code: unknown }).block_code;
  }

  /** The compiled region holding the block at `start` (the JIT blocks panel's selection of
   *  a compiled block): its x86 next to its wasm, or {have: false, error}. */
  async region(start: string): Promise<unknown> {
    await this.chain(() => this.send({ op: 'region', addr: start, purpose: 3 }));
    return (this.stateModel('region') as { region: unknown }).region;
  }

  /** What hovering the region view's x86 row at `addr` lights up: its row and the wasm
   *  lines made from it (the model the panel draws the highlight from). */
  regionHover(addr: string): unknown {
    const M = this.module;
    if (!M) return null;
    const p = cstr(M, addr);
    const json = this.str(M._gbi_region_hover(p));
    M._free(p);
    return JSON.parse(json);
  }

  /** The panel models as data (window.glassbox.inspector.model). */
  model(panel: PanelName | 'all' = 'all'): unknown {
    const M = this.module;
    if (!M) return null;
    this.pump();
    const p = cstr(M, panel);
    const json = M.UTF8ToString(M._gbi_json(p));
    M._free(p);
    const data = JSON.parse(json) as Record<string, unknown>;
    data.readerDropped = this.reader?.dropped ?? 0;
    data.engineDropped = this.reader?.engineDrops ?? 0;
    return data;
  }

  /** A panel as plain text (the screen-reader view and "copy as text"). */
  text(panel: PanelName): string {
    const M = this.module;
    if (!M) return '';
    this.pump();
    const p = cstr(M, panel);
    const s = M.UTF8ToString(STATE_PANELS.includes(panel) ? M._gbi_state_text(p) : M._gbi_text(p));
    M._free(p);
    return s;
  }

  /** Focuses every panel on process `pid` (0: none), as selecting it in Processes does (test hook). */
  focus(pid: number): void {
    this.module?._gbi_focus?.(pid);
    this.interactUntil = performance.now() + INTERACT_MS;
  }

  /** Shows call `seq` in the System calls detail view ('call' as text); false if not in the table. */
  showCall(seq: number): boolean {
    const ok = (this.module?._gbi_show_call?.(seq) ?? 0) === 1;
    this.interactUntil = performance.now() + INTERACT_MS;
    return ok;
  }

  setSyscallFilter(failedOnly: boolean, name: string): void {
    const M = this.module;
    if (!M) return;
    const p = cstr(M, name);
    M._gbi_set_filter(failedOnly ? 1 : 0, p);
    M._free(p);
  }

  private toggleText(panel: PanelName): void {
    const area = this.root.querySelector<HTMLTextAreaElement>('#inspector-text')!;
    this.textPanel = this.textPanel === panel ? null : panel;
    area.hidden = !this.textPanel;
    for (const b of this.root.querySelectorAll<HTMLButtonElement>('[data-inspector-text]'))
      b.setAttribute('aria-pressed', String(b.dataset.inspectorText === this.textPanel));
    if (this.textPanel) {
      this.refreshText();
      area.focus();
    }
  }

  private refreshText(): void {
    const area = this.root.querySelector<HTMLTextAreaElement>('#inspector-text')!;
    if (!this.textPanel) return;
    this.lastText = performance.now();
    const s = this.text(this.textPanel);
    if (area.value !== s) area.value = s;
    const title = {
      processes: 'processes', syscalls: 'system calls', files: 'files and disk reads',
      registers: 'registers', code: 'code', memory: 'memory', blocks: 'decoded blocks and the compiled region',
      region: 'the compiled region', jit: 'compiled regions and the JIT\'s drops', breaks: 'breakpoints', call: 'the selected system call',
    }[this.textPanel];
    area.setAttribute('aria-label', `Inspector: ${title} as text`);
  }

  private wireEvents(canvas: HTMLCanvasElement, M: InspectorModule): void {
    const poke = () => (this.interactUntil = performance.now() + INTERACT_MS);
    for (const ev of ['pointermove', 'pointerdown', 'pointerup', 'pointerleave', 'wheel', 'keydown', 'keyup', 'focus', 'blur'])
      canvas.addEventListener(ev, poke, { passive: true });
    const pos = (e: PointerEvent | WheelEvent) => {
      const r = canvas.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top] as const;
    };
    const onPointer = (e: PointerEvent) => {
      const [x, y] = pos(e);
      // DOM buttons: 1 left, 2 right, 4 middle -> ImGui 0 left, 1 right, 2 middle
      M._gbi_mouse(x, y, (e.buttons & 1) | ((e.buttons & 2) ? 2 : 0) | ((e.buttons & 4) ? 4 : 0));
    };
    canvas.addEventListener('pointermove', onPointer);
    canvas.addEventListener('pointerdown', (e) => {
      canvas.focus();
      canvas.setPointerCapture(e.pointerId);
      onPointer(e);
    });
    canvas.addEventListener('pointerup', onPointer);
    canvas.addEventListener('pointerleave', () => M._gbi_mouse(-1e6, -1e6, 0));
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const k = e.deltaMode === 1 ? 1 : 1 / 40;
      M._gbi_wheel(-e.deltaX * k, -e.deltaY * k);
    }, { passive: false });
    const mods = (e: KeyboardEvent) => (e.ctrlKey ? 1 : 0) | (e.shiftKey ? 2 : 0) | (e.altKey ? 4 : 0) | (e.metaKey ? 8 : 0);
    canvas.addEventListener('keydown', (e) => {
      M._gbi_key(e.keyCode, 1, mods(e));
      if (e.key.length === 1 && !e.ctrlKey && !e.metaKey) M._gbi_char(e.key.codePointAt(0)!);
      if (e.key !== 'Tab' || !e.shiftKey) e.preventDefault(); // keys stay in the inspector; Shift-Tab leaves it
    });
    canvas.addEventListener('keyup', (e) => M._gbi_key(e.keyCode, 0, mods(e)));
  }
}

function cstr(M: InspectorModule, s: string): number {
  const b = new TextEncoder().encode(s);
  const p = M._malloc(b.length + 1);
  M.HEAPU8.set(b, p);
  M.HEAPU8[p + b.length] = 0;
  return p;
}

/** The module is a classic script defining createGlassboxInspector (MODULARIZE), fetched
 *  with the stall clock and run from a blob: URL (its sourceURL keeps its name in stack
 *  traces and DevTools; the glue takes nothing from its own URL: the .wasm comes as bytes). */
async function loadScript(url: string, stallMs: number): Promise<InspectorFactory> {
  const w = window as unknown as { createGlassboxInspector?: InspectorFactory };
  if (w.createGlassboxInspector) return w.createGlassboxInspector;
  let text: Uint8Array;
  try {
    text = await fetchRetryingBytes(url, stallMs);
  } catch (e) {
    if (e instanceof FetchError && e.status === 404) throw new Error(`the inspector module is missing (${url}): build it with tools/build web`);
    throw e;
  }
  const blob = URL.createObjectURL(new Blob([text as Uint8Array<ArrayBuffer>, `\n//# sourceURL=${url}\n`], { type: 'text/javascript' }));
  try {
    await new Promise<void>((resolve, reject) => {
      const s = document.createElement('script');
      s.src = blob;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error(`${url} did not load as a script`));
      document.head.append(s);
    });
  } finally {
    URL.revokeObjectURL(blob);
  }
  if (!w.createGlassboxInspector) throw new Error(`${url} did not define createGlassboxInspector`);
  return w.createGlassboxInspector;
}
