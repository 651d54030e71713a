// web/relay/policy.mjs — which destinations the relay may connect to (docs/networking.md).
// By default everything public; refused: loopback, private, link-local (and so the cloud
// metadata address 169.254.169.254), CGNAT, multicast, reserved, unspecified, and the IPv6
// equivalents (including IPv4-mapped forms of those). The check is made on the address
// the name resolved to, so a public name that resolves to 127.0.0.1 is refused too.
// --allow adds exceptions: an address, a CIDR range, or a host name (exact, or *.suffix).
import net from "node:net";

const V4_DENY = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
  ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15],
  ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
];
const V6_DENY = [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["64:ff9b::", 96],
  ["2001:db8::", 32], ["100::", 64]];

function v4num(a) { return a.split(".").reduce((n, x) => n * 256 + Number(x), 0); }
function v6big(a) {
  let [head, tail] = a.includes("::") ? a.split("::") : [a, null];
  const hs = head ? head.split(":") : [];
  let ts = tail != null && tail !== "" ? tail.split(":") : [];
  const expand = (parts) => {
    const out = [];
    for (const p of parts) {
      if (p.includes(".")) { const n = v4num(p); out.push((n >>> 16).toString(16), (n & 0xffff).toString(16)); }
      else out.push(p);
    }
    return out;
  };
  const h = expand(hs), t = expand(ts);
  const mid = tail == null ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...mid, ...t].reduce((n, x) => (n << 16n) | BigInt(parseInt(x || "0", 16)), 0n);
}
function inCidr(ip, base, bits) {
  if (net.isIPv4(ip) && net.isIPv4(base)) {
    if (bits === 0) return true;
    const m = bits === 32 ? 0xffffffff : (~((1 << (32 - bits)) - 1)) >>> 0;
    return ((v4num(ip) & m) >>> 0) === ((v4num(base) & m) >>> 0);
  }
  if (net.isIPv6(ip) && net.isIPv6(base)) {
    const m = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
    return (v6big(ip) & m) === (v6big(base) & m);
  }
  return false;
}
// The IPv4 address inside an IPv4-mapped/compatible IPv6 address, else null.
function mappedV4(ip) {
  if (!net.isIPv6(ip)) return null;
  const b = v6big(ip);
  if (b >> 32n === 0xffffn || (b >> 32n === 0n && b > 1n)) {
    const n = Number(b & 0xffffffffn);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
  }
  return null;
}

export class Policy {
  // allow: strings (address, CIDR, host name or *.suffix)
  constructor(allow = []) {
    this.ranges = [];
    this.names = [];
    for (const a of allow) {
      const [base, bits] = a.split("/");
      if (net.isIP(base)) this.ranges.push([base, bits !== undefined ? Number(bits) : net.isIPv4(base) ? 32 : 128]);
      else this.names.push(a.toLowerCase());
    }
  }
  nameAllowed(host) {
    const h = host.toLowerCase();
    return this.names.some((n) => n === h || (n.startsWith("*.") && h.endsWith(n.slice(1))));
  }
  // null if `ip` (what `host` resolved to) may be reached, else the reason.
  check(host, ip) {
    if (this.nameAllowed(host)) return null;
    const v4 = mappedV4(ip);
    const cands = v4 ? [ip, v4] : [ip];
    for (const c of cands) if (this.ranges.some(([b, n]) => inCidr(c, b, n))) return null;
    for (const c of cands) {
      const deny = net.isIPv4(c) ? V4_DENY : V6_DENY;
      for (const [b, n] of deny) if (inCidr(c, b, n)) return `${c} is in ${b}/${n}`;
    }
    return null;
  }
}
