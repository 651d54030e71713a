// Loading lessons from a folder on a static host (the site's own lessons/, or ?lessons=URL),
// and the student's progress kept in IndexedDB. A broken lesson is reported with its file
// and line and the others still load.
import { Lesson, LessonError, parseIndex, parseLesson } from './format';

export interface LoadedLesson {
  lesson: Lesson;
  /** The base URL of the lesson's folder (ends with '/'). */
  base: string;
}
export interface BrokenLesson {
  id: string;
  error: string;
}

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url, { cache: 'no-cache' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.text();
}

/** The catalogue at `base` (a folder URL): the lessons that load, and those that do not. */
export async function loadCatalogue(base: string): Promise<{ lessons: LoadedLesson[]; broken: BrokenLesson[] }> {
  const root = base.endsWith('/') ? base : `${base}/`;
  let ids: string[];
  try {
    ids = parseIndex(await fetchText(`${root}index.json`));
  } catch (e) {
    return { lessons: [], broken: [{ id: 'index.json', error: e instanceof LessonError ? e.message : `index.json: ${(e as Error).message}` }] };
  }
  const results = await Promise.all(
    ids.map(async (id) => {
      const lbase = `${root}${id}/`;
      try {
        const lesson = parseLesson(id, await fetchText(`${lbase}lesson.json`));
        // Every step's text and every file must exist: say which one is missing now, not
        // when the student reaches it.
        const missing: string[] = [];
        await Promise.all(
          [...lesson.steps.map((s) => s.text), ...Object.values(lesson.files)].map(async (rel) => {
            const r = await fetch(`${lbase}${rel}`, { method: 'HEAD', cache: 'no-cache' }).catch(() => null);
            if (!r || !r.ok) missing.push(rel);
          }),
        );
        if (missing.length) throw new LessonError(`${id}/lesson.json`, 0, `missing file${missing.length > 1 ? 's' : ''}: ${missing.sort().map((m) => `${id}/${m}`).join(', ')}`);
        return { lesson, base: lbase } as LoadedLesson;
      } catch (e) {
        return { id, error: e instanceof LessonError ? e.message : `${id}: ${(e as Error).message}` } as BrokenLesson;
      }
    }),
  );
  return {
    lessons: results.filter((r): r is LoadedLesson => 'lesson' in r),
    broken: results.filter((r): r is BrokenLesson => 'error' in r),
  };
}

export async function fetchStepText(l: LoadedLesson, step: number): Promise<string> {
  return fetchText(`${l.base}${l.lesson.steps[step].text}`);
}

export async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url, { cache: 'no-cache' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// ---- progress (IndexedDB) ----------------------------------------------------------------

export interface StepProgress {
  passed: boolean;
  /** Hints unlocked. */
  hints: number;
  /** The last result of each check (title, ok, message). */
  results?: Array<{ title: string; ok: boolean; message: string }>;
  at?: number;
}
export interface LessonProgress {
  /** Key: catalogue base + lesson id. */
  key: string;
  step: number;
  steps: StepProgress[];
  started: number;
  updated: number;
  /** The lesson's files were placed in the student's home. */
  placed: boolean;
}

const DB = 'glassbox-lessons';
const STORE = 'progress';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const rq = indexedDB.open(DB, 1);
    rq.onupgradeneeded = () => rq.result.createObjectStore(STORE, { keyPath: 'key' });
    rq.onsuccess = () => resolve(rq.result);
    rq.onerror = () => reject(rq.error);
  });
}

export class ProgressStore {
  private db: Promise<IDBDatabase> | null = null;
  private get conn(): Promise<IDBDatabase> {
    return (this.db ??= openDb());
  }
  async get(key: string): Promise<LessonProgress | undefined> {
    try {
      const db = await this.conn;
      return await new Promise((resolve, reject) => {
        const rq = db.transaction(STORE).objectStore(STORE).get(key);
        rq.onsuccess = () => resolve(rq.result as LessonProgress | undefined);
        rq.onerror = () => reject(rq.error);
      });
    } catch {
      return undefined; // no IndexedDB (private mode): progress lives for the session only
    }
  }
  async put(p: LessonProgress): Promise<void> {
    try {
      const db = await this.conn;
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(STORE, 'readwrite');
        tx.objectStore(STORE).put(p);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
    } catch (e) {
      console.warn('[lessons] progress not saved:', e);
    }
  }
  async delete(key: string): Promise<void> {
    try {
      const db = await this.conn;
      await new Promise<void>((resolve) => {
        const tx = db.transaction(STORE, 'readwrite');
        tx.objectStore(STORE).delete(key);
        tx.oncomplete = () => resolve();
        tx.onerror = () => resolve();
      });
    } catch {
      /* nothing kept */
    }
  }
}
