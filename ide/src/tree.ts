// The file tree of /home/student, listed from the guest through the engine's file operations.
import type { DirEntry } from './engine/protocol';
import { joinPath, dirname } from './engine/protocol';

export interface TreeSource {
  list(path: string): Promise<DirEntry[]>;
}

export interface DroppedFile {
  /** Path relative to the drop directory ("a.c", "proj/src/b.c"). */
  relPath: string;
  file: File;
}

const EXPANDED_KEY = 'glassbox.tree.expanded';

export class FileTree {
  readonly root: string;
  private source: TreeSource | null = null;
  private readonly listing = new Map<string, DirEntry[]>();
  private readonly expanded: Set<string>;
  private selectedPath: string | null = null;
  private unavailable = 'starting…';
  private busy = false;
  private again = false;

  onOpen: (path: string) => void = () => undefined;
  onSelect: (path: string, type: DirEntry['type']) => void = () => undefined;
  onDrop: (dir: string, files: DroppedFile[]) => void = () => undefined;
  onContextMenu: (path: string, type: DirEntry['type'] | 'root', x: number, y: number) => void = () => undefined;

  constructor(
    private readonly el: HTMLElement,
    root = '/home/student',
  ) {
    this.root = root;
    let saved: string[] = [];
    try {
      saved = JSON.parse(localStorage.getItem(EXPANDED_KEY) ?? '[]');
    } catch {
      /* ignore */
    }
    this.expanded = new Set([root, ...saved.filter((p) => typeof p === 'string')]);
    el.setAttribute('role', 'tree');
    el.addEventListener('contextmenu', (ev) => {
      if ((ev.target as HTMLElement).closest('.tree-row')) return;
      ev.preventDefault();
      this.onContextMenu(this.root, 'root', ev.clientX, ev.clientY);
    });
    this.attachDrop();
    this.render();
  }

  get selected(): string | null {
    return this.selectedPath;
  }

  /** The directory new files go to: the selected directory, the selected file's, or root. */
  get targetDir(): string {
    const p = this.selectedPath;
    if (!p) return this.root;
    const type = this.typeOf(p);
    return type === 'dir' ? p : dirname(p);
  }

  typeOf(path: string): DirEntry['type'] | undefined {
    if (path === this.root) return 'dir';
    return this.listing.get(dirname(path))?.find((e) => e.name === path.slice(path.lastIndexOf('/') + 1))?.type;
  }

  /** The machine is not running (or not yet): show why instead of files. */
  setUnavailable(message: string): void {
    this.source = null;
    this.unavailable = message;
    this.listing.clear();
    this.render();
  }

  setSource(source: TreeSource): void {
    this.source = source;
    void this.refresh();
  }

  select(path: string | null): void {
    this.selectedPath = path;
    for (const row of this.el.querySelectorAll<HTMLElement>('.tree-row')) {
      row.classList.toggle('selected', row.dataset.path === path);
    }
  }

  /** Lists the root and every expanded directory again. */
  async refresh(): Promise<void> {
    if (!this.source) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        const fresh = new Map<string, DirEntry[]>();
        const walk = async (dir: string) => {
          let entries: DirEntry[];
          try {
            entries = await this.source!.list(dir);
          } catch (e) {
            if (dir === this.root) throw e;
            this.expanded.delete(dir);
            return;
          }
          entries.sort((a, b) => Number(b.type === 'dir') - Number(a.type === 'dir') || a.name.localeCompare(b.name));
          fresh.set(dir, entries);
          await Promise.all(
            entries.filter((e) => e.type === 'dir' && this.expanded.has(joinPath(dir, e.name))).map((e) => walk(joinPath(dir, e.name))),
          );
        };
        await walk(this.root);
        this.listing.clear();
        for (const [k, v] of fresh) this.listing.set(k, v);
      } while (this.again);
      this.render();
    } catch (e) {
      this.unavailable = `cannot list ${this.root}: ${(e as Error).message}`;
      this.listing.clear();
      this.render();
    } finally {
      this.busy = false;
    }
  }

  private toggle(dir: string): void {
    if (this.expanded.has(dir)) this.expanded.delete(dir);
    else this.expanded.add(dir);
    localStorage.setItem(EXPANDED_KEY, JSON.stringify([...this.expanded].filter((p) => p !== this.root)));
    if (this.expanded.has(dir) && !this.listing.has(dir)) void this.refresh();
    else this.render();
  }

  private render(): void {
    const frag = document.createDocumentFragment();
    const rootEntries = this.listing.get(this.root);
    if (!rootEntries) {
      const msg = document.createElement('div');
      msg.className = 'tree-empty';
      msg.textContent = this.source ? 'loading…' : this.unavailable;
      frag.append(msg);
      this.el.replaceChildren(frag);
      return;
    }
    if (rootEntries.length === 0) {
      const msg = document.createElement('div');
      msg.className = 'tree-empty';
      msg.textContent = 'No files yet. Create one in the terminal, or drop files here.';
      frag.append(msg);
    }
    const addRows = (dir: string, depth: number) => {
      for (const e of this.listing.get(dir) ?? []) {
        const path = joinPath(dir, e.name);
        const row = document.createElement('div');
        row.className = `tree-row ${e.type}` + (e.name.startsWith('.') ? ' hidden-file' : '') + (path === this.selectedPath ? ' selected' : '');
        row.dataset.path = path;
        row.dataset.type = e.type;
        row.style.setProperty('--depth', String(depth));
        row.setAttribute('role', 'treeitem');
        row.tabIndex = -1;
        if (e.type === 'dir') row.setAttribute('aria-expanded', String(this.expanded.has(path)));
        const twisty = document.createElement('span');
        twisty.className = 'twisty' + (e.type === 'dir' ? (this.expanded.has(path) ? ' open' : ' closed') : '');
        const icon = document.createElement('span');
        icon.className = `file-icon ${iconClass(e)}`;
        const name = document.createElement('span');
        name.className = 'name';
        name.textContent = e.name;
        row.append(twisty, icon, name);
        if (e.type === 'file') row.title = `${path} (${formatSize(e.size)})`;
        else row.title = path;
        row.onclick = () => {
          this.select(path);
          this.onSelect(path, e.type);
          if (e.type === 'dir') this.toggle(path);
          else if (e.type === 'file') this.onOpen(path);
        };
        row.onkeydown = (ev) => {
          if (ev.key === 'Enter') row.click();
        };
        row.oncontextmenu = (ev) => {
          ev.preventDefault();
          this.select(path);
          this.onContextMenu(path, e.type, ev.clientX, ev.clientY);
        };
        frag.append(row);
        if (e.type === 'dir' && this.expanded.has(path)) addRows(path, depth + 1);
      }
    };
    addRows(this.root, 0);
    this.el.replaceChildren(frag);
  }

  // ---- drag and drop: files (and folders) from the desktop onto a directory ----

  private dropDir(target: EventTarget | null): string {
    const row = (target as HTMLElement | null)?.closest?.('.tree-row') as HTMLElement | null;
    if (!row) return this.root;
    return row.dataset.type === 'dir' ? row.dataset.path! : dirname(row.dataset.path!);
  }

  private attachDrop(): void {
    let highlighted: HTMLElement | null = null;
    const clear = () => {
      highlighted?.classList.remove('drop-target');
      this.el.classList.remove('drop-target');
      highlighted = null;
    };
    this.el.addEventListener('dragover', (ev) => {
      if (!ev.dataTransfer?.types.includes('Files')) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = 'copy';
      const dir = this.dropDir(ev.target);
      clear();
      if (dir === this.root) this.el.classList.add('drop-target');
      else {
        highlighted = this.el.querySelector(`.tree-row[data-path="${CSS.escape(dir)}"]`);
        highlighted?.classList.add('drop-target');
      }
    });
    this.el.addEventListener('dragleave', (ev) => {
      if (!this.el.contains(ev.relatedTarget as Node)) clear();
    });
    this.el.addEventListener('drop', (ev) => {
      if (!ev.dataTransfer) return;
      ev.preventDefault();
      const dir = this.dropDir(ev.target);
      clear();
      void collectDropped(ev.dataTransfer).then((files) => {
        if (files.length) this.onDrop(dir, files);
      });
    });
  }
}

type FsEntry = { isFile: boolean; isDirectory: boolean; name: string };
type FsFileEntry = FsEntry & { file(ok: (f: File) => void, err: (e: unknown) => void): void };
type FsDirEntry = FsEntry & { createReader(): { readEntries(ok: (e: FsEntry[]) => void, err: (e: unknown) => void): void } };

async function collectDropped(dt: DataTransfer): Promise<DroppedFile[]> {
  const out: DroppedFile[] = [];
  const entries: FsEntry[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    const entry = (item as DataTransferItem & { webkitGetAsEntry?: () => FsEntry | null }).webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  if (entries.length === 0) {
    for (const f of Array.from(dt.files)) out.push({ relPath: f.name, file: f });
    return out;
  }
  const walk = async (entry: FsEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((ok, err) => (entry as FsFileEntry).file(ok, err));
      out.push({ relPath: prefix + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FsDirEntry).createReader();
      for (;;) {
        const batch = await new Promise<FsEntry[]>((ok, err) => reader.readEntries(ok, err));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

function iconClass(e: DirEntry): string {
  if (e.type === 'dir') return 'icon-dir';
  if (e.type === 'symlink') return 'icon-link';
  const n = e.name.toLowerCase();
  if (/\.[ch]$/.test(n)) return 'icon-c';
  if (n.endsWith('.py')) return 'icon-py';
  if (/^(gnu)?makefile$|\.mk$/.test(n)) return 'icon-make';
  if (/\.(sh|bash)$/.test(n)) return 'icon-sh';
  if (e.mode & 0o111) return 'icon-exec';
  return 'icon-file';
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
