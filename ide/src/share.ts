// Share links: a few small files (and optionally a lesson step) in the URL's fragment, so
// a student can send their code to the teacher as a link and nothing goes to any server
// (browsers never send the fragment). docs/share.md has the format.
//
//   #share=1.<base64url of deflate-raw(JSON)>
//   JSON: {"files": {"name": "text", ...}, "lesson"?: "id", "step"?: N, "from"?: "folder"}
//
// The receiver gets the files in a fresh folder (~/shared/<when>/), never over their own.
// Pure code apart from CompressionStream (in browsers and node 18+): unit-tested in node.

export interface SharePayload {
  files: Record<string, string>;
  lesson?: string;
  step?: number;
  /** The folder the files came from (shown to the receiver). */
  from?: string;
}

/** Limits: a link must survive chat programs and mail (and the browser's URL limit). */
export const MAX_FILES = 20;
export const MAX_RAW_BYTES = 256 * 1024;
export const MAX_LINK_CHARS = 32 * 1024;

export class ShareError extends Error {}

const NAME = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0]{1,200}$/;

async function pipe(data: Uint8Array, t: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(t);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function toBase64Url(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new ShareError('the link is damaged (characters that are not base64url)');
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

/** Checks a payload; throws ShareError saying what is wrong. */
export function validate(p: SharePayload): void {
  if (!p || typeof p !== 'object' || !p.files || typeof p.files !== 'object') throw new ShareError('the link holds no files');
  const names = Object.keys(p.files);
  if (names.length === 0) throw new ShareError('the link holds no files');
  if (names.length > MAX_FILES) throw new ShareError(`a link holds at most ${MAX_FILES} files (this one: ${names.length})`);
  let raw = 0;
  for (const n of names) {
    if (!NAME.test(n)) throw new ShareError(`bad file name in the link: ${JSON.stringify(n)}`);
    if (typeof p.files[n] !== 'string') throw new ShareError(`${n}: not text`);
    raw += new TextEncoder().encode(p.files[n]).length;
  }
  if (raw > MAX_RAW_BYTES) throw new ShareError(`the files are too big for a link (${raw} bytes; at most ${MAX_RAW_BYTES})`);
  if (p.lesson !== undefined && (typeof p.lesson !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(p.lesson))) throw new ShareError('bad lesson id in the link');
  if (p.step !== undefined && !(Number.isInteger(p.step) && p.step >= 1 && p.step <= 1000)) throw new ShareError('bad lesson step in the link');
}

/** The fragment (without '#') for a payload. */
export async function encodeShare(p: SharePayload): Promise<string> {
  validate(p);
  const json = new TextEncoder().encode(JSON.stringify(p));
  const frag = `share=1.${toBase64Url(await pipe(json, new CompressionStream('deflate-raw')))}`;
  if (frag.length > MAX_LINK_CHARS) throw new ShareError(`the link would be ${frag.length} characters (at most ${MAX_LINK_CHARS}): share fewer or smaller files`);
  return frag;
}

/** The payload of a fragment ('#share=1.…' or 'share=1.…'), null if it has none. */
export async function decodeShare(hash: string): Promise<SharePayload | null> {
  const m = /(?:^#?|&)share=([^&]*)/.exec(hash);
  if (!m) return null;
  const [version, data] = m[1].split('.', 2);
  if (version !== '1' || data === undefined) throw new ShareError(`this share link has a format this IDE does not know (version ${JSON.stringify(version)})`);
  if (data.length > MAX_LINK_CHARS) throw new ShareError('the link is too long');
  let json: string;
  try {
    const bytes = await pipe(fromBase64Url(data), new DecompressionStream('deflate-raw'));
    if (bytes.length > MAX_RAW_BYTES * 2) throw new ShareError('the link unpacks to too much data');
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    if (e instanceof ShareError) throw e;
    throw new ShareError('the link is damaged (it does not unpack): was it cut when it was copied?');
  }
  let p: SharePayload;
  try {
    p = JSON.parse(json) as SharePayload;
  } catch {
    throw new ShareError('the link is damaged (its contents are not JSON)');
  }
  validate(p);
  return p;
}

/** The folder (under home) where received files go: never an existing one. */
export function receiveFolder(now: Date, exists: (name: string) => boolean): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const base = `shared/${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  let name = base;
  for (let i = 2; exists(name); i++) name = `${base}-${i}`;
  return name;
}
