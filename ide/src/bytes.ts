// Byte arrays joined: one copy into an array of the summed length. Pure code, used by the
// page (tar.ts) and the engine worker (worker/net.ts).

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
