// The student's files as a download: /home/student of a machine as a tar archive, from the
// running machine or from an EARLIER image's machine.
//
// When a site moves to a new image, the overlay the student's browser keeps for the old
// one no longer applies (it is keyed by image id: docs/storage.md, "Old images"). Their
// files are still in it. The worker keeps every image's manifest beside its overlay, so
// `earlierWorkspaceTar` can boot that image again in a second, read-only worker (config
// `earlierImage`): the old manifest, its overlay loaded and never written, its chunks
// fetched from the site next to the current ones (content-named: an image update of the
// same lineage shares almost all of them, and `tools/site --previous` keeps the rest), or
// from the service worker's cache. It answers the file requests and is then stopped.
import { EngineClient } from './engine/client';
import type { EngineConfig, WorkerToPage } from './engine/protocol';
import { joinPath } from './engine/protocol';
import { TarEntry, writeTar } from './tar';

export const HOME = '/home/student';
const MAX_BYTES = 512 * 1024 * 1024;
const BOOT_TIMEOUT_MS = 180_000;

/** `dir` (default /home/student) of the machine behind `c` as a tar archive, under
 *  "student/" (symlinks and special files are left out). */
export async function workspaceTar(c: EngineClient, dir = HOME): Promise<Uint8Array> {
  const entries: TarEntry[] = [];
  let bytes = 0;
  const walk = async (d: string, rel: string) => {
    const list = await c.list(d);
    list.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of list) {
      const path = joinPath(d, e.name);
      const r = `${rel}${e.name}`;
      if (e.type === 'dir') {
        entries.push({ path: r, type: 'dir', mode: e.mode, mtime: e.mtime });
        await walk(path, `${r}/`);
      } else if (e.type === 'file') {
        const data = await c.read(path);
        bytes += data.length;
        if (bytes > MAX_BYTES) throw new Error('the workspace is larger than 512 MiB');
        entries.push({ path: r, type: 'file', mode: e.mode, mtime: e.mtime, data });
      }
    }
  };
  entries.push({ path: 'student', type: 'dir', mode: 0o755 });
  await walk(dir, 'student/');
  return writeTar(entries);
}

/**
 * Boots the earlier image `imageId` read-only beside the running machine, packs its
 * /home/student and stops it. `base` is the running machine's config (engine, site,
 * overlay database). `progress` gets one line per step.
 */
export async function earlierWorkspaceTar(
  workerUrl: string,
  base: EngineConfig,
  imageId: string,
  progress: (text: string) => void = () => undefined,
): Promise<Uint8Array> {
  let ready!: () => void;
  let fail!: (e: Error) => void;
  const booted = new Promise<void>((res, rej) => ((ready = res), (fail = rej)));
  const onMessage = (m: WorkerToPage) => {
    if (m.type === 'prompt') ready();
    else if (m.type === 'status') {
      if (m.state === 'error' || m.state === 'engine-missing' || m.state === 'image-missing' || m.state === 'exited')
        fail(new Error(m.detail ? `${m.message}: ${m.detail}` : m.message));
    } else if (m.type === 'progress') progress(`earlier version: ${m.phase}`);
  };
  const c = new EngineClient({
    workerUrl,
    config: { ...base, earlierImage: imageId, persist: false, cacheChunks: false, activity: false, relay: undefined, jit: 'off' },
    onOutput: () => undefined, // its console is not shown
    onMessage,
    onWorkerError: (text) => fail(new Error(`the engine worker failed: ${text}`)),
  });
  const timer = setTimeout(() => fail(new Error('the earlier version did not start within 3 minutes')), BOOT_TIMEOUT_MS);
  try {
    progress('starting the earlier version of the machine');
    c.start();
    await booted;
    progress('packing its /home/student');
    return await workspaceTar(c);
  } finally {
    clearTimeout(timer);
    c.terminate();
  }
}
