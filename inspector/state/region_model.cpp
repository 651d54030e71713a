// inspector/state/region_model.cpp — see region_model.h.
#include "inspector/state/region_model.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "inspector/disasm/disasm.h"
#include "inspector/model/text.h"
#include "vm/trace/state.h"

namespace gbi {

void RegionModel::clear() {
  *this = RegionModel();
}

bool RegionModel::parse(const uint8_t* body, size_t len, bool syntax_att) {
  clear();
  raw.assign(body, body + len);
  att = syntax_att;
  gb::RegionState h;
  if (len < sizeof h) { error = "short region reply"; return false; }
  memcpy(&h, body, sizeof h);
  const size_t need = sizeof h + 16 * (size_t)h.blocks + (size_t)h.x86_len + h.wasm_len + h.listing_len;
  if (h.blocks > 4096 || need > len) { error = "bad region reply"; return false; }
  start = h.start;
  end = h.end;
  insns = h.insns;
  table_index = h.table_index;
  const uint8_t* p = body + sizeof h;
  block_starts.resize(h.blocks);
  std::vector<uint64_t> ends(h.blocks);
  if (h.blocks) {
    memcpy(block_starts.data(), p, 8 * (size_t)h.blocks);
    memcpy(ends.data(), p + 8 * (size_t)h.blocks, 8 * (size_t)h.blocks);
  }
  p += 16 * (size_t)h.blocks;
  x86.assign(p, p + h.x86_len);
  p += h.x86_len;
  wasm.assign(p, p + h.wasm_len);
  p += h.wasm_len;
  listing.assign((const char*)p, h.listing_len);

  // The x86 of every block (Capstone), by address; blocks may overlap (a loop's body is
  // also a block of its own), the same bytes decode the same.
  std::vector<DisasmLine> insn;
  static DisasmLine tmp[512];
  size_t off = 0;
  for (uint32_t i = 0; i < h.blocks; i++) {
    const uint64_t n = ends[i] > block_starts[i] ? ends[i] - block_starts[i] : 0;
    if (off + n > x86.size()) break;
    const size_t k = disassemble(x86.data() + off, (size_t)n, block_starts[i], att ? Syntax::Att : Syntax::Intel, tmp, 512);
    insn.insert(insn.end(), tmp, tmp + k);
    off += (size_t)n;
  }
  std::sort(insn.begin(), insn.end(), [](const DisasmLine& a, const DisasmLine& b) { return a.address < b.address; });
  auto x86_at = [&](uint64_t a) -> const DisasmLine* {
    auto it = std::lower_bound(insn.begin(), insn.end(), a, [](const DisasmLine& l, uint64_t v) { return l.address < v; });
    return it != insn.end() && it->address == a ? &*it : nullptr;
  };

  // The listing, cut into rows at the compiler's comments.
  rows.push_back(RegionRow());  // the prologue
  size_t i = 0;
  while (i < listing.size()) {
    size_t e = listing.find('\n', i);
    if (e == std::string::npos) e = listing.size();
    std::string line = listing.substr(i, e - i);
    i = e + 1;
    if (line.empty()) continue;
    if (line.compare(0, 3, ";; ") == 0) {
      const char* c = line.c_str() + 3;
      unsigned bi = 0;
      unsigned long long a = 0, b = 0;
      int used = 0;
      if (sscanf(c, "block %u: 0x%llx..0x%llx%n", &bi, &a, &b, &used) == 3) {
        RegionRow r;
        r.kind = RegionRow::Block;
        r.addr = a;
        r.block = bi;
        sscanf(c + used, " (%u", &r.n);
        char t[96];
        snprintf(t, sizeof t, "block %u: %" PRIx64 "..%" PRIx64 "%s", bi, (uint64_t)a, (uint64_t)b, c + used);
        r.x86 = t;
        rows.push_back(std::move(r));
      } else if (sscanf(c, "0x%llx%n", &a, &used) == 1) {
        RegionRow r;
        r.kind = RegionRow::Insn;
        r.addr = a;
        if (const DisasmLine* l = x86_at(a)) r.x86 = l->text;
        else {  // (not in the bytes sent: the compiler's own bytes and name of it)
          const char* t = c + used;
          while (*t == ' ') t++;
          r.x86 = t;
        }
        rows.push_back(std::move(r));
      } else {
        rows.back().wasm.push_back(line);  // a remark ("(quiet block: ...)")
      }
      continue;
    }
    rows.back().wasm.push_back(std::move(line));
    wasm_lines++;
  }
  row_line.resize(rows.size());
  for (uint32_t r = 0; r < rows.size(); r++) {
    row_line[r] = (uint32_t)lines.size();
    if (rows[r].wasm.empty()) lines.push_back({r, -1});
    for (size_t w = 0; w < rows[r].wasm.size(); w++) lines.push_back({r, (int32_t)w});
  }
  have = true;
  return true;
}

void RegionModel::set_syntax(bool syntax_att) {
  if (raw.empty() || syntax_att == att) { att = syntax_att; return; }
  const std::vector<uint8_t> body = std::move(raw);
  parse(body.data(), body.size(), syntax_att);
}

int RegionModel::row_at(uint64_t addr) const {
  for (size_t i = 0; i < rows.size(); i++)
    if (rows[i].kind == RegionRow::Insn && rows[i].addr == addr) return (int)i;
  return -1;
}

void RegionModel::row_lines(int row, uint32_t& first, uint32_t& count) const {
  first = count = 0;
  if (row < 0 || (size_t)row >= rows.size()) return;
  first = row_line[(size_t)row];
  const size_t next = (size_t)row + 1 < rows.size() ? row_line[(size_t)row + 1] : lines.size();
  count = (uint32_t)(next - first);
}

void RegionModel::hover_json(uint64_t addr, std::string& out) const {
  const int row = row_at(addr);
  uint32_t first = 0, count = 0;
  row_lines(row, first, count);
  char b[96];
  snprintf(b, sizeof b, "{\"row\":%d,\"first\":%u,\"count\":%u,\"x86\":", row, first, count);
  out += b;
  const std::string none;
  const std::string& x = row >= 0 ? rows[(size_t)row].x86 : none;
  json_string(out, x.data(), x.size());
  out += ",\"wasm\":[";
  for (uint32_t i = first; i < first + count; i++) {
    const Line& l = lines[i];
    if (l.w < 0) continue;
    const std::string& w = rows[l.row].wasm[(size_t)l.w];
    if (i > first) out += ',';
    json_string(out, w.data(), w.size());
  }
  out += "]}";
}

void RegionModel::to_json(std::string& out) const {
  char b[200];
  if (!have) {
    out += "{\"have\":false,\"error\":";
    json_string(out, error.data(), error.size());
    out += '}';
    return;
  }
  snprintf(b, sizeof b,
           "{\"have\":true,\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"insns\":%u,\"table_index\":%u,"
           "\"wasm_bytes\":%zu,\"wasm_lines\":%zu,\"blocks\":[",
           start, end, insns, table_index, wasm.size(), wasm_lines);
  out += b;
  for (size_t i = 0; i < block_starts.size(); i++) {
    snprintf(b, sizeof b, "%s\"0x%" PRIx64 "\"", i ? "," : "", block_starts[i]);
    out += b;
  }
  out += "],\"wasm\":\"";
  for (uint8_t v : wasm) {
    snprintf(b, sizeof b, "%02x", v);
    out += b;
  }
  out += "\",\"rows\":[";
  for (size_t i = 0; i < rows.size(); i++) {
    const RegionRow& r = rows[i];
    static const char* const kinds[] = {"prologue", "block", "insn"};
    snprintf(b, sizeof b, "%s{\"kind\":\"%s\",\"addr\":\"0x%" PRIx64 "\",\"x86\":", i ? "," : "", kinds[r.kind], r.addr);
    out += b;
    json_string(out, r.x86.data(), r.x86.size());
    out += ",\"wasm\":[";
    for (size_t k = 0; k < r.wasm.size(); k++) {
      if (k) out += ',';
      json_string(out, r.wasm[k].data(), r.wasm[k].size());
    }
    out += "]}";
  }
  out += "]}";
}

void RegionModel::to_text(std::string& out) const {
  char b[256];
  if (!have) {
    out += error.empty() ? "(no region: select a compiled block)\n" : error + "\n";
    return;
  }
  snprintf(b, sizeof b,
           "region %016" PRIx64 "..%016" PRIx64 ": %zu blocks, %u x86 instructions -> %zu wasm bytes (%zu instructions), "
           "table slot %u\n",
           start, end, block_starts.size(), insns, wasm.size(), wasm_lines, table_index);
  out += b;
  for (const RegionRow& r : rows) {
    if (r.kind == RegionRow::Prologue) out += "(entry: registers into locals, the dispatcher)\n";
    else if (r.kind == RegionRow::Block) out += r.x86 + "\n";
    else {
      snprintf(b, sizeof b, "  %016" PRIx64 "  %s\n", r.addr, r.x86.c_str());
      out += b;
    }
    for (const std::string& w : r.wasm) {
      out += "                        | ";
      out += w;
      out += '\n';
    }
  }
}

}  // namespace gbi
