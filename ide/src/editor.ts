// Monaco: one model per guest file, tabs, dirty state, save, gcc markers.
import * as monaco from 'monaco-editor/editor/editor.api.js';
import 'monaco-editor/features/register.all.js';
import 'monaco-editor/languages/definitions/cpp/register.js';
import 'monaco-editor/languages/definitions/python/register.js';
import 'monaco-editor/languages/definitions/shell/register.js';
import 'monaco-editor/languages/definitions/markdown/register.js';
import { registerMakefile } from './makefile-lang';
import { Diagnostic, diagnosticMatchesPath } from './diagnostics';
import { MONACO_THEMES, ThemeName } from './theme';
import { basename } from './engine/protocol';

declare const __EDITOR_WORKER_URL__: string;

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker: () => new Worker(new URL(__EDITOR_WORKER_URL__, document.baseURI), { name: 'monaco-editor' }),
};

registerMakefile(monaco);

monaco.editor.defineTheme('glassbox-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#1a1d23',
    'editorGutter.background': '#1a1d23',
    'editor.lineHighlightBackground': '#22262e',
    'editorLineNumber.foreground': '#4b5263',
    'editorLineNumber.activeForeground': '#abb2bf',
    'editorWidget.background': '#21252b',
    'minimap.background': '#1a1d23',
  },
});
monaco.editor.defineTheme('glassbox-light', {
  base: 'vs',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#ffffff',
    'editor.lineHighlightBackground': '#f4f6f8',
    'editorLineNumber.foreground': '#a0a7b0',
    'editorLineNumber.activeForeground': '#3b434b',
  },
});

/** Monaco language id for a guest file. */
export function languageFor(path: string, firstLine = ''): string {
  const name = basename(path);
  const lower = name.toLowerCase();
  if (/^(gnu)?makefile$/i.test(name) || lower.endsWith('.mk')) return 'makefile';
  if (/\.(c|h)$/.test(lower)) return 'c';
  if (/\.(cc|cpp|cxx|hpp|hh|hxx)$/.test(lower)) return 'cpp';
  if (/\.(py|pyw)$/.test(lower)) return 'python';
  if (/\.(sh|bash)$/.test(lower) || /^\.(bashrc|bash_profile|bash_logout|profile|bash_aliases)$/.test(lower)) return 'shell';
  if (/\.(md|markdown)$/.test(lower)) return 'markdown';
  if (/^#!.*\bpython/.test(firstLine)) return 'python';
  if (/^#!.*\b(ba|da|z)?sh\b/.test(firstLine)) return 'shell';
  return 'plaintext';
}

interface OpenFile {
  path: string;
  model: monaco.editor.ITextModel;
  savedVersion: number;
  tab: HTMLElement;
  view?: monaco.editor.ICodeEditorViewState | null;
}

const WELCOME = `Glassbox

A Linux machine (x86-64, Debian 12) runs inside this page. Nothing leaves your browser.

  Files        your home directory, /home/student, on the left; click a file to open it
  Terminal     a shell on the machine, below; gcc, make and python3 are installed
  Ctrl-S       saves the open file into the machine (Cmd-S on a Mac)
  Ctrl-\`      moves the keyboard to the terminal

Errors and warnings from your last gcc or make in the terminal are marked in the editor.
Your changes are kept in this browser across reloads; "Reset machine" forgets them.
`;

export class EditorArea {
  readonly editor: monaco.editor.IStandaloneCodeEditor;
  private readonly files = new Map<string, OpenFile>();
  private readonly welcome: monaco.editor.ITextModel;
  private active: OpenFile | null = null;
  private diagnostics: Diagnostic[] = [];
  /** Saves a file's text into the guest. Set by main. */
  saveHandler: (path: string, text: string) => Promise<void> = async () => {
    throw new Error('no machine to save to');
  };
  onActiveChange: (path: string | null) => void = () => undefined;
  /** The inspector's hooks: a click in the glyph margin (toggle a line breakpoint) and a
   *  click on a line's text (show its instructions). Set by main. */
  onGutterClick: (path: string, line: number) => void = () => undefined;
  onLineClick: (path: string, line: number) => void = () => undefined;
  private stop: { path: string; line: number } | null = null;
  /** The lines of a file holding a breakpoint: the inspector's one list (set by main). */
  breakLinesFor: (path: string) => number[] = () => [];
  private debugDecos: monaco.editor.IEditorDecorationsCollection | null = null;
  onStatus: (text: string, kind?: 'ok' | 'error') => void = () => undefined;

  constructor(
    container: HTMLElement,
    private readonly tabs: HTMLElement,
    theme: ThemeName,
  ) {
    this.welcome = monaco.editor.createModel(WELCOME, 'plaintext', monaco.Uri.parse('glassbox:welcome'));
    this.editor = monaco.editor.create(container, {
      model: this.welcome,
      theme: MONACO_THEMES[theme],
      automaticLayout: true,
      fontFamily: "'JetBrains Mono', 'DejaVu Sans Mono', 'Cascadia Code', Menlo, Consolas, monospace",
      fontSize: 13.5,
      lineHeight: 20,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      renderWhitespace: 'selection',
      tabSize: 4,
      insertSpaces: true,
      readOnly: true,
      wordWrap: 'on',
      lineNumbers: 'off',
      padding: { top: 8 },
      smoothScrolling: true,
      fixedOverflowWidgets: true,
    });
    // Ctrl/Cmd-S inside the editor (the window-level handler covers the rest of the page).
    this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => void this.saveActive());
    this.debugDecos = this.editor.createDecorationsCollection([]);
    this.editor.onMouseDown((e) => {
      const path = this.active?.path, line = e.target.position?.lineNumber;
      if (!path || !line) return;
      if (e.target.type === monaco.editor.MouseTargetType.GUTTER_GLYPH_MARGIN) this.onGutterClick(path, line);
      else if (e.target.type === monaco.editor.MouseTargetType.CONTENT_TEXT || e.target.type === monaco.editor.MouseTargetType.GUTTER_LINE_NUMBERS)
        this.onLineClick(path, line);
    });
    this.renderTabs();
  }

  // ---- the inspector's marks: the stopped line and line breakpoints ----

  /** Highlights `line` of `path` (the machine stopped there), or nothing. */
  setStopLine(path: string | null, line = 0): void {
    this.stop = path && line > 0 ? { path, line } : null;
    this.renderDebug();
    if (this.stop && this.active?.path === path) this.editor.revealLineInCenterIfOutsideViewport(line);
  }

  /** The breakpoints changed (the inspector's list): redraw the glyph margin's dots. */
  refreshBreaks(): void {
    this.renderDebug();
  }

  /** The lines of the active file showing a breakpoint dot (the test hook). */
  get breakDots(): number[] {
    const model = this.editor.getModel();
    if (!model) return [];
    return model.getAllDecorations().filter((d) => d.options.glyphMarginClassName === 'gb-break-glyph').map((d) => d.range.startLineNumber);
  }

  /** The line highlighted as stopped in the active file (0: none; the test hook). */
  get stopLine(): number {
    return this.stop && this.active?.path === this.stop.path ? this.stop.line : 0;
  }

  private renderDebug(): void {
    const path = this.active?.path;
    const d: monaco.editor.IModelDeltaDecoration[] = [];
    for (const line of path ? this.breakLinesFor(path) : [])
      d.push({ range: new monaco.Range(line, 1, line, 1), options: { glyphMarginClassName: 'gb-break-glyph', glyphMarginHoverMessage: { value: 'breakpoint (click to remove)' } } });
    if (this.stop && this.stop.path === path)
      d.push({ range: new monaco.Range(this.stop.line, 1, this.stop.line, 1), options: { isWholeLine: true, className: 'gb-stop-line', glyphMarginClassName: 'gb-stop-glyph' } });
    this.debugDecos?.set(d);
  }

  setTheme(theme: ThemeName): void {
    monaco.editor.setTheme(MONACO_THEMES[theme]);
  }

  get activePath(): string | null {
    return this.active?.path ?? null;
  }

  isOpen(path: string): boolean {
    return this.files.has(path);
  }

  /** The open files (tab order) and their current text, saved or not (share links). */
  openFiles(): Array<{ path: string; text: string }> {
    return [...this.files.values()].map((f) => ({ path: f.path, text: f.model.getValue() }));
  }

  /** Opens (or focuses) a file with the given text. */
  open(path: string, text: string, focus = true): void {
    let f = this.files.get(path);
    if (!f) {
      const uri = monaco.Uri.from({ scheme: 'file', path });
      monaco.editor.getModel(uri)?.dispose();
      const model = monaco.editor.createModel(text, languageFor(path, text.slice(0, text.indexOf('\n') >>> 0)), uri);
      const tab = document.createElement('div');
      f = { path, model, savedVersion: model.getAlternativeVersionId(), tab };
      const file = f;
      model.onDidChangeContent(() => this.updateDirty(file));
      this.files.set(path, f);
      this.applyMarkers(f);
    }
    this.activate(f, focus);
  }

  /** Shows an open file's tab without taking the keyboard (the inspector's stops). */
  show(path: string): void {
    const f = this.files.get(path);
    if (f && f !== this.active) this.activate(f, false);
  }

  /** Replaces a clean file's text with what is now on disk (no-op for dirty files). */
  reloadIfClean(path: string, text: string): void {
    const f = this.files.get(path);
    if (!f || this.isDirty(f) || f.model.getValue() === text) return;
    f.model.setValue(text);
    f.savedVersion = f.model.getAlternativeVersionId();
    this.updateDirty(f);
  }

  close(path: string): void {
    const f = this.files.get(path);
    if (!f) return;
    if (this.isDirty(f) && !confirm(`${basename(path)} has unsaved changes. Close it anyway?`)) return;
    this.files.delete(path);
    if (this.active === f) {
      const next = [...this.files.values()].pop() ?? null;
      this.active = null;
      if (next) this.activate(next);
      else {
        this.editor.setModel(this.welcome);
        this.editor.updateOptions({ readOnly: true, wordWrap: 'on', lineNumbers: 'off' });
        this.onActiveChange(null);
      }
    }
    f.model.dispose();
    this.renderTabs();
  }

  /** A file was renamed or deleted in the guest. */
  forget(path: string): void {
    const f = this.files.get(path);
    if (f && !this.isDirty(f)) this.close(path);
  }

  private activate(f: OpenFile, focus = true): void {
    if (this.active && this.active !== f) this.active.view = this.editor.saveViewState();
    this.active = f;
    this.editor.setModel(f.model);
    this.editor.updateOptions({ readOnly: false, wordWrap: 'off', lineNumbers: 'on', glyphMargin: true });
    if (f.view) this.editor.restoreViewState(f.view);
    this.renderDebug();
    if (focus) this.editor.focus();
    this.renderTabs();
    this.onActiveChange(f.path);
  }

  private isDirty(f: OpenFile): boolean {
    return f.model.getAlternativeVersionId() !== f.savedVersion;
  }

  private updateDirty(f: OpenFile): void {
    f.tab.classList.toggle('dirty', this.isDirty(f));
  }

  async saveActive(): Promise<void> {
    const f = this.active;
    if (!f) {
      this.onStatus('nothing to save: open a file from the tree first');
      return;
    }
    const version = f.model.getAlternativeVersionId();
    try {
      await this.saveHandler(f.path, f.model.getValue());
      f.savedVersion = version;
      this.updateDirty(f);
      this.onStatus(`saved ${f.path}`, 'ok');
    } catch (e) {
      this.onStatus(`could not save ${f.path}: ${(e as Error).message}`, 'error');
    }
  }

  private renderTabs(): void {
    this.tabs.replaceChildren();
    if (this.files.size === 0) {
      const t = document.createElement('div');
      t.className = 'tab active welcome';
      t.textContent = 'Welcome';
      this.tabs.append(t);
      return;
    }
    for (const f of this.files.values()) {
      const t = f.tab;
      t.className = 'tab' + (f === this.active ? ' active' : '') + (this.isDirty(f) ? ' dirty' : '');
      t.title = f.path;
      t.replaceChildren();
      const label = document.createElement('span');
      label.className = 'tab-label';
      label.textContent = basename(f.path);
      const close = document.createElement('button');
      close.className = 'tab-close';
      close.title = 'Close';
      close.setAttribute('aria-label', `Close ${basename(f.path)}`);
      close.onclick = (ev) => {
        ev.stopPropagation();
        this.close(f.path);
      };
      t.onclick = () => this.activate(f);
      t.onauxclick = (ev) => {
        if (ev.button === 1) this.close(f.path);
      };
      t.append(label, close);
      this.tabs.append(t);
    }
  }

  // ---- markers ----

  setDiagnostics(diags: Diagnostic[]): void {
    this.diagnostics = diags.slice();
    for (const f of this.files.values()) this.applyMarkers(f);
  }

  private applyMarkers(f: OpenFile): void {
    const markers: monaco.editor.IMarkerData[] = [];
    for (const d of this.diagnostics) {
      if (!diagnosticMatchesPath(d.file, f.path)) continue;
      const line = Math.min(Math.max(1, d.line), f.model.getLineCount());
      const col = Math.max(1, d.column);
      // Underline the word at the column (gcc points at a token), at least one character.
      const word = f.model.getWordAtPosition({ lineNumber: line, column: col });
      const endCol = word && word.startColumn <= col ? word.endColumn : Math.min(col + 1, f.model.getLineMaxColumn(line));
      markers.push({
        severity:
          d.severity === 'error'
            ? monaco.MarkerSeverity.Error
            : d.severity === 'warning'
              ? monaco.MarkerSeverity.Warning
              : monaco.MarkerSeverity.Info,
        message: d.message,
        source: 'gcc',
        code: d.option,
        startLineNumber: line,
        startColumn: col,
        endLineNumber: line,
        endColumn: Math.max(endCol, col + 1),
      });
    }
    monaco.editor.setModelMarkers(f.model, 'gcc', markers);
  }

  markersFor(path: string): monaco.editor.IMarker[] {
    const f = this.files.get(path);
    return f ? monaco.editor.getModelMarkers({ resource: f.model.uri, owner: 'gcc' }) : [];
  }

  /** Monaco's current theme (for tests), read from the editor's DOM. */
  themeClass(): string {
    const el = this.editor.getDomNode();
    return el?.closest('.monaco-editor')?.className ?? el?.className ?? '';
  }
}

export { monaco };
