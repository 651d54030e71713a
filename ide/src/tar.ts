// A small tar writer (POSIX ustar, with pax extended headers for long or non-ASCII names),
// used by "Download workspace". Pure code (unit-tested in node against GNU tar).

import { concatBytes } from './bytes';

export interface TarEntry {
  /** Path inside the archive, '/'-separated, no leading '/'. Directories may end in '/'. */
  path: string;
  type: 'file' | 'dir';
  /** Permission bits (default 0644 for files, 0755 for directories). */
  mode?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  data?: Uint8Array;
}

const enc = new TextEncoder();
const BLOCK = 512;

function octal(value: number, width: number): string {
  // width includes the terminating NUL
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function putString(h: Uint8Array, offset: number, width: number, s: string | Uint8Array): void {
  const b = typeof s === 'string' ? enc.encode(s) : s;
  h.set(b.subarray(0, width), offset);
}

function header(name: Uint8Array, prefix: Uint8Array, size: number, mode: number, mtime: number, typeflag: string): Uint8Array {
  const h = new Uint8Array(BLOCK);
  putString(h, 0, 100, name);
  putString(h, 100, 8, octal(mode & 0o7777, 8));
  putString(h, 108, 8, octal(1000, 8)); // uid: student
  putString(h, 116, 8, octal(1000, 8)); // gid
  putString(h, 124, 12, octal(size, 12));
  putString(h, 136, 12, octal(Math.max(0, Math.floor(mtime)), 12));
  putString(h, 148, 8, '        '); // checksum placeholder: spaces
  putString(h, 156, 1, typeflag);
  putString(h, 257, 6, 'ustar\0');
  putString(h, 263, 2, '00');
  putString(h, 265, 32, 'student');
  putString(h, 297, 32, 'student');
  putString(h, 345, 155, prefix);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  putString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** Splits a name into ustar's prefix (<=155 bytes) and name (<=100 bytes), if possible. */
function splitUstar(path: Uint8Array): [Uint8Array, Uint8Array] | undefined {
  if (path.length <= 100) return [path, new Uint8Array(0)];
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== 0x2f) continue; // '/'
    const prefix = path.subarray(0, i);
    const name = path.subarray(i + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return [name, prefix];
  }
  return undefined;
}

function paxRecord(key: string, value: string): Uint8Array {
  // "<len> key=value\n" where len counts itself
  const body = ` ${key}=${value}\n`;
  const bodyLen = enc.encode(body).length;
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return enc.encode(`${len}${body}`);
}

function padded(data: Uint8Array): Uint8Array[] {
  const rem = data.length % BLOCK;
  return rem === 0 ? [data] : [data, new Uint8Array(BLOCK - rem)];
}

/** Builds a tar archive of `entries` (in the given order). */
export function writeTar(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    let path = e.path.replace(/^\/+/, '');
    if (e.type === 'dir' && !path.endsWith('/')) path += '/';
    const data = e.type === 'file' ? (e.data ?? new Uint8Array(0)) : new Uint8Array(0);
    const mode = e.mode ?? (e.type === 'dir' ? 0o755 : 0o644);
    const mtime = e.mtime ?? Math.floor(Date.now() / 1000);
    const pathBytes = enc.encode(path);
    // eslint-disable-next-line no-control-regex
    const ascii = /^[\x20-\x7e]*$/.test(path);
    let split = ascii ? splitUstar(pathBytes) : undefined;
    if (!split) {
      const pax = paxRecord('path', path);
      const paxName = enc.encode(`PaxHeaders/${path.replace(/\/$/, '').split('/').pop()!.slice(0, 80)}`.replace(/[^\x20-\x7e]/g, '_'));
      parts.push(header(paxName, new Uint8Array(0), pax.length, 0o644, mtime, 'x'));
      parts.push(...padded(pax));
      // A truncated ASCII name in the ustar header for readers without pax support.
      const fallback = enc.encode(path.replace(/[^\x20-\x7e]/g, '_').slice(-99));
      split = [fallback, new Uint8Array(0)];
    }
    parts.push(header(split[0], split[1], data.length, mode, mtime, e.type === 'dir' ? '5' : '0'));
    if (data.length) parts.push(...padded(data));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return concatBytes(parts);
}
