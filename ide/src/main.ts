// Glassbox IDE: the page. Layout, editor, terminal, file tree, and the engine worker.
import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { EditorArea, monaco } from './editor';
import { TerminalPane } from './terminal';
import { FileTree, DroppedFile } from './tree';
import { Layout } from './layout';
import { THEME_KEY, ThemeName, initialTheme } from './theme';
import { checkBrowser, setUpServiceWorker } from './checks';
import { DiagnosticsCollector } from './diagnostics';
import { EngineClient, FsOpError } from './engine/client';
import { EngineConfig, OldDataMessage, TestHookMessage, TestHooks, WorkerState, WorkerToPage, basename, dirname, joinPath } from './engine/protocol';
import { OVERLAY_DB, deleteOverlayDb } from './engine/overlay-store';
import { earlierWorkspaceTar, workspaceTar } from './workspace';
import { currentTier, setupTierButton } from './tier';
import { InspectorPane } from './inspector/inspector';
import { PreviewPane, installPreviewBridge, previewUrl } from './preview/pane';
import { LessonsPanel } from './lessons/panel';
import { ShareError, SharePayload, decodeShare, encodeShare, receiveFolder } from './share';
import { SiteConfig, loadSiteConfig } from './config';
import { offlinePlan, setupOfflineButton } from './offline';
import { $, askText, downloadBlob, formatBytes, showDialog, showMenu } from './ui';
import { Persistence, StorageBanner, askAboutOldData, deleteChunks, requestPersistence, unusedChunks } from './storage';

declare const __ENGINE_WORKER_URL__: string;
declare const __BUILD_ID__: string;

const HOME = '/home/student';
const MAX_UPLOAD = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// theme
let theme: ThemeName = initialTheme();
document.documentElement.dataset.theme = theme;

// ---------------------------------------------------------------------------------------
// status bar
const status = {
  last: { state: 'starting' as WorkerState | 'unsupported', text: 'starting' },
  stoppedAt: '' as string, // the inspector stopped the machine: "stopped at main (hello.c:4)"
  machine(state: WorkerState | 'unsupported', text: string) {
    this.last = { state, text };
    $('st-machine').dataset.state = this.stoppedAt && state === 'running' ? 'paused' : state;
    $('st-machine-text').textContent = this.stoppedAt && state === 'running' ? this.stoppedAt : text;
    document.body.dataset.machine = state;
  },
  /** The inspector's stop (text), or '' when the machine runs again. */
  debugStop(text: string) {
    this.stoppedAt = text;
    this.machine(this.last.state, this.last.text);
  },
  progress(phase: string, fraction: number | undefined, bytes: number) {
    const bar = $('st-progress-bar');
    $('st-progress').classList.toggle('indeterminate', fraction === undefined);
    bar.style.width = `${Math.round((fraction ?? 0) * 100)}%`;
    $('st-phase').textContent = phase;
    $('st-bytes').textContent = bytes ? `${formatBytes(bytes)} fetched` : '';
    $('st-progress').hidden = false;
  },
  hideProgress() {
    $('st-progress').hidden = true;
  },
  messageTimer: 0 as number,
  message(text: string, kind: 'ok' | 'error' | 'info' = 'info') {
    const el = $('st-message');
    el.textContent = text;
    el.dataset.kind = kind;
    clearTimeout(this.messageTimer);
    this.messageTimer = window.setTimeout(() => (el.textContent = ''), kind === 'error' ? 10_000 : 4000);
  },
};

// ---------------------------------------------------------------------------------------
// panes
const layout = new Layout($('workbench'));
/** ?stall=MS: how long a download may go without a byte before it is given up (the
 *  engine's, the image's, the inspector's; docs/ide.md "Downloads that stall"); default 30 s. */
function stallMs(): number | undefined {
  const ms = Number(new URLSearchParams(location.search).get('stall'));
  return ms > 0 ? ms : undefined;
}
const inspector = new InspectorPane(
  $('inspector'),
  new URL('engine/glassbox_inspector.js', document.baseURI).href,
  new URL('engine/glassbox_inspector.wasm', document.baseURI).href,
  stallMs(),
);
const editor = new EditorArea($('editor'), $('tabs'), theme);
const terminal = new TerminalPane($('terminal'), theme);
const tree = new FileTree($('tree'), HOME);
const diagnostics = new DiagnosticsCollector();
diagnostics.onChange = (d) => editor.setDiagnostics(d);
// The inspector and the editor (docs/inspector.md, "In the editor"): the stopped line is
// highlighted (its file opened if needed), the status bar says where; a click in the
// glyph margin toggles a line breakpoint, a click on a line shows its instructions.
inspector.onStop = (stop) => {
  if (!stop) {
    status.debugStop('');
    editor.setStopLine(null);
    return;
  }
  const src = stop.file ? `${stop.file.slice(stop.file.lastIndexOf('/') + 1)}:${stop.line}` : '';
  const at = stop.func && src ? `${stop.func} (${src})` : stop.func || src || `process ${stop.pid}`;
  status.debugStop(stop.signal ? `stopped before ${stop.signal} in ${at}` : `stopped at ${at}`);
  if (!stop.file) return editor.setStopLine(null);
  // (never taking the keyboard: the student may be typing in the terminal)
  const show = () => (editor.show(stop.file), editor.setStopLine(stop.file, stop.line));
  if (editor.isOpen(stop.file)) show();
  else if (stop.file.startsWith('/')) void openFile(stop.file, false).then(show);
};
window.addEventListener('pagehide', () => inspector.saveLayout());
// Breakpoints: one list, the inspector's; the editor draws its dots from it (whether
// set in the gutter, typed in the Code panel's break box, or kept across a reset).
editor.breakLinesFor = (path) => inspector.breakLines(path);
inspector.onBreaks = () => editor.refreshBreaks();
editor.onGutterClick = (path, line) => {
  if (inspector.state !== 'open') return status.message('open the inspector to set breakpoints');
  void inspector.toggleLineBreak(path, line).then(() => editor.refreshBreaks());
};
editor.onLineClick = (path, line) => {
  if (inspector.state === 'open' && status.stoppedAt) void inspector.lineView(path, line);
};
editor.onStatus = (t, k) => status.message(t, k);
terminal.onEnter = (line) => diagnostics.commandStarted(line);

function applyTheme(t: ThemeName): void {
  theme = t;
  document.documentElement.dataset.theme = t;
  localStorage.setItem(THEME_KEY, t);
  editor.setTheme(t);
  terminal.setTheme(t);
}
$('btn-theme').onclick = () => applyTheme(theme === 'dark' ? 'light' : 'dark');

// ---------------------------------------------------------------------------------------
// the machine
let client: EngineClient | null = null;
// the Preview tab and the service worker's route into this tab's machine (docs/preview.md)
const preview = new PreviewPane(() => client);
installPreviewBridge(() => client);
let machineState: WorkerState | 'unsupported' = 'starting';
let firstPromptAt = 0;
/** Boot figures for tests and the console: ms from navigation to the first prompt, bytes fetched by then. */
const bootStats = { firstPromptMs: 0, bytesFetched: 0, chunksFetched: 0 };
/** Storage: what the browser granted, the last committed sync, overlays of old images. */
const storage = {
  persistence: 'unavailable' as Persistence,
  lastSync: { blocks: 0, ms: 0 },
  /** The last 100 committed syncs: blocks and ms (figures for tests and the console). */
  syncs: [] as Array<{ blocks: number; ms: number }>,
  failing: false,
  /** blocks kept in IndexedDB for this image */
  total: 0,
  oldImages: [] as OldDataMessage['images'],
};
const storageBanner = new StorageBanner();
/** Test-only: a listener for the worker's test-hook messages (window.glassbox.debug). */
let testHookListener: ((m: TestHookMessage) => void) | null = null;

function showOverlayStatus(total = storage.total): void {
  storage.total = total;
  const el = $('st-overlay');
  el.dataset.kind = storage.failing ? 'error' : '';
  el.textContent = storage.failing ? 'changes not saved in the browser yet' : total ? `${total} changed blocks kept` : '';
  el.title =
    (storage.failing ? 'The browser refused to store your latest changes; they are kept in memory and retried. ' : 'Disk blocks you changed, kept in this browser. ') +
    (storage.persistence === 'persistent' ? 'Storage is persistent.' : 'Storage is best-effort: the browser may clear it when space runs low.');
}

/** After the first prompt: old images' overlays and unused chunks, deleted only if the
 *  student agrees; their files can be downloaded first (workspace.ts). */
async function offerToDeleteOldData(always = false): Promise<void> {
  let chunks = { urls: [] as string[], bytes: 0 };
  try {
    chunks = await unusedChunks(new URL('image/manifest.json', document.baseURI).href);
  } catch {
    /* no cache or no manifest: nothing to offer */
  }
  const images = storage.oldImages;
  const answer = await askAboutOldData({ images, chunks }, { always });
  if (answer === 'download') {
    await downloadEarlierWorkspaces(images.filter((i) => i.manifest));
    return offerToDeleteOldData(true); // then the same question again
  }
  if (answer !== 'delete') return;
  try {
    if (chunks.urls.length) await deleteChunks(chunks.urls);
    if (images.length) client?.post({ type: 'prune', imageIds: images.map((i) => i.imageId) });
    else status.message(`deleted ${formatBytes(chunks.bytes)} of old disk chunks`, 'ok');
  } catch (e) {
    status.message(`could not delete the old data: ${(e as Error).message}`, 'error');
  }
}

/** One archive per earlier image: its machine booted read-only beside this one. */
async function downloadEarlierWorkspaces(images: OldDataMessage['images']): Promise<void> {
  for (const img of [...images].sort((a, b) => b.updated - a.updated)) {
    const d = new Date(img.updated);
    const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
    try {
      const tar = await earlierWorkspaceTar(workerUrl(), machineConfig(), img.imageId, (t) => status.message(t));
      downloadBlob(`glassbox-workspace-${stamp}-earlier.tar`, tar, 'application/x-tar');
      status.message(`your files from the version of ${d.toLocaleDateString()} downloaded (${formatBytes(tar.length)})`, 'ok');
    } catch (e) {
      status.message(`cannot read your files from the version of ${d.toLocaleDateString()}: ${(e as Error).message}`, 'error');
    }
  }
}

function running(): EngineClient {
  if (!client || machineState !== 'running') throw new FsOpError('ENOENGINE', 'the machine is not running');
  return client;
}

function onWorkerMessage(msg: WorkerToPage): void {
  switch (msg.type) {
    case 'status': {
      machineState = msg.state;
      status.machine(msg.state, msg.message);
      $('term-sub').textContent = msg.state === 'running' ? 'student@glassbox' : '';
      if (msg.state === 'running') {
        tree.setSource({ list: (p) => running().list(p) });
      } else if (msg.state !== 'booting' && msg.state !== 'starting' && msg.state !== 'loading-engine') {
        status.hideProgress();
        tree.setUnavailable(`No machine is running: ${msg.message}.`);
        if (msg.detail) terminal.notice(msg.detail, msg.state === 'exited' ? 'info' : 'warn');
      }
      break;
    }
    case 'progress':
      if (msg.phase === 'ready') status.hideProgress();
      else status.progress(msg.phase, msg.fraction, msg.bytesFetched);
      break;
    case 'prompt': {
      firstPromptAt = msg.at - performance.timeOrigin;
      bootStats.firstPromptMs = firstPromptAt;
      bootStats.bytesFetched = msg.bytesFetched ?? 0;
      bootStats.chunksFetched = msg.chunksFetched ?? 0;
      $('st-first-prompt').textContent = `first prompt in ${(firstPromptAt / 1000).toFixed(1)} s`;
      $('st-first-prompt').title = `${((msg.bytesFetched ?? 0) / 1048576).toFixed(1)} MiB fetched before the prompt (${msg.chunksFetched ?? 0} disk chunks)`;
      status.hideProgress();
      void tree.refresh();
      void offerToDeleteOldData();
      void startLessons().then(() => receiveShare());
      break;
    }
    case 'idle':
      lessons?.recheck(); // a terminal command finished
      void tree.refresh();
      void reloadOpenFiles();
      break;
    case 'fs-changed':
      void tree.refresh();
      break;
    case 'overlay':
      if (msg.blocks) {
        storage.lastSync = { blocks: msg.blocks, ms: msg.ms ?? 0 };
        storage.syncs.push(storage.lastSync);
        if (storage.syncs.length > 100) storage.syncs.shift();
      }
      showOverlayStatus(msg.total);
      break;
    case 'storage':
      storage.failing = msg.state === 'failed';
      showOverlayStatus();
      void storageBanner.show(msg);
      if (msg.state === 'failed') console.warn(`[storage] ${msg.message}; ${msg.pendingBlocks} blocks pending`);
      break;
    case 'old-data':
      storage.oldImages = msg.images;
      break;
    case 'pruned': {
      const bytes = storage.oldImages.filter((i) => msg.imageIds.includes(i.imageId)).reduce((n, i) => n + i.bytes, 0);
      if (msg.error) status.message(`could not delete the old data: ${msg.error}`, 'error');
      else {
        storage.oldImages = storage.oldImages.filter((i) => !msg.imageIds.includes(i.imageId));
        status.message(`deleted old data (${formatBytes(bytes)})`, 'ok');
      }
      break;
    }
    case 'test-hook':
      testHookListener?.(msg);
      break;
    case 'net': {
      const net = $('st-net');
      net.dataset.online = String(msg.online);
      net.textContent = msg.online ? 'online' : 'offline';
      net.title = `network relay: ${msg.detail}`;
      break;
    }
    case 'log':
      (msg.level === 'error' ? console.error : msg.level === 'warn' ? console.warn : console.log)(`[engine] ${msg.text}`);
      break;
  }
}

/** The network relay (docs/networking.md): ?relay=URL, else the site's config; ?relay=off: none. */
function relayUrl(): string | undefined {
  const q = new URLSearchParams(location.search).get('relay');
  if (q === 'off') return undefined;
  const r = q || siteConfig.relay;
  if (!r) return undefined;
  try {
    return new URL(r, location.href.replace(/^http/, 'ws')).href;  // relative URLs: same host
  } catch {
    return undefined;
  }
}

const workerUrl = () => new URL(__ENGINE_WORKER_URL__, document.baseURI).href;

/** The machine's engine config (startMachine; an earlier image's machine starts from it). */
function machineConfig(): EngineConfig {
  const base = document.baseURI;
  return {
    engineScript: new URL('engine/glassbox_web.js', base).href,
    engineWasm: new URL('engine/glassbox_web.wasm', base).href,
    imageManifest: new URL('image/manifest.json', base).href,
    overlayDb: OVERLAY_DB,
    persist: true,
    // a first visit: no service worker caches the worker's fetches yet (docs/offline.md)
    cacheChunks: 'serviceWorker' in navigator && !navigator.serviceWorker.controller,
    rows: terminal.rows,
    cols: terminal.cols,
    // ?mem=MiB: the machine's guest memory (a lab for a small device, the OOM killer
    // shown on purpose); default: what the tab can hold (worker/machine.ts memLimitMb)
    memLimitMb: Number(new URLSearchParams(location.search).get('mem')) || undefined,
    relay: relayUrl(),
    // the execution tier (tier.ts: ?jit=, else the student's setting; docs/jit.md)
    jit: currentTier(),
    fetchTimeoutMs: stallMs(),
  };
}

function startMachine(): void {
  const relay = relayUrl();
  const net = $('st-net');
  net.hidden = !relay;
  net.dataset.online = 'false';
  net.textContent = 'offline';
  net.title = relay ? `network relay ${relay}: connecting` : '';
  status.machine('starting', 'starting');
  status.progress('starting the engine worker', undefined, 0);
  tree.setUnavailable('The machine is starting…');
  const c = new EngineClient({
    workerUrl: workerUrl(),
    config: machineConfig(),
    onOutput: (bytes) => {
      diagnostics.feedBytes(bytes);
      return terminal.write(bytes);
    },
    onMessage: onWorkerMessage,
    onWorkerError: (m) => {
      machineState = 'error';
      status.machine('error', 'engine worker failed');
      terminal.notice(`The engine worker failed: ${m}`, 'error');
    },
  });
  client = c;
  c.start();
  inspector.attach(c);
}

terminal.onInput = (d) => client?.sendInput(d);
terminal.onBinary = (d) => client?.sendInput(d);
terminal.onResize = (rows, cols) => client?.resize(rows, cols);

/** After the guest goes idle: pick up changes made in the terminal to clean open files. */
async function reloadOpenFiles(): Promise<void> {
  const path = editor.activePath;
  if (!path || machineState !== 'running') return;
  try {
    const data = await running().read(path);
    editor.reloadIfClean(path, new TextDecoder().decode(data));
  } catch (e) {
    if (e instanceof FsOpError && e.code === 'ENOENT') status.message(`${path} no longer exists in the machine`, 'error');
  }
}

// ---------------------------------------------------------------------------------------
// files
async function openFile(path: string, focus = true): Promise<void> {
  try {
    const data = await running().read(path);
    if (data.length > 8 * 1024 * 1024) {
      status.message(`${basename(path)} is too large to edit here (${formatBytes(data.length)}); download it instead`, 'error');
      return;
    }
    if (data.subarray(0, 8000).includes(0)) {
      status.message(`${basename(path)} is a binary file; download it instead`, 'error');
      return;
    }
    editor.open(path, new TextDecoder().decode(data), focus);
  } catch (e) {
    status.message(`cannot open ${path}: ${(e as Error).message}`, 'error');
  }
}

editor.saveHandler = async (path, text) => {
  await running().write(path, text);
  void tree.refresh();
  lessons?.recheck();
};

// ---------------------------------------------------------------------------------------
// share links (ide/src/share.ts, docs/share.md): open files in the URL's fragment
const shareState = { received: null as null | { folder: string; files: string[] }, error: '' };

/** The share link of the open files (and the lesson step), or an error message. */
async function makeShareLink(): Promise<string> {
  const open = editor.openFiles().filter((f) => f.path.startsWith(`${HOME}/`));
  if (!open.length) throw new ShareError('open the files to share in the editor first');
  // Names relative to the deepest folder they all share.
  const dirs = open.map((f) => dirname(f.path).split('/'));
  let common = dirs[0];
  for (const d of dirs) {
    let i = 0;
    while (i < common.length && i < d.length && common[i] === d[i]) i++;
    common = common.slice(0, i);
  }
  const base = common.join('/');
  const payload: SharePayload = { files: {}, from: base.slice(HOME.length + 1) || '~' };
  for (const f of open) payload.files[f.path.slice(base.length + 1)] = f.text;
  const st = lessons?.state;
  if (st && st.current) {
    payload.lesson = st.current;
    payload.step = st.step + 1;
  }
  return `${location.origin}${location.pathname}#${await encodeShare(payload)}`;
}

async function receiveShare(): Promise<void> {
  let p: SharePayload | null;
  try {
    p = await decodeShare(location.hash);
  } catch (e) {
    shareState.error = (e as Error).message;
    status.message(`share link: ${shareState.error}`, 'error');
    terminal.notice(`This page was opened with a share link that could not be read: ${shareState.error}.`, 'warn');
    return;
  }
  if (!p) return;
  history.replaceState(null, '', location.pathname + location.search); // a reload does not import again
  try {
    const c = running();
    let taken = new Set<string>();
    try {
      taken = new Set((await c.list(`${HOME}/shared`)).map((e) => `shared/${e.name}`));
    } catch {
      /* no ~/shared yet */
    }
    const folder = receiveFolder(new Date(), (n) => taken.has(n));
    const dir = `${HOME}/${folder}`;
    await c.mkdir(`${HOME}/shared`).catch(() => undefined);
    await c.mkdir(dir);
    const names = Object.keys(p.files);
    for (const n of names) {
      const path = `${dir}/${n}`;
      const parts = n.split('/').slice(0, -1);
      for (let i = 1; i <= parts.length; i++) await c.mkdir(`${dir}/${parts.slice(0, i).join('/')}`).catch(() => undefined);
      await c.write(path, p.files[n]);
    }
    shareState.received = { folder: dir, files: names };
    await tree.refresh();
    await openFile(`${dir}/${names[0]}`);
    status.message(`opened ${names.length} shared file${names.length > 1 ? 's' : ''} in ~/${folder}`, 'ok');
    if (p.lesson && lessons) {
      await lessons.ready;
      await lessons.open(p.lesson, (p.step ?? 1) - 1);
    }
  } catch (e) {
    shareState.error = (e as Error).message;
    status.message(`could not open the shared files: ${shareState.error}`, 'error');
  }
}

// A link pasted into the address bar of an open IDE changes only the fragment (no reload).
window.addEventListener('hashchange', () => {
  if (machineState === 'running' && location.hash.includes('share=')) void receiveShare();
});

$('btn-share').onclick = async () => {
  try {
    const link = await makeShareLink();
    try {
      await navigator.clipboard.writeText(link);
      status.message(`share link copied (${link.length} characters)`, 'ok');
    } catch {
      /* no clipboard permission: the dialog shows it */
    }
    await askText('Share link (nothing is uploaded: the files are inside the link)', link);
  } catch (e) {
    status.message(`no share link: ${(e as Error).message}`, 'error');
  }
};

// ---------------------------------------------------------------------------------------
// lessons (docs/lessons.md): the site's lessons/, or a folder on any static host (?lessons=URL)
let lessons: LessonsPanel | null = null;
let siteConfig: SiteConfig = {};
const siteConfigReady = loadSiteConfig().then((c) => {
  siteConfig = c;
  if (c.title) document.title = `${c.title} — Glassbox`;
});
async function startLessons(): Promise<void> {
  if (lessons) return;
  await siteConfigReady;
  if (lessons) return;
  const q = new URLSearchParams(location.search);
  const base = q.get('lessons') ?? new URL(siteConfig.lessons ?? 'lessons/', document.baseURI).href;
  if (siteConfig.startLesson && !q.has('lesson') && !location.hash.includes('share=')) {
    q.set('lesson', siteConfig.startLesson);
    history.replaceState(null, '', `?${q.toString()}`);
  }
  lessons = new LessonsPanel($('lessons'), {
    home: HOME,
    machine: () => {
      const c = client;
      if (!c || machineState !== 'running') return null;
      return {
        exec: (spec) => c.exec(spec),
        readFile: async (p) => {
          try {
            return await c.read(p);
          } catch (e) {
            if (e instanceof FsOpError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return null;
            throw e;
          }
        },
        write: (p, d) => c.write(p, d),
        mkdir: (p) => c.mkdir(p),
        list: (p) => c.list(p),
        read: (p) => c.read(p),
      };
    },
    openFile: (p) => void openFile(p).then(() => tree.refresh()),
    typeCommand: (cmd) => {
      diagnostics.commandStarted(cmd);
      client?.sendInput(`${cmd.replace(/\n+$/, '')}\r`);
      terminal.focus();
    },
    openInspector: () => void inspector.open(),
    download: (name, data) => downloadBlob(name, data, 'application/x-tar'),
    status: (t, k) => status.message(t, k),
  }, base);
}
tree.onOpen = (p) => void openFile(p);
editor.onActiveChange = (p) => {
  if (p) tree.select(p);
};

async function uploadInto(dir: string, files: DroppedFile[]): Promise<void> {
  let n = 0;
  const made = new Set<string>([dir]);
  for (const { relPath, file } of files) {
    const dest = joinPath(dir, relPath);
    if (file.size > MAX_UPLOAD) {
      status.message(`${relPath} is larger than ${formatBytes(MAX_UPLOAD)}; skipped`, 'error');
      continue;
    }
    try {
      const c = running();
      // folders dropped from the desktop: create the missing directories, parents first
      const need: string[] = [];
      for (let d = dirname(dest); !made.has(d) && d.startsWith(dir + '/'); d = dirname(d)) need.unshift(d);
      for (const d of need) {
        await c.mkdir(d).catch((e: FsOpError) => {
          if (e.code !== 'EEXIST') throw e;
        });
        made.add(d);
      }
      await c.write(dest, new Uint8Array(await file.arrayBuffer()));
      n++;
    } catch (e) {
      status.message(`upload of ${relPath} failed: ${(e as Error).message}`, 'error');
      return;
    }
  }
  if (n) status.message(`uploaded ${n} file${n === 1 ? '' : 's'} to ${dir}`, 'ok');
  void tree.refresh();
}
tree.onDrop = (dir, files) => void uploadInto(dir, files);

$('btn-upload').onclick = () => ($('upload-input') as HTMLInputElement).click();
$('upload-input').addEventListener('change', (ev) => {
  const input = ev.target as HTMLInputElement;
  const files = Array.from(input.files ?? []).map((f) => ({ relPath: f.name, file: f }));
  input.value = '';
  if (files.length) void uploadInto(tree.targetDir, files);
});

async function downloadFile(path: string | null): Promise<void> {
  if (!path) {
    status.message('select a file in the tree (or open one) to download it');
    return;
  }
  try {
    downloadBlob(basename(path), await running().read(path));
  } catch (e) {
    status.message(`cannot download ${path}: ${(e as Error).message}`, 'error');
  }
}
$('btn-download').onclick = () => {
  const sel = tree.selected;
  void downloadFile(sel && tree.typeOf(sel) === 'file' ? sel : editor.activePath);
};

async function downloadWorkspace(): Promise<void> {
  try {
    status.message('packing /home/student…');
    const tar = await workspaceTar(running());
    const d = new Date();
    const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
    downloadBlob(`glassbox-workspace-${stamp}.tar`, tar, 'application/x-tar');
    status.message(`workspace downloaded (${formatBytes(tar.length)})`, 'ok');
  } catch (e) {
    status.message(`cannot download the workspace: ${(e as Error).message}`, 'error');
  }
}
$('btn-download-ws').onclick = () => void downloadWorkspace();
storageBanner.onDownload = () => void downloadWorkspace();

$('btn-save').onclick = () => void editor.saveActive();

async function resetMachine(): Promise<void> {
  const answer = await showDialog($('reset-dialog') as HTMLDialogElement);
  if (answer === 'download') {
    await downloadWorkspace();
    return;
  }
  if (answer !== 'reset') return;
  client?.terminate();
  client = null;
  machineState = 'starting';
  try {
    await deleteOverlayDb(OVERLAY_DB);
  } catch (e) {
    status.message(`could not clear the saved overlay: ${(e as Error).message}`, 'error');
  }
  for (const p of [...document.querySelectorAll<HTMLElement>('#tabs .tab[title]')].map((t) => t.title)) editor.forget(p);
  diagnostics.clear();
  terminal.term.reset();
  terminal.notice('The machine was reset: all changes were forgotten.');
  if (bootOk) startMachine();
}
$('btn-reset').onclick = () => void resetMachine();

async function newEntry(kind: 'file' | 'dir', dir = tree.targetDir): Promise<void> {
  const name = await askText(kind === 'file' ? `New file in ${dir}` : `New folder in ${dir}`, kind === 'file' ? 'untitled.c' : 'folder');
  if (!name) return;
  const path = joinPath(dir, name);
  try {
    const c = running();
    if (kind === 'dir') await c.mkdir(path);
    else {
      await c.stat(path).then(
        () => {
          throw new FsOpError('EEXIST', `${path} already exists`);
        },
        (e: FsOpError) => {
          if (e.code !== 'ENOENT') throw e;
        },
      );
      await c.write(path, '');
    }
    await tree.refresh();
    tree.select(path);
    if (kind === 'file') await openFile(path);
  } catch (e) {
    status.message(`cannot create ${path}: ${(e as Error).message}`, 'error');
  }
}
$('btn-new-file').onclick = () => void newEntry('file');
$('btn-new-dir').onclick = () => void newEntry('dir');
$('btn-refresh').onclick = () => void tree.refresh();

tree.onContextMenu = (path, type, x, y) => {
  const isRoot = type === 'root';
  const dir = type === 'dir' || isRoot ? path : dirname(path);
  showMenu(
    [
      ...(type === 'file' ? [{ label: 'Open', action: () => void openFile(path) }] : []),
      ...(type === 'file' ? [{ label: 'Download', action: () => void downloadFile(path) }] : []),
      { label: 'New file…', action: () => void newEntry('file', dir) },
      { label: 'New folder…', action: () => void newEntry('dir', dir) },
      { label: 'Upload files here…', action: () => { tree.select(dir); $('btn-upload').click(); } },
      ...(!isRoot
        ? [
            {
              label: 'Rename…',
              action: async () => {
                const name = await askText(`Rename ${basename(path)}`, basename(path));
                if (!name || name === basename(path)) return;
                try {
                  await running().rename(path, joinPath(dirname(path), name));
                  editor.forget(path);
                  void tree.refresh();
                } catch (e) {
                  status.message(`cannot rename: ${(e as Error).message}`, 'error');
                }
              },
            },
            {
              label: 'Delete',
              danger: true,
              action: async () => {
                if (!confirm(`Delete ${path}${type === 'dir' ? ' and everything in it' : ''}?`)) return;
                try {
                  await running().delete(path, type === 'dir');
                  editor.forget(path);
                  void tree.refresh();
                } catch (e) {
                  status.message(`cannot delete: ${(e as Error).message}`, 'error');
                }
              },
            },
          ]
        : []),
    ],
    x,
    y,
  );
};

// ---------------------------------------------------------------------------------------
// keyboard: Ctrl/Cmd-S saves anywhere on the page; Ctrl-` moves to the terminal
window.addEventListener(
  'keydown',
  (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && (ev.key === 's' || ev.key === 'S')) {
      ev.preventDefault();
      ev.stopPropagation();
      void editor.saveActive();
    } else if (ev.ctrlKey && !ev.altKey && !ev.metaKey && (ev.code === 'Backquote' || ev.key === '`')) {
      ev.preventDefault();
      ev.stopPropagation();
      terminal.focus();
    }
  },
  true,
);

// ---------------------------------------------------------------------------------------
// boot
let bootOk = false;

function showBootErrors(failures: ReturnType<typeof checkBrowser>): void {
  const body = $('boot-error-body');
  body.replaceChildren();
  for (const f of failures) {
    const h = document.createElement('h2');
    h.textContent = f.title;
    const p = document.createElement('p');
    p.textContent = f.detail;
    const ul = document.createElement('ul');
    for (const x of f.fix) {
      const li = document.createElement('li');
      li.textContent = x;
      ul.append(li);
    }
    body.append(h, p, ul);
  }
  $('boot-error').hidden = false;
  $('boot-error-dismiss').onclick = () => ($('boot-error').hidden = true);
}

async function boot(): Promise<void> {
  const sw = await setUpServiceWorker();
  if (sw === 'reloading') {
    status.machine('starting', 'enabling cross-origin isolation (reloading once)');
    return;
  }
  const failures = checkBrowser(sw);
  if (failures.length) {
    machineState = 'unsupported';
    status.machine('unsupported', failures[0].title);
    status.hideProgress();
    tree.setUnavailable('No machine: this browser cannot run it (see the message).');
    terminal.notice(failures.map((f) => `${f.title}. ${f.fix[0]}`).join('\n'), 'error');
    showBootErrors(failures);
    return;
  }
  bootOk = true;
  await siteConfigReady;  // the relay's URL (docs/networking.md)
  startMachine();
  storage.persistence = await requestPersistence();
  showOverlayStatus();
}

// "Make this machine available offline" (ide/src/offline.ts, docs/offline.md)
const manifestUrl = () => new URL('image/manifest.json', document.baseURI).href;
const offline = setupOfflineButton(manifestUrl);
setupTierButton();

// A handle for tests and for poking around in the console.
Object.assign(window, {
  glassbox: {
    build: __BUILD_ID__,
    monaco,
    editor,
    terminal,
    tree,
    layout,
    diagnostics,
    get client() {
      return client;
    },
    bootStats,
    storage,
    get machineState() {
      return machineState;
    },
    get theme() {
      return theme;
    },
    /** The execution tier this machine was started with ('on': the JIT; tier.ts). */
    get tier() {
      return currentTier();
    },
    setTheme: applyTheme,
    /** Offline: what is cached and missing; open the dialog. */
    offline: { plan: () => offlinePlan(manifestUrl()), open: () => offline.run() },
    /** Share links: make one of the open files; what a link opened with brought. */
    share: {
      link: () => makeShareLink(),
      get received() {
        return shareState.received;
      },
      get error() {
        return shareState.error;
      },
    },
    /** The lessons panel: its state as data, and its actions (tests). */
    get lessons() {
      return lessons;
    },
    /** The preview (docs/preview.md): the tab, the listening ports, the URL of a port's path. */
    preview: {
      show: () => preview.show(),
      refresh: () => preview.refresh(),
      get ports() {
        return preview.listening;
      },
      url: (port: number, path?: string) => previewUrl(port, path),
      reload: () => preview.reload(),
    },
    /** The inspector: open() it, then model(panel) gives each panel's model as data (tests). */
    inspector: {
      open: () => inspector.open(),
      model: (panel: 'processes' | 'syscalls' | 'files' | 'all' = 'all') => inspector.model(panel),
      text: (panel: 'processes' | 'syscalls' | 'files' | 'call') => inspector.text(panel),
      focus: (pid: number) => inspector.focus(pid),
      showCall: (seq: number) => inspector.showCall(seq),
      setSyscallFilter: (failedOnly: boolean, name: string) => inspector.setSyscallFilter(failedOnly, name),
      // control and the state panels (docs/inspector.md, "Control")
      control: (op: 'pause' | 'resume' | 'step' | 'over' | 'out' | 'syscall' | 'clear') => inspector.control(op),
      lineView: (file: string, line: number) => inspector.lineView(file, line),
      lineAddresses: (file: string, line: number) => inspector.lineAddresses(file, line),
      toggleLineBreak: (file: string, line: number, program?: string) =>
        inspector.toggleLineBreak(file, line, program).then((lines) => (editor.refreshBreaks(), lines)),
      /** The lines of the active editor file showing a breakpoint dot (its decorations). */
      get breakDots() {
        return editor.breakDots;
      },
      breakLines: (path: string) => inspector.breakLines(path),
      /** The compiled region (JIT) holding the block at `start`: x86 next to wasm. */
      region: (start: string) => inspector.region(start),
      /** The region view's hover as data: the x86 row at `addr` and the wasm lines it lights. */
      regionHover: (addr: string) => inspector.regionHover(addr),
      saveLayout: () => inspector.saveLayout(),
      get stopLine() {
        return editor.stopLine;
      },
      get statusText() {
        return $('st-machine-text').textContent;
      },
      breakAt: (where: string, path = '') => inspector.breakAt(where, path),
      follow: (pid: number) => inspector.follow(pid),
      refreshState: (panel: 'state' | 'registers' | 'code' | 'memory' | 'blocks' | 'region' | 'jit' | 'breaks' = 'state') => inspector.refreshState(panel),
      stateModel: (panel: 'state' | 'registers' | 'code' | 'memory' | 'blocks' | 'region' | 'jit' | 'breaks' = 'state') => inspector.stateModel(panel),
      blockCode: (start: string, len: number) => inspector.blockCode(start, len),
      /** Partial redraws against a full one: pixels that differ (0: exact). */
      checkPaint: () => inspector.checkPaint(),
      paintStats: () => inspector.paintStats(),
      selectTab: (panel: 'processes' | 'syscalls' | 'files' | 'registers' | 'code' | 'memory' | 'blocks') => inspector.selectTab(panel),
      stateText: (panel: 'registers' | 'code' | 'memory' | 'blocks' | 'region' | 'jit' | 'breaks') => inspector.text(panel),
      get state() {
        return inspector.state;
      },
      get frames() {
        return inspector.frames;
      },
      /** Main-thread cost so far: ms in drawing, ms in moving records into the module. */
      get cost() {
        return { frames: inspector.frames, painted: inspector.painted, drawMs: inspector.drawMs, pumpMs: inspector.pumpMs };
      },
    },
    debug: {
      /** Opens a model as if the file had been read from the guest. */
      openFile: (path: string, text: string) => editor.open(path, text),
      /** Feeds text through the same path as guest output (terminal + diagnostics). */
      feedOutput: (text: string) => {
        const bytes = new TextEncoder().encode(text);
        diagnostics.feedBytes(bytes);
        return terminal.write(bytes);
      },
      commandStarted: (line: string) => diagnostics.commandStarted(line),
      /** Test-only: hooks in the worker's storage path (see TestHooks in engine/protocol.ts). */
      setTestHooks: (hooks: TestHooks) => client?.post({ type: 'test-hooks', hooks }),
      /** Test-only: receives the worker's test-hook messages (sync-paused, committed). */
      set onTestHook(fn: ((m: TestHookMessage) => void) | null) {
        testHookListener = fn;
      },
      /** Test-only: terminates the engine worker at once, as a killed tab would lose it. */
      killWorker: () => {
        client?.terminate();
        client = null;
        machineState = 'exited';
        status.machine('exited', 'stopped (worker terminated)');
      },
    },
  },
});

void boot();
