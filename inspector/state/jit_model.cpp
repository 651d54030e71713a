// inspector/state/jit_model.cpp — see jit_model.h.
#include "inspector/state/jit_model.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace gbi {

const char* jit_drop_why(uint16_t why) {
  switch (why) {
    case gb::JitCodeWritten: return "its code was written, unmapped or reprotected";
    case gb::JitProcessGone: return "its process exited or exec'd";
    case gb::JitEvicted: return "evicted (the code cache is full)";
    default: return "?";
  }
}

bool JitModel::parse_list(const uint8_t* body, size_t len) {
  if (len < 8) return false;
  memcpy(&total, body, 4);
  const size_t n = (len - 8) / sizeof(gb::RegionSummaryState);
  list.resize(n);
  if (n) memcpy(list.data(), body + 8, n * sizeof(gb::RegionSummaryState));
  if (sel >= (int)n) sel = -1;
  return true;
}

void JitModel::apply(const TraceRecord& r) {
  if (r.kind == RecKind::JitRegion) {
    compiled++;
    compiled_insns += r.a[2];
    compiled_bytes += r.a[4];
    compile_us += (double)r.a[3];  // (the region's own: a batch's sum to the batch's)
    return;
  }
  if (r.kind != RecKind::JitDrop) return;
  JitDrop d;
  d.time_ns = r.time_ns;
  d.pid = r.pid;
  d.why = r.nr;
  d.count = (uint32_t)(r.ret > 0 ? r.ret : 1);
  d.start = r.a[0];
  d.page = r.a[1];
  d.end = r.a[2];
  d.insns = r.a[3];
  d.wasm_bytes = r.a[4];
  d.execs = r.a[5];
  if (d.why < 3) dropped[d.why] += d.count;
  if (drops.size() >= kMaxDrops) {  // (amortised: a tenth goes at once)
    const size_t cut = kMaxDrops / 10;
    drops.erase(drops.begin(), drops.begin() + (long)cut);
    discarded += cut;
  }
  drops.push_back(d);
}

void JitModel::feed(const uint8_t* bytes, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const uint8_t kind = bytes[i * sizeof(TraceRecord) + offsetof(TraceRecord, kind)];
    if (kind == (uint8_t)RecKind::JitRegion || kind == (uint8_t)RecKind::JitDrop) apply(record_at(bytes, i));
  }
}

void JitModel::to_json(std::string& out) const {
  char b[320];
  snprintf(b, sizeof b,
           "{\"total\":%u,\"compiled\":%" PRIu64 ",\"compiled_insns\":%" PRIu64 ",\"compiled_bytes\":%" PRIu64
           ",\"compile_us\":%.0f,\"dropped\":{\"written\":%" PRIu64 ",\"gone\":%" PRIu64 ",\"evicted\":%" PRIu64
           "},\"discarded\":%" PRIu64 ",\"regions\":[",
           total, compiled, compiled_insns, compiled_bytes, compile_us, dropped[0], dropped[1], dropped[2], discarded);
  out += b;
  for (size_t i = 0; i < list.size(); i++) {
    const gb::RegionSummaryState& x = list[i];
    snprintf(b, sizeof b,
             "%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"blocks\":%u,\"insns\":%u,\"wasm_bytes\":%u,"
             "\"compile_us\":%" PRIu64 ",\"execs\":%" PRIu64 ",\"table_index\":%u}",
             i ? "," : "", x.start, x.end, x.blocks, x.insns, x.wasm_bytes, x.compile_us, x.execs, x.table_index);
    out += b;
  }
  out += "],\"drops\":[";
  const size_t first = drops.size() > 200 ? drops.size() - 200 : 0;  // (the newest 200)
  for (size_t i = first; i < drops.size(); i++) {
    const JitDrop& d = drops[i];
    snprintf(b, sizeof b,
             "%s{\"pid\":%d,\"why\":%u,\"reason\":\"%s\",\"count\":%u,\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
             "\",\"page\":\"0x%" PRIx64 "\",\"insns\":%" PRIu64 ",\"wasm_bytes\":%" PRIu64 ",\"execs\":%" PRIu64 "}",
             i > first ? "," : "", d.pid, d.why, jit_drop_why(d.why), d.count, d.start, d.end, d.page, d.insns,
             d.wasm_bytes, d.execs);
    out += b;
  }
  out += "]}";
}

void JitModel::to_text(std::string& out) const {
  char b[256];
  snprintf(b, sizeof b,
           "compiled regions of the followed process: %u\n"
           "start            end              blocks  x86 insns  wasm bytes  compile us  runs interpreted\n",
           total);
  out += b;
  for (const gb::RegionSummaryState& x : list) {
    snprintf(b, sizeof b, "%016" PRIx64 " %016" PRIx64 " %6u %10u %11u %11" PRIu64 " %11" PRIu64 "\n", x.start, x.end, x.blocks,
             x.insns, x.wasm_bytes, x.compile_us, x.execs);
    out += b;
  }
  snprintf(b, sizeof b,
           "\nJIT history (every process): %" PRIu64 " regions compiled (%" PRIu64 " x86 insns -> %" PRIu64
           " wasm bytes, %.0f us); dropped: %" PRIu64 " code written, %" PRIu64 " process gone, %" PRIu64 " evicted\n",
           compiled, compiled_insns, compiled_bytes, compile_us, dropped[0], dropped[1], dropped[2]);
  out += b;
  if (discarded) {
    snprintf(b, sizeof b, "(%" PRIu64 " older drops not listed)\n", discarded);
    out += b;
  }
  for (const JitDrop& d : drops) {
    if (d.start == 0)  // (a process's regions at once)
      snprintf(b, sizeof b, "drop  process %d: %u regions (%" PRIu64 " x86 insns, %" PRIu64 " wasm bytes): %s\n", d.pid, d.count,
               d.insns, d.wasm_bytes, jit_drop_why(d.why));
    else
      snprintf(b, sizeof b, "drop  process %d: region %016" PRIx64 "..%016" PRIx64 " (%" PRIu64 " x86 insns, entry interpreted %" PRIu64
               " times): %s\n", d.pid, d.start, d.end, d.insns, d.execs, jit_drop_why(d.why));
    out += b;
  }
}

}  // namespace gbi
