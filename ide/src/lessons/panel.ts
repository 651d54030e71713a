// The lessons panel (right pane, below the inspector): the catalogue, the current step,
// its checks (re-run when a file is saved and when a terminal command finishes), hints
// unlocked one by one, progress in IndexedDB, "reset this lesson's files", a deep link
// (?lesson=ID&step=N) and the export of the student's work and results as one .tar.
//
// [SECTION] state and construction   [SECTION] catalogue   [SECTION] a lesson's step
// [SECTION] checks                   [SECTION] files: place, reset, export
import { CheckResult, LessonMachine, runCheck } from './checks';
import type { Lesson } from './format';
import { renderMarkdown, escapeHtml } from './markdown';
import { BrokenLesson, LessonProgress, LoadedLesson, ProgressStore, fetchBytes, fetchStepText, loadCatalogue } from './store';
import { TarEntry, writeTar } from '../tar';

export interface LessonHost {
  /** The running machine, or null (checks wait for it). */
  machine(): (LessonMachine & LessonFiles) | null;
  home: string;
  openFile(path: string): void;
  typeCommand(cmd: string): void;
  openInspector(panel: string): void;
  download(name: string, data: Uint8Array): void;
  status(text: string, kind?: 'ok' | 'error' | 'info'): void;
}
export interface LessonFiles {
  write(path: string, data: Uint8Array): Promise<void>;
  mkdir(path: string): Promise<void>;
  list(path: string): Promise<Array<{ name: string; type: string }>>;
  read(path: string): Promise<Uint8Array>;
}

// [SECTION] state and construction -------------------------------------------------------
export class LessonsPanel {
  private lessons: LoadedLesson[] = [];
  private broken: BrokenLesson[] = [];
  private current: LoadedLesson | null = null;
  private progress: LessonProgress | null = null;
  private results: CheckResult[] = [];
  private checking = false;
  private chain: Promise<CheckResult[]> = Promise.resolve([]);
  private queued: Promise<CheckResult[]> | null = null;
  private readonly store = new ProgressStore();
  private readonly body: HTMLElement;
  /** For tests: resolves when the catalogue has loaded. */
  readonly ready: Promise<void>;
  /** ms from opening a lesson to its first check result (figures). */
  firstResultMs = 0;
  private openedAt = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: LessonHost,
    readonly base: string,
  ) {
    this.body = root.querySelector('.pane-body') as HTMLElement;
    this.body.classList.remove('placeholder');
    this.body.classList.add('lessons-body');
    this.body.addEventListener('click', (e) => this.onClick(e));
    this.ready = this.load();
  }

  private key(id: string): string {
    return `${this.base}|${id}`;
  }

  private async load(): Promise<void> {
    this.body.innerHTML = '<p class="muted">Loading lessons…</p>';
    const r = await loadCatalogue(this.base);
    this.lessons = r.lessons;
    this.broken = r.broken;
    for (const b of r.broken) console.warn(`[lessons] ${b.error}`);
    const q = new URLSearchParams(location.search);
    const id = q.get('lesson');
    if (id) {
      const l = this.lessons.find((x) => x.lesson.id === id);
      if (l) return this.open(id, q.has('step') ? Math.max(0, Number(q.get('step')) - 1) : undefined);
      this.host.status(`no lesson "${id}" in ${this.base}`, 'error');
    }
    await this.showCatalogue();
  }

  /** Test hook: the state as data. */
  get state() {
    return {
      lessons: this.lessons.map((l) => l.lesson.id),
      broken: this.broken,
      current: this.current?.lesson.id ?? null,
      step: this.progress?.step ?? -1,
      steps: this.progress?.steps ?? [],
      results: this.results,
      checking: this.checking,
    };
  }

  // [SECTION] catalogue -----------------------------------------------------------------
  async showCatalogue(): Promise<void> {
    this.current = null;
    this.progress = null;
    this.results = [];
    const rows: string[] = [];
    for (const { lesson: l } of this.lessons) {
      const p = await this.store.get(this.key(l.id));
      const done = p ? p.steps.filter((s) => s.passed).length : 0;
      rows.push(
        `<li><button class="lesson-item" data-open-lesson="${escapeHtml(l.id)}">` +
          `<span class="lesson-title">${escapeHtml(l.title)}</span>` +
          `<span class="lesson-meta">${escapeHtml(l.language)} · ${escapeHtml(l.level)} · ${l.minutes} min · ` +
          `<span class="lesson-progress">${done}/${l.steps.length} steps</span></span>` +
          `<span class="lesson-summary">${escapeHtml(l.summary)}</span></button></li>`,
      );
    }
    const broken = this.broken.length
      ? `<div class="lesson-broken" role="alert"><p>Some lessons could not be loaded:</p><ul>${this.broken.map((b) => `<li><code>${escapeHtml(b.error)}</code></li>`).join('')}</ul></div>`
      : '';
    this.body.innerHTML = `<ul class="lesson-list" aria-label="Lessons">${rows.join('')}</ul>${broken}` + (this.lessons.length ? '' : '<p class="muted">No lessons here.</p>');
  }

  // [SECTION] a lesson's step -------------------------------------------------------------
  async open(id: string, step?: number): Promise<void> {
    const l = this.lessons.find((x) => x.lesson.id === id);
    if (!l) return;
    this.current = l;
    this.openedAt = performance.now();
    this.firstResultMs = 0;
    const key = this.key(id);
    this.progress = (await this.store.get(key)) ?? {
      key,
      step: 0,
      steps: l.lesson.steps.map(() => ({ passed: false, hints: 0 })),
      started: Date.now(),
      updated: Date.now(),
      placed: false,
    };
    if (step !== undefined) this.progress.step = Math.min(step, l.lesson.steps.length - 1);
    await this.placeFiles(false);
    await this.showStep();
    void this.runChecks();
  }

  private get dir(): string {
    return `${this.host.home}/${this.current!.lesson.dir}`;
  }

  private async showStep(): Promise<void> {
    const l = this.current!;
    const p = this.progress!;
    const s = l.lesson.steps[p.step];
    const sp = p.steps[p.step];
    let text: string;
    try {
      text = renderMarkdown(await fetchStepText(l, p.step));
    } catch (e) {
      text = `<p class="lesson-error">This step's text could not be loaded: ${escapeHtml((e as Error).message)}</p>`;
    }
    const hints = s.hints
      .slice(0, sp.hints)
      .map((h, i) => `<li>${renderMarkdown(h).replace(/^<p>|<\/p>$/g, '')}</li>`)
      .join('');
    const n = l.lesson.steps.length;
    this.body.innerHTML =
      `<div class="lesson-head"><button class="mini" data-act="catalogue" title="All lessons">◂ Lessons</button>` +
      `<span class="lesson-name">${escapeHtml(l.lesson.title)}</span>` +
      `<span class="lesson-stepno">step ${p.step + 1} of ${n}</span></div>` +
      `<h3 class="lesson-step-title">${escapeHtml(s.title)}</h3>` +
      `<div class="lesson-text">${text}</div>` +
      `<div class="lesson-checks" aria-live="polite"></div>` +
      (s.hints.length ? `<ol class="lesson-hints">${hints}</ol>` : '') +
      `<div class="lesson-actions">` +
      `<button class="btn mini" data-act="check">Check</button>` +
      (s.hints.length > sp.hints ? `<button class="btn mini" data-act="hint">Show a hint (${s.hints.length - sp.hints} left)</button>` : '') +
      `<button class="btn mini" data-act="prev" ${p.step === 0 ? 'disabled' : ''}>◂ Back</button>` +
      `<button class="btn mini primary" data-act="next" ${p.step + 1 >= n || !sp.passed ? 'disabled' : ''}>Next ▸</button>` +
      `<span class="spacer"></span>` +
      `<button class="btn mini" data-act="reset" title="Put this lesson's starting files back in your folder">Reset files</button>` +
      `<button class="btn mini" data-act="export" title="Download your files and check results as one file">Export</button>` +
      `</div>`;
    this.renderResults();
    const q = new URLSearchParams(location.search);
    q.set('lesson', l.lesson.id);
    q.set('step', String(p.step + 1));
    history.replaceState(null, '', `?${q.toString()}`);
  }

  private renderResults(): void {
    const el = this.body.querySelector('.lesson-checks');
    if (!el || !this.current) return;
    const s = this.current.lesson.steps[this.progress!.step];
    if (!s.checks.length) {
      el.innerHTML = '<p class="muted">Nothing to check in this step: read on, then go to the next one.</p>';
      return;
    }
    el.innerHTML =
      `<ul class="check-list">` +
      s.checks
        .map((c, i) => {
          const r = this.results[i];
          const state = !r ? (this.checking ? 'running' : 'pending') : r.ok ? 'pass' : 'fail';
          const mark = state === 'pass' ? '✓' : state === 'fail' ? '✗' : state === 'running' ? '…' : '○';
          return (
            `<li class="check ${state}" data-check="${i}"><span class="check-mark" aria-hidden="true">${mark}</span>` +
            `<span class="check-title">${escapeHtml(c.title)}</span>` +
            (r && !r.ok ? `<div class="check-message">${escapeHtml(r.message)}</div>` : '') +
            (r && !r.ok && r.detail ? `<details><summary>What happened</summary><pre>${escapeHtml(r.detail)}</pre></details>` : '') +
            `<span class="visually-hidden">${state}</span></li>`
          );
        })
        .join('') +
      `</ul>`;
  }

  private async onClick(e: MouseEvent): Promise<void> {
    const t = e.target as HTMLElement;
    const a = t.closest<HTMLElement>('[data-open-lesson],[data-act],[data-run],[data-open-file],[data-inspector]');
    if (!a) return;
    e.preventDefault();
    if (a.dataset.openLesson) return this.open(a.dataset.openLesson);
    if (a.dataset.run !== undefined) return this.host.typeCommand(a.dataset.run);
    if (a.dataset.openFile !== undefined && this.current) return this.host.openFile(`${this.dir}/${a.dataset.openFile}`);
    if (a.dataset.inspector !== undefined) return this.host.openInspector(a.dataset.inspector);
    const p = this.progress;
    switch (a.dataset.act) {
      case 'catalogue':
        history.replaceState(null, '', location.pathname);
        return this.showCatalogue();
      case 'check':
        await this.runChecks();
        return;
      case 'hint':
        if (p) p.steps[p.step].hints++;
        await this.save();
        return this.showStep();
      case 'prev':
      case 'next':
        if (!p) return;
        await this.goto(p.step + (a.dataset.act === 'next' ? 1 : -1));
        await this.runChecks();
        return;
      case 'reset':
        if (!confirm(`Put the starting files of "${this.current!.lesson.title}" back in ~/${this.current!.lesson.dir}? Your changes to those files are lost.`)) return;
        return this.resetFiles();
      case 'export':
        return this.exportWork();
    }
  }

  private async save(): Promise<void> {
    if (!this.progress) return;
    this.progress.updated = Date.now();
    await this.store.put(this.progress);
  }

  // [SECTION] checks --------------------------------------------------------------------
  /** Re-runs the current step's checks (after a save or a finished command). */
  recheck(): void {
    if (this.current) void this.runChecks();
  }

  /** Runs the current step's checks one after another. Calls made while a run is going
   *  share one more run after it (a save and a finished command at once check once). */
  runChecks(): Promise<CheckResult[]> {
    if (this.queued) return this.queued;
    const q = this.chain.then(() => {
      this.queued = null;
      return this.runOnce();
    });
    this.queued = q;
    this.chain = q.catch(() => []);
    return q;
  }

  private async runOnce(): Promise<CheckResult[]> {
    if (!this.current || !this.progress) return [];
    const m = this.host.machine();
    if (!m) return this.results;
    // A lesson opened before the machine ran (a site's start lesson opens at the first
    // prompt, which can come before the machine says "running") had no files placed.
    if (!this.progress.placed) await this.placeFiles(false);
    if (!this.current || !this.progress) return [];
    const l = this.current;
    const stepNo = this.progress.step;
    const s = l.lesson.steps[stepNo];
    this.checking = true;
    this.results = [];
    this.renderResults();
    try {
      for (const c of s.checks) {
        const r = await runCheck(c, this.dir, m);
        if (this.current !== l || this.progress.step !== stepNo) return []; // moved on
        this.results.push(r);
        if (!this.firstResultMs) this.firstResultMs = Math.round(performance.now() - this.openedAt);
        this.renderResults();
      }
    } finally {
      this.checking = false;
    }
    const sp = this.progress.steps[stepNo];
    const passed = this.results.every((r) => r.ok);
    const was = sp.passed;
    sp.passed = sp.passed || passed;
    sp.results = this.results.map((r) => ({ title: r.title, ok: r.ok, message: r.message }));
    sp.at = Date.now();
    await this.save();
    this.renderResults();
    if (passed && !was) {
      this.host.status(`step ${stepNo + 1} done`, 'ok');
      const next = this.body.querySelector<HTMLButtonElement>('[data-act="next"]');
      if (next) next.disabled = stepNo + 1 >= l.lesson.steps.length;
    }
    return this.results;
  }

  /** Shows step `n` (0-based) of the open lesson (the Back/Next buttons; tests). */
  async goto(n: number): Promise<void> {
    const p = this.progress;
    if (!p || !this.current) return;
    p.step = Math.max(0, Math.min(n, this.current.lesson.steps.length - 1));
    this.results = [];
    await this.save();
    await this.showStep();
  }

  /** Puts the lesson's starting files back (the Reset button, after it asks). */
  resetFiles(): Promise<void> {
    return this.placeFiles(true);
  }

  // [SECTION] files: place, reset, export ---------------------------------------------------
  /** Places the lesson's files in its folder: once (first open), or again (reset). */
  private async placeFiles(force: boolean): Promise<void> {
    const l = this.current!;
    const m = this.host.machine();
    if (!m || !this.progress || (this.progress.placed && !force)) return;
    try {
      await mkdirs(m, this.dir);
      for (const [dest, src] of Object.entries(l.lesson.files)) {
        const data = await fetchBytes(`${l.base}${src}`);
        const path = `${this.dir}/${dest}`;
        await mkdirs(m, path.slice(0, path.lastIndexOf('/')));
        await m.write(path, data);
      }
      this.progress.placed = true;
      await this.save();
      if (force) this.host.status(`the files of "${l.lesson.title}" are back as they started`, 'ok');
    } catch (e) {
      this.host.status(`could not place the lesson's files: ${(e as Error).message}`, 'error');
    }
  }

  private async exportWork(): Promise<void> {
    const l = this.current!;
    const m = this.host.machine();
    if (!m) return this.host.status('the machine is not running', 'error');
    const entries: TarEntry[] = [];
    const root = `${l.lesson.id}`;
    let bytes = 0;
    const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
      if (depth > 8) return;
      for (const e of await m.list(dir)) {
        const p = `${dir}/${e.name}`;
        if (e.type === 'dir') {
          entries.push({ path: `${root}/files/${rel}${e.name}/`, type: 'dir' });
          await walk(p, `${rel}${e.name}/`, depth + 1);
        } else if (e.type === 'file' && bytes < 32 << 20) {
          const data = await m.read(p);
          bytes += data.length;
          entries.push({ path: `${root}/files/${rel}${e.name}`, type: 'file', data });
        }
      }
    };
    try {
      await walk(this.dir, '', 0);
    } catch (e) {
      return this.host.status(`could not read your files: ${(e as Error).message}`, 'error');
    }
    const results = {
      lesson: l.lesson.id,
      title: l.lesson.title,
      exported: new Date().toISOString(),
      steps: l.lesson.steps.map((s, i) => ({ title: s.title, ...this.progress!.steps[i] })),
    };
    entries.unshift({ path: `${root}/results.json`, type: 'file', data: new TextEncoder().encode(JSON.stringify(results, null, 2)) });
    this.host.download(`${l.lesson.id}-work.tar`, writeTar(entries));
  }
}

async function mkdirs(m: LessonFiles, path: string): Promise<void> {
  const parts = path.split('/').filter(Boolean);
  let p = '';
  for (const part of parts) {
    p += `/${part}`;
    try {
      await m.mkdir(p);
    } catch {
      /* exists */
    }
  }
}

export type { Lesson };
