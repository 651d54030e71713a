// bench/net_relay.mjs — relay figures for docs/networking.md (bench/net.sh runs it):
//   connect latency: a Wisp CONNECT until the relay's confirming CONTINUE, vs a direct TCP
//   connect to the same server (median of 50); memory: the relay's RSS with 100 streams
//   open at once, each downloading the same file.
//   node bench/net_relay.mjs RELAY_URL RELAY_PID HOST PORT FILE_PATH
import net from "node:net";
import fs from "node:fs";
import WebSocket from "ws";

const [url, pid, host, port, file] = process.argv.slice(2);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;
const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
const ws = new WebSocket(url);
ws.binaryType = "nodebuffer";
await new Promise((r) => ws.on("open", r));
const handlers = new Map();
ws.on("message", (m) => { const h = handlers.get(m.readUInt32LE(1)); if (h) h(m); });
let id = 0;
const connectFrame = (sid) => {
  const h = Buffer.from(host), c = Buffer.alloc(8 + h.length);
  c[0] = 1; c.writeUInt32LE(sid, 1); c[5] = 1; c.writeUInt16LE(Number(port), 6); h.copy(c, 8);
  return c;
};
const wispOpen = () => new Promise((resolve) => {
  const sid = ++id, t = process.hrtime.bigint();
  handlers.set(sid, (m) => { if (m[0] === 3 || m[0] === 4) { handlers.delete(sid); resolve(Number(process.hrtime.bigint() - t) / 1e6); ws.send(Buffer.from([4, ...Buffer.from(new Uint32Array([sid]).buffer), 2])); } });
  ws.send(connectFrame(sid));
});
const direct = () => new Promise((resolve) => {
  const t = process.hrtime.bigint();
  const c = net.connect(Number(port), "127.0.0.1", () => { resolve(Number(process.hrtime.bigint() - t) / 1e6); c.destroy(); });
});
const w = [], d = [];
for (let i = 0; i < 50; i++) { w.push(await wispOpen()); d.push(await direct()); }
console.log(`connect latency (median of 50): direct TCP ${median(d).toFixed(2)} ms, through the relay ${median(w).toFixed(2)} ms (added ${(median(w) - median(d)).toFixed(2)} ms)`);

const before = rss();
let peak = before, done = 0, bytes = 0;
const size = fs.statSync(file).size;
await new Promise((resolve) => {
  for (let i = 0; i < 100; i++) {
    const sid = ++id;
    let got = 0;
    handlers.set(sid, (m) => {
      if (m[0] === 2) { got += m.length - 5; bytes += m.length - 5; }
      if (m[0] === 4) { handlers.delete(sid); if (++done === 100) resolve(); }
    });
    ws.send(connectFrame(sid));
    const req = Buffer.from(`GET /${file.split("/").pop()} HTTP/1.0\r\n\r\n`), f = Buffer.alloc(5 + req.length);
    f[0] = 2; f.writeUInt32LE(sid, 1); req.copy(f, 5);
    ws.send(f);
  }
  const t = setInterval(() => { peak = Math.max(peak, rss()); }, 20);
  const end = resolve;
  setTimeout(() => { clearInterval(t); end(); }, 120000);
});
console.log(`relay memory: ${(before / 1048576).toFixed(1)} MiB idle, peak ${(peak / 1048576).toFixed(1)} MiB with 100 concurrent streams (${(bytes / 1048576).toFixed(0)} MiB relayed, ${done}/100 complete, file ${(size / 1048576).toFixed(0)} MiB)`);
process.exit(0);
