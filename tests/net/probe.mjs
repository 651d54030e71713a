// tests/net/probe.mjs — a second relay client during the abuse tests (tests/net/run.sh):
// over one WebSocket, opens a Wisp stream to HOST:PORT again and again, fetches
// /hello.txt, until STOP_FILE exists. Exit 0 if every fetch succeeded (at least 3).
//   node tests/net/probe.mjs RELAY_URL HOST PORT STOP_FILE
import fs from "node:fs";
import WebSocket from "ws";

const [url, host, port, stop] = process.argv.slice(2);
const ws = new WebSocket(url);
ws.binaryType = "nodebuffer";
let id = 0, done = 0, worst = 0;
const waiters = new Map();
ws.on("message", (m) => {
  const t = m[0], sid = m.readUInt32LE(1), w = waiters.get(sid);
  if (!w) return;
  if (t === 2) w.data += m.subarray(5).toString();
  if (t === 4) { waiters.delete(sid); w.resolve(w.data); }
});
function fetchOnce() {
  const sid = ++id, start = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer within 10 s")), 10000);
    waiters.set(sid, { data: "", resolve: (d) => { clearTimeout(timer); worst = Math.max(worst, Date.now() - start); resolve(d); } });
    const h = Buffer.from(host), c = Buffer.alloc(8 + h.length);
    c[0] = 1; c.writeUInt32LE(sid, 1); c[5] = 1; c.writeUInt16LE(Number(port), 6); h.copy(c, 8);
    ws.send(c);
    const req = Buffer.from(`GET /hello.txt HTTP/1.0\r\nHost: ${host}\r\n\r\n`), d = Buffer.alloc(5 + req.length);
    d[0] = 2; d.writeUInt32LE(sid, 1); req.copy(d, 5);
    ws.send(d);
  });
}
ws.on("open", async () => {
  try {
    while (done < 3 || !fs.existsSync(stop)) {
      const body = await fetchOnce();
      if (!body.includes("hello from the host")) throw new Error("bad answer: " + body.slice(0, 80));
      done++;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`${done} fetches, slowest ${worst} ms`);
    process.exit(0);
  } catch (e) { console.log(`after ${done} fetches: ${e.message}`); process.exit(1); }
});
ws.on("error", (e) => { console.log("probe: " + e.message); process.exit(1); });
