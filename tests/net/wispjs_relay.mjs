// tests/net/wispjs_relay.mjs — the second relay of the networking tests: wisp-js's server
// (npm @mercuryworkshop/wisp-js) with loopback allowed and the test's host names mapped
// through its dns_method hook. Prints "relay listening on ws://127.0.0.1:PORT/".
//   node tests/net/wispjs_relay.mjs HOSTS_FILE
import http from "node:http";
import fs from "node:fs";
import dns from "node:dns";
import { server as wisp, logging } from "@mercuryworkshop/wisp-js/server";

logging.set_level(logging.NONE);
const map = new Map();
for (const line of fs.readFileSync(process.argv[2], "utf8").split("\n")) {
  const w = line.trim().split(/\s+/).filter(Boolean);
  for (const n of w.slice(1)) map.set(n, w[0]);
}
Object.assign(wisp.options, {
  allow_loopback_ips: true,
  allow_private_ips: false,
  wisp_version: 1,
  dns_method: async (h) => map.get(h) || (await dns.promises.lookup(h)).address,
});
const server = http.createServer((req, res) => res.end("wisp-js\n"));
server.on("upgrade", (req, sock, head) => wisp.routeRequest(req, sock, head));
server.listen(0, "127.0.0.1", () => console.log(`relay listening on ws://127.0.0.1:${server.address().port}/`));
