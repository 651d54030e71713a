// inspector/state/state_model.cpp — see state_model.h.
#include "inspector/state/state_model.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "inspector/model/text.h"
#include "vm/base/abi.h"
#include "vm/trace/line_rule.h"

namespace gbi {

const char* const kGprNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                   "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

// [SECTION] maps
std::vector<MapEntry> parse_maps(const char* text, size_t n, size_t* bad) {
  std::vector<MapEntry> out;
  size_t nbad = 0, i = 0;
  while (i < n) {
    size_t e = i;
    while (e < n && text[e] != '\n') e++;
    std::string line(text + i, e - i);
    i = e + 1;
    if (line.empty()) continue;
    MapEntry m;
    char perms[8] = "";
    int used = 0;
    unsigned long long s = 0, en = 0, off = 0;
    if (sscanf(line.c_str(), "%llx-%llx %7s %llx%n", &s, &en, perms, &off, &used) < 4 || strlen(perms) != 4 || en < s) {
      nbad++;
      continue;
    }
    m.start = s;
    m.end = en;
    m.offset = off;
    memcpy(m.perms, perms, 4);
    // optional "dev inode" then the name
    const char* p = line.c_str() + used;
    while (*p == ' ') p++;
    unsigned a, b;
    unsigned long long ino;
    int u2 = 0;
    if (sscanf(p, "%x:%x %llu%n", &a, &b, &ino, &u2) == 3) p += u2;
    while (*p == ' ') p++;
    m.name = p;
    out.push_back(std::move(m));
  }
  if (bad) *bad = nbad;
  return out;
}

const MapEntry* map_at(const std::vector<MapEntry>& maps, uint64_t addr) {
  for (const MapEntry& m : maps)
    if (addr >= m.start && addr < m.end) return &m;
  return nullptr;
}

// [SECTION] registers
void RegsModel::update(const RegsState& r, bool new_stop) {
  if (have && new_stop) { prev = cur; have_prev = true; }
  cur = r;
  have = true;
  changed = 0;
  xmm_changed = 0;
  st_changed = 0;
  if (!have_prev) return;
  for (int i = 0; i < 16; i++)
    if (cur.r[i] != prev.r[i]) changed |= 1u << i;
  if (cur.rip != prev.rip) changed |= 1u << kSlotRip;
  if (cur.rflags != prev.rflags) changed |= 1u << kSlotRflags;
  if (cur.fs_base != prev.fs_base) changed |= 1u << kSlotFs;
  if (cur.gs_base != prev.gs_base) changed |= 1u << kSlotGs;
  for (int i = 0; i < 16; i++)
    if (memcmp(cur.xmm[i], prev.xmm[i], 16) != 0) xmm_changed |= (uint16_t)(1u << i);
  for (int i = 0; i < 8; i++) {  // st(i) relative to top
    const int pc = (cur.top + i) & 7, pp = (prev.top + i) & 7;
    if (cur.st[pc].mant != prev.st[pp].mant || cur.st[pc].se != prev.st[pp].se) st_changed |= (uint8_t)(1u << i);
  }
}

void rflags_text(uint64_t f, char* out, size_t n) {
  static const struct { uint64_t bit; const char* name; } k[] = {
      {1ull << 0, "CF"}, {1ull << 2, "PF"}, {1ull << 4, "AF"}, {1ull << 6, "ZF"}, {1ull << 7, "SF"},
      {1ull << 8, "TF"}, {1ull << 9, "IF"}, {1ull << 10, "DF"}, {1ull << 11, "OF"}, {1ull << 18, "AC"}, {1ull << 21, "ID"}};
  size_t o = 0;
  out[0] = 0;
  for (auto& e : k)
    if ((f & e.bit) && o + 4 < n) o += (size_t)snprintf(out + o, n - o, "%s%s", o ? " " : "", e.name);
}

void x87_text(const RegsState& r, int i, char* out, size_t n) {
  const int phys = (r.top + i) & 7;
  if (((r.ftw >> (2 * phys)) & 3) == 3) { snprintf(out, n, "empty"); return; }
  const uint64_t m = r.st[phys].mant;
  const uint16_t se = r.st[phys].se;
  const int sign = se >> 15, exp = se & 0x7fff;
  double v;
  if (exp == 0x7fff) v = (m << 1) ? NAN : INFINITY;
  else if (exp == 0 && m == 0) v = 0;
  else v = ldexp((double)m, exp - 16383 - 63);
  if (sign) v = -v;
  snprintf(out, n, "%.17g", v);
}

static void hex64(std::string& out, uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "\"0x%" PRIx64 "\"", v);
  out += b;
}

void RegsModel::to_json(std::string& out) const {
  if (!have) { out += "null"; return; }
  out += '{';
  for (int i = 0; i < 16; i++) { out += '"'; out += kGprNames[i]; out += "\":"; hex64(out, cur.r[i]); out += ','; }
  out += "\"rip\":"; hex64(out, cur.rip);
  out += ",\"rflags\":"; hex64(out, cur.rflags);
  char f[96];
  rflags_text(cur.rflags, f, sizeof f);
  out += ",\"flags\":\""; out += f; out += '"';
  out += ",\"fs_base\":"; hex64(out, cur.fs_base);
  out += ",\"changed\":[";
  bool first = true;
  static const char* const extra[4] = {"rip", "rflags", "fs_base", "gs_base"};
  for (int i = 0; i < kSlotCount; i++)
    if (changed & (1u << i)) {
      if (!first) out += ',';
      first = false;
      out += '"'; out += i < 16 ? kGprNames[i] : extra[i - 16]; out += '"';
    }
  for (int i = 0; i < 16; i++)
    if (xmm_changed & (1u << i)) { if (!first) out += ','; first = false; out += "\"xmm" + std::to_string(i) + "\""; }
  out += "],\"xmm\":[";
  for (int i = 0; i < 16; i++) {
    char b[80];
    uint64_t lo, hi;
    memcpy(&lo, cur.xmm[i], 8);
    memcpy(&hi, cur.xmm[i] + 8, 8);
    snprintf(b, sizeof b, "%s\"0x%016" PRIx64 "%016" PRIx64 "\"", i ? "," : "", hi, lo);
    out += b;
  }
  out += "],\"st\":[";
  for (int i = 0; i < 8; i++) {
    char b[48];
    x87_text(cur, i, b, sizeof b);
    out += i ? ",\"" : "\""; out += b; out += '"';
  }
  out += "]}";
}

void RegsModel::to_text(std::string& out) const {
  if (!have) { out += "(no registers: nothing is followed)\n"; return; }
  char b[160];
  for (int i = 0; i < 16; i++) {
    snprintf(b, sizeof b, "%-6s 0x%016" PRIx64 " %20" PRId64 "%s\n", kGprNames[i], cur.r[i], (int64_t)cur.r[i],
             (changed >> i) & 1 ? "  (changed)" : "");
    out += b;
  }
  char f[96];
  rflags_text(cur.rflags, f, sizeof f);
  snprintf(b, sizeof b, "rip    0x%016" PRIx64 "%s\nrflags 0x%08" PRIx64 " [%s]%s\nfs_base 0x%" PRIx64 "\n", cur.rip,
           (changed >> kSlotRip) & 1 ? "  (changed)" : "", cur.rflags, f, (changed >> kSlotRflags) & 1 ? "  (changed)" : "",
           cur.fs_base);
  out += b;
  for (int i = 0; i < 16; i++) {
    float fl[4];
    double d[2];
    memcpy(fl, cur.xmm[i], 16);
    memcpy(d, cur.xmm[i], 16);
    uint64_t lo, hi;
    memcpy(&lo, cur.xmm[i], 8);
    memcpy(&hi, cur.xmm[i] + 8, 8);
    snprintf(b, sizeof b, "xmm%-2d %016" PRIx64 "%016" PRIx64 "  f64 %g %g  f32 %g %g %g %g%s\n", i, hi, lo, d[0], d[1],
             fl[0], fl[1], fl[2], fl[3], (xmm_changed >> i) & 1 ? "  (changed)" : "");
    out += b;
  }
  for (int i = 0; i < 8; i++) {
    char v[48];
    x87_text(cur, i, v, sizeof v);
    snprintf(b, sizeof b, "st(%d) %s\n", i, v);
    out += b;
  }
}

// [SECTION] symbols
bool SymbolTable::parse(const std::string& p, const char* text, size_t n) {
  path = p;
  syms.clear();
  error.clear();
  elf_type = 0;
  first_load = 0;
  size_t i = 0;
  bool header = false;
  while (i < n) {
    size_t e = i;
    while (e < n && text[e] != '\n') e++;
    std::string line(text + i, e - i);
    i = e + 1;
    if (!header && line.compare(0, 5, "path ") == 0) {
      path = line.substr(5);
      continue;
    }
    if (!header) {
      unsigned t;
      unsigned long long fl;
      if (sscanf(line.c_str(), "elf %u %llx", &t, &fl) != 2) { error = "bad symbol reply"; return false; }
      elf_type = t;
      first_load = fl;
      header = true;
      continue;
    }
    unsigned long long v, sz;
    int used = 0;
    if (sscanf(line.c_str(), "%llx %llu %n", &v, &sz, &used) < 2 || used <= 0) continue;
    syms.push_back({v, sz, line.substr((size_t)used)});
  }
  return header;
}

const Symbol* SymbolTable::find(const char* name) const {
  for (const Symbol& s : syms)
    if (s.name == name) return &s;
  return nullptr;
}

const Symbol* SymbolTable::at(uint64_t vaddr) const {
  auto it = std::upper_bound(syms.begin(), syms.end(), vaddr, [](uint64_t a, const Symbol& s) { return a < s.value; });
  if (it == syms.begin()) return nullptr;
  --it;
  // prefer a sized symbol that holds it; else the nearest before within 64 KiB
  if (it->size ? vaddr < it->value + it->size : vaddr - it->value < 65536) return &*it;
  return nullptr;
}

void SymbolTable::parse_lines(const char* text, size_t n) {
  files.clear();
  lines.clear();
  size_t i = 0;
  while (i < n) {
    size_t e = i;
    while (e < n && text[e] != '\n') e++;
    std::string line(text + i, e - i);
    i = e + 1;
    unsigned idx;
    int used = 0;
    if (sscanf(line.c_str(), "file %u %n", &idx, &used) == 1 && used > 0) {
      if (idx < 100000) {
        if (files.size() <= idx) files.resize(idx + 1);
        files[idx] = line.substr((size_t)used);
      }
      continue;
    }
    unsigned long long a;
    unsigned f, l;
    if (sscanf(line.c_str(), "%llx %u %u", &a, &f, &l) == 3) lines.push_back({a, f, l});
  }
}

bool SymbolTable::source_line(uint64_t vaddr, char* out, size_t n) const {
  auto it = std::upper_bound(lines.begin(), lines.end(), vaddr, [](uint64_t a, const LineRow& r) { return a < r.addr; });
  if (it == lines.begin()) return false;
  --it;
  const Symbol* s = at(vaddr);
  if (!s || it->addr < s->value) return false;  // the row belongs to another function
  const std::string& f = it->file < files.size() ? files[it->file] : std::string();
  const size_t slash = f.rfind('/');
  snprintf(out, n, "%s:%u", slash == std::string::npos ? f.c_str() : f.c_str() + slash + 1, it->line);
  return true;
}

// [SECTION] code
void CodeModel::rebuild(uint64_t start_hint) {
  lines.clear();
  rip_line = -1;
  if (bytes.empty()) return;
  const uint64_t end = base + bytes.size();
  static DisasmLine tmp[512];
  auto run = [&](uint64_t from) {
    return disassemble(bytes.data() + (from - base), (size_t)(end - from), from, att ? Syntax::Att : Syntax::Intel, tmp, 512);
  };
  auto lands = [&](size_t cnt) {
    for (size_t i = 0; i < cnt; i++)
      if (tmp[i].address == rip) return (int)i;
    return -1;
  };
  uint64_t from = rip >= base && rip < end ? rip : base;
  size_t cnt = 0;
  int at = -1;
  if (start_hint >= base && start_hint <= rip && rip < end) {
    cnt = run(start_hint);
    at = lands(cnt);
  }
  for (uint64_t o = base; at < 0 && o < rip && o < base + 16 && rip < end; o++) {
    cnt = run(o);
    at = lands(cnt);
  }
  if (at < 0) { cnt = run(from); at = lands(cnt); }
  while (cnt > 0 && tmp[cnt - 1].address >= limit && (int)cnt - 1 > at) cnt--;
  lines.assign(tmp, tmp + cnt);
  rip_line = at;
}

// [SECTION] replies
bool StateModel::source_line(uint64_t addr, char* out, size_t n) const {
  out[0] = 0;
  if (symbols.lines.empty() || symbols.path != exe) return false;
  return symbols.source_line(addr - load_bias(), out, n);
}

uint64_t StateModel::load_bias() const {
  if (symbols.elf_type != 3) return 0;
  for (const MapEntry& m : maps)
    if (m.offset == 0 && m.name == symbols.path) return m.start - (symbols.first_load & ~0xfffull);
  return 0;
}

void StateModel::symbolize(uint64_t addr, char* out, size_t n) const {
  out[0] = 0;
  if (symbols.syms.empty() || symbols.path != exe) return;
  const uint64_t bias = load_bias();
  const Symbol* s = symbols.at(addr - bias);
  if (!s) return;
  const uint64_t off = addr - bias - s->value;
  if (off) snprintf(out, n, "%s+0x%" PRIx64, s->name.c_str(), off);
  else snprintf(out, n, "%s", s->name.c_str());
}

void StateModel::set_syntax(bool att) {
  if (att == code.att) return;
  code.att = att;
  code.rebuild(code.lines.empty() ? ~0ull : code.lines[0].address);
  if (!block_bytes.empty()) {
    static DisasmLine tmp[256];
    const size_t k = disassemble(block_bytes.data(), block_bytes.size(), block_code_addr, att ? Syntax::Att : Syntax::Intel, tmp, 256);
    block_lines.assign(tmp, tmp + k);
  }
  region.set_syntax(att);
}

void StateModel::rebuild_code() {
  uint64_t hint = ~0ull;
  code.limit = ~0ull;
  if (!symbols.syms.empty() && symbols.path == exe) {
    const uint64_t bias = load_bias();
    if (const Symbol* s = symbols.at(code.rip - bias)) {
      hint = s->value + bias;
      if (s->size) code.limit = s->value + bias + s->size;  // the listing ends with the function
    }
  }
  code.rebuild(hint);
}

void StateModel::apply(const uint8_t* p, size_t n, int purpose) {
  replies++;
  size_t o = 0;
  bool new_stop = false;
  std::string prev_exe = exe;
  const RegsState* regs_in = nullptr;
  RegsState regs_buf;
  const uint8_t* code_in = nullptr;
  size_t code_len = 0;
  bool symbols_in = false, region_in = false;
  std::string error_in;
  while (o + 8 <= n) {
    uint32_t tag, len;
    memcpy(&tag, p + o, 4);
    memcpy(&len, p + o + 4, 4);
    o += 8;
    if (len > n - o) break;  // truncated: ignore the rest
    const uint8_t* b = p + o;
    switch ((gb::StateTag)tag) {
      case gb::StateTag::Status:
        if (len >= sizeof(StatusState)) {
          StatusState s;
          memcpy(&s, b, sizeof s);
          new_stop = !have_status || s.stops != status.stops || !s.halted || s.tid != status.tid;
          status = s;
          have_status = true;
        }
        break;
      case gb::StateTag::Regs:
        if (len >= sizeof(RegsState)) { memcpy(&regs_buf, b, sizeof regs_buf); regs_in = &regs_buf; }
        break;
      case gb::StateTag::Code:
        if (len >= 16) { code_in = b; code_len = len; }
        break;
      case gb::StateTag::Memory:
        if (len >= 16) {
          uint64_t a;
          uint32_t cnt;
          memcpy(&a, b, 8);
          memcpy(&cnt, b + 8, 4);
          if (16 + 2 * (size_t)cnt > len) break;
          if (purpose == 2) {
            line_view_addr = a;
            size_t valid = 0;
            while (valid < cnt && b[16 + cnt + valid]) valid++;
            static DisasmLine tmp2[128];
            const size_t k = disassemble(b + 16, valid, a, code.att ? Syntax::Att : Syntax::Intel, tmp2, 128);
            line_view.assign(tmp2, tmp2 + k);
          } else if (purpose == 1) {
            block_code_addr = a;
            size_t valid = 0;
            while (valid < cnt && b[16 + cnt + valid]) valid++;
            block_bytes.assign(b + 16, b + 16 + valid);
            static DisasmLine tmp[256];
            const size_t k = disassemble(b + 16, valid, a, code.att ? Syntax::Att : Syntax::Intel, tmp, 256);
            block_lines.assign(tmp, tmp + k);
          } else {
            mem_addr = a;
            mem.assign(b + 16, b + 16 + cnt);
            mem_valid.assign(b + 16 + cnt, b + 16 + 2 * cnt);
          }
        }
        break;
      case gb::StateTag::Maps: {
        maps = parse_maps((const char*)b, len);
        break;
      }
      case gb::StateTag::Exe: exe.assign((const char*)b, len); break;
      case gb::StateTag::Blocks:
        blocks.resize(len / sizeof(BlockState));
        if (!blocks.empty()) memcpy(blocks.data(), b, blocks.size() * sizeof(BlockState));
        break;
      case gb::StateTag::Symbols: {
        // "path <file>" first; without it, the running program's
        symbols.parse(exe, (const char*)b, len);
        symbols_in = true;
        break;
      }
      case gb::StateTag::Lines:
        symbols.parse_lines((const char*)b, len);
        symbols.lines_text.assign((const char*)b, len);
        symbols_in = true;
        break;
      case gb::StateTag::Error:
        error.assign((const char*)b, len);
        error_in = error;
        break;
      case gb::StateTag::Regions:
        regions.resize(len / 8);
        if (!regions.empty()) memcpy(regions.data(), b, regions.size() * 8);
        break;
      case gb::StateTag::RegionList:
        jit.parse_list(b, len);
        break;
      case gb::StateTag::Region:
        region.parse(b, len, code.att);
        region_in = true;
        break;
    }
    o += (len + 7) & ~7u;
  }
  if (purpose == 3 && !region_in) {  // no region there (not compiled, or compiled no more)
    region.clear();
    region.error = error_in.empty() ? "no region" : error_in;
  }
  if (symbols_in) {
    resolve_path_breaks();
    if (!path_breaks.empty()) breaks_version++;  // (their dots: the line table may place them now)
  }
  if (regs_in) regs.update(*regs_in, new_stop);
  if (code_in) {
    memcpy(&code.base, code_in, 8);
    uint32_t cnt;
    memcpy(&cnt, code_in + 8, 4);
    if (16 + (size_t)cnt <= code_len) code.bytes.assign(code_in + 16, code_in + 16 + cnt);
    code.rip = regs.cur.rip;
    rebuild_code();
  } else if (symbols_in) {
    rebuild_code();  // the same code, now with its function's bounds
  }
  if (exe != prev_exe && !exe.empty() && symbols.path != exe) {
    std::string q = "{\"op\":\"symbols\",\"path\":";
    json_string(q, exe.data(), exe.size());
    q += '}';
    commands.push_back(q);
  }
}

// [SECTION] requests
void StateModel::command(const char* op, int tid) {
  char b[96];
  snprintf(b, sizeof b, "{\"op\":\"%s\",\"tid\":%d,\"blocks\":64}", op, tid);
  commands.push_back(b);
}

void StateModel::follow(int pid) {
  char b[64];
  snprintf(b, sizeof b, "{\"op\":\"follow\",\"pid\":%d}", pid);
  commands.push_back(b);
}

// "main" or "main+4" in `t` -> a link-time address.
static bool resolve_symbol(const SymbolTable& t, const std::string& label, uint64_t& vaddr) {
  std::string name = label;
  uint64_t plus = 0;
  if (size_t k = name.find('+'); k != std::string::npos) {
    plus = strtoull(name.c_str() + k + 1, nullptr, 0);
    name.resize(k);
  }
  const Symbol* s = t.find(name.c_str());
  if (!s) return false;
  vaddr = s->value + plus;
  return true;
}

void StateModel::resolve_path_breaks() {
  if (symbols.syms.empty()) return;
  bool moved = false;
  for (Break& b : path_breaks) {
    uint64_t v = 0;
    if (b.path != symbols.path || b.label.empty() || !resolve_symbol(symbols, b.label, v)) continue;
    const bool pie = symbols.elf_type == 3;
    if (v != b.vaddr || pie != b.pie) { b.vaddr = v; b.pie = pie; moved = true; }
  }
  if (moved) send_breaks();
}

void StateModel::new_machine() {
  StateModel fresh;
  fresh.path_breaks = std::move(path_breaks);
  fresh.addr_breaks = std::move(addr_breaks);
  fresh.syscall_breaks = std::move(syscall_breaks);
  fresh.line_breaks = std::move(line_breaks);
  fresh.signal_breaks = std::move(signal_breaks);
  fresh.breaks_version = breaks_version;
  fresh.code.att = code.att;
  *this = std::move(fresh);
  if (break_count()) send_breaks();
}

bool StateModel::add_break(const char* where, const char* path, std::string& err) {
  while (*where == ' ') where++;
  if (!*where) { err = "empty"; return false; }
  if (where[0] == '0' && (where[1] == 'x' || where[1] == 'X')) {  // an address in the followed process
    char* end = nullptr;
    const uint64_t a = strtoull(where, &end, 16);
    if (!end || *end) { err = "not an address"; return false; }
    addr_breaks.push_back(a);
    send_breaks();
    return true;
  }
  if (strncmp(where, "SIG", 3) == 0) {  // a signal delivered to the followed process
    signal_breaks.push_back(where);
    send_breaks();
    return true;
  }
  if (const char* colon = strrchr(where, ':'); colon && colon != where && colon[1]) {  // file:line
    char* end = nullptr;
    const unsigned long ln = strtoul(colon + 1, &end, 10);
    if (!end || *end || ln == 0) { err = "not a line number"; return false; }
    const std::string f(where, (size_t)(colon - where));
    // The followed program if its line table has code there (a program stopped or running
    // now), else no program: the engine applies it to every program whose line table has
    // code for it, as each is exec'd ("hello.c:5" typed at the shell's prompt, then ./hello).
    std::string prog = path && *path ? std::string(path) : std::string();
    if (prog.empty() && !line_addresses(f.c_str(), (uint32_t)ln, nullptr).empty()) prog = exe;
    line_breaks.push_back({prog, f, (uint32_t)ln});
    send_breaks();
    return true;
  }
  const std::string file = path && *path ? std::string(path) : exe;
  if (symbols.path != file || symbols.syms.empty()) { err = "no symbols of " + file + " yet"; return false; }
  Break b;
  if (!resolve_symbol(symbols, where, b.vaddr)) {
    std::string name = where;
    err = "no symbol " + name.substr(0, name.find('+')) + " in " + file;
    return false;
  }
  b.path = file;
  b.pie = symbols.elf_type == 3;
  b.label = where;
  path_breaks.push_back(b);
  send_breaks();
  return true;
}

void StateModel::add_syscall_break(const char* name) {
  syscall_breaks.push_back(name);
  send_breaks();
}

bool StateModel::toggle_line_break(const char* path, const char* file, uint32_t line) {
  const std::string f = file;
  size_t removed = 0;
  for (size_t i = line_breaks.size(); i-- > 0;)
    if (line_breaks[i].line == line && gb::line_file_matches(f, line_breaks[i].file)) {
      line_breaks.erase(line_breaks.begin() + (long)i);
      removed++;
    }
  for (size_t i = path_breaks.size(); i-- > 0;) {
    std::string bf;
    uint32_t bl = 0;
    if (path_break_source(path_breaks[i], bf, bl) && bl == line && gb::line_file_matches(f, bf)) {
      path_breaks.erase(path_breaks.begin() + (long)i);
      removed++;
    }
  }
  if (!removed) line_breaks.push_back({path, file, line});
  send_breaks();
  return removed == 0;
}

bool StateModel::path_break_source(const Break& b, std::string& file, uint32_t& line) const {
  if (symbols.path != b.path || symbols.lines.empty()) return false;
  auto it = std::upper_bound(symbols.lines.begin(), symbols.lines.end(), b.vaddr,
                             [](uint64_t a, const LineRow& r) { return a < r.addr; });
  if (it == symbols.lines.begin()) return false;
  --it;
  const Symbol* s = symbols.at(b.vaddr);
  if (!s || it->addr < s->value || it->file >= symbols.files.size()) return false;
  file = symbols.files[it->file];
  line = it->line;
  return true;
}

std::vector<uint32_t> StateModel::break_lines(const std::string& editor_path) const {
  std::vector<uint32_t> out;
  for (const LineBreak& b : line_breaks)
    if (gb::line_file_matches(editor_path, b.file)) out.push_back(b.line);
  for (const Break& b : path_breaks) {
    std::string f;
    uint32_t l = 0;
    if (path_break_source(b, f, l) && gb::line_file_matches(editor_path, f)) out.push_back(l);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void StateModel::clear_breaks() {
  path_breaks.clear();
  addr_breaks.clear();
  syscall_breaks.clear();
  line_breaks.clear();
  signal_breaks.clear();
  send_breaks();
}

void StateModel::send_breaks() {
  breaks_version++;
  std::string q = "{\"op\":\"break\",\"addrs\":[";
  char b[40];
  for (size_t i = 0; i < addr_breaks.size(); i++) {
    snprintf(b, sizeof b, "%s\"0x%" PRIx64 "\"", i ? "," : "", addr_breaks[i]);
    q += b;
  }
  q += "],\"paths\":[";
  for (size_t i = 0; i < path_breaks.size(); i++) {
    q += i ? ",{\"path\":" : "{\"path\":";
    json_string(q, path_breaks[i].path.data(), path_breaks[i].path.size());
    snprintf(b, sizeof b, ",\"vaddr\":\"0x%" PRIx64 "\"", path_breaks[i].vaddr);
    q += b;
    q += path_breaks[i].pie ? ",\"pie\":true}" : ",\"pie\":false}";
  }
  q += "],\"syscalls\":[";
  for (size_t i = 0; i < syscall_breaks.size(); i++) {
    if (i) q += ',';
    json_string(q, syscall_breaks[i].data(), syscall_breaks[i].size());
  }
  q += "],\"lines\":[";
  for (size_t i = 0; i < line_breaks.size(); i++) {
    q += i ? ",{\"path\":" : "{\"path\":";
    json_string(q, line_breaks[i].path.data(), line_breaks[i].path.size());
    q += ",\"file\":";
    json_string(q, line_breaks[i].file.data(), line_breaks[i].file.size());
    snprintf(b, sizeof b, ",\"line\":%u}", line_breaks[i].line);
    q += b;
  }
  q += "],\"signals\":[";
  for (size_t i = 0; i < signal_breaks.size(); i++) {
    if (i) q += ',';
    json_string(q, signal_breaks[i].data(), signal_breaks[i].size());
  }
  q += "]}";
  commands.push_back(q);
}

void StateModel::refresh_request(std::string& out, uint64_t maddr, uint32_t mlen, uint32_t nblocks, bool lite,
                                 uint32_t nregions) const {
  if (lite) {
    out = "{\"op\":\"state\",\"code_before\":0,\"code_after\":0,\"maps\":false,\"blocks\":0}";
    return;
  }
  char b[200];
  snprintf(b, sizeof b, "{\"op\":\"state\",\"mem_addr\":\"0x%" PRIx64 "\",\"mem_len\":%u,\"blocks\":%u,\"regions\":%u}", maddr, mlen,
           nblocks, nregions);
  out = b;
}

// [SECTION] source lines (where, the editor's line view)
bool StateModel::where(std::string& func, std::string& file, uint32_t& line) const {
  func.clear();
  file.clear();
  line = 0;
  if (!have_status || !status.halted || !regs.have) return false;
  const uint64_t rip = regs.cur.rip;
  if (!symbols.syms.empty() && symbols.path == exe)
    if (const Symbol* s = symbols.at(rip - load_bias())) func = s->name;
  if (symbols.lines.empty() || symbols.path != exe) return !func.empty();
  const uint64_t v = rip - load_bias();
  auto it = std::upper_bound(symbols.lines.begin(), symbols.lines.end(), v,
                             [](uint64_t a, const LineRow& r) { return a < r.addr; });
  if (it == symbols.lines.begin()) return !func.empty();
  --it;
  const Symbol* s = symbols.at(v);
  if (!s || it->addr < s->value) return !func.empty();
  if (it->file < symbols.files.size()) file = symbols.files[it->file];
  line = it->line;
  return true;
}

std::vector<uint64_t> StateModel::line_addresses(const char* file, uint32_t line, uint32_t* used) const {
  std::vector<uint64_t> out;
  if (used) *used = 0;
  if (symbols.path != exe || symbols.lines_text.empty()) return out;
  out = gb::line_addresses(symbols.lines_text, file, line, used);
  const uint64_t bias = load_bias();
  for (uint64_t& a : out) a += bias;
  return out;
}

bool StateModel::line_view_request(const char* file, uint32_t line, std::string& req) {
  uint32_t used = 0;
  const std::vector<uint64_t> at = line_addresses(file, line, &used);
  if (at.empty()) return false;
  // the run of rows of that line from its first start: up to the next row of another line
  const uint64_t bias = load_bias(), v = at[0] - bias;
  uint64_t end = v + 64;
  auto it = std::upper_bound(symbols.lines.begin(), symbols.lines.end(), v,
                             [](uint64_t a, const LineRow& r) { return a < r.addr; });
  for (; it != symbols.lines.end(); ++it)
    if (it->line != used) { end = it->addr; break; }
  const uint32_t len = (uint32_t)std::min<uint64_t>(end - v, 512);
  const char* slash = strrchr(file, '/');
  line_view_label = std::string(slash ? slash + 1 : file) + ":" + std::to_string(used);
  char b[160];
  snprintf(b, sizeof b, "{\"op\":\"memory\",\"addr\":\"0x%" PRIx64 "\",\"len\":%u,\"tid\":%d,\"purpose\":2}", at[0], len,
           status.tid);
  req = b;
  return true;
}

// [SECTION] views
static const char* reason_name(uint32_t r) {
  switch (r & 0xff) {
    case 6: return "signal";
    case 1: return "paused";
    case 2: return "step";
    case 3: return "breakpoint";
    case 4: return "syscall";
    case 5: return "exited";
    default: return "running";
  }
}

void StateModel::to_json(std::string& out, const char* panel) const {
  const bool all = strcmp(panel, "state") == 0;
  char b[320];
  out += '{';
  snprintf(b, sizeof b,
           "\"replies\":%" PRIu64 ",\"halted\":%s,\"reason\":\"%s\",\"stops\":%" PRIu64 ",\"pid\":%d,\"tid\":%d,"
           "\"target_pid\":%d,\"pinned\":%s,\"icount\":%" PRIu64 ",\"exe\":",
           replies, status.halted ? "true" : "false", reason_name(status.reason), status.stops, status.pid, status.tid,
           status.target_pid, status.pinned ? "true" : "false", status.icount);
  out += b;
  json_string(out, exe.data(), exe.size());
  {
    std::string func, file;
    uint32_t line = 0;
    where(func, file, line);
    out += ",\"where\":{\"func\":";
    json_string(out, func.data(), func.size());
    out += ",\"file\":";
    json_string(out, file.data(), file.size());
    const char* sn = (status.reason & 0xff) == 6 ? gb::signal_name((int)(status.reason >> 8)) : nullptr;
    snprintf(b, sizeof b, ",\"line\":%u,\"signal\":\"%s\"}", line, sn ? sn : "");
    out += b;
  }
  out += ",\"error\":";
  json_string(out, error.data(), error.size());
  snprintf(b, sizeof b, ",\"breaks\":%zu,\"engine_breaks\":%u,\"breaks_version\":%" PRIu64, break_count(), status.breaks,
           breaks_version);
  out += b;
  if (all || strcmp(panel, "registers") == 0) { out += ",\"registers\":"; regs.to_json(out); }
  if (all || strcmp(panel, "code") == 0) {
    out += ",\"code\":{\"rip_line\":" + std::to_string(code.rip_line) + ",\"lines\":[";
    for (size_t i = 0; i < code.lines.size(); i++) {
      const DisasmLine& l = code.lines[i];
      char sym[128];
      symbolize(l.address, sym, sizeof sym);
      snprintf(b, sizeof b, "%s{\"addr\":\"0x%" PRIx64 "\",\"size\":%u,\"bad\":%s,\"text\":", i ? "," : "", l.address, l.size,
               l.bad ? "true" : "false");
      out += b;
      json_string(out, l.text, strlen(l.text));
      out += ",\"sym\":";
      json_string(out, sym, strlen(sym));
      char src[128];
      source_line(l.address, src, sizeof src);
      out += ",\"src\":";
      json_string(out, src, strlen(src));
      out += '}';
    }
    out += "],\"symbols\":{\"path\":";
    json_string(out, symbols.path.data(), symbols.path.size());
    snprintf(b, sizeof b, ",\"count\":%zu,\"lines\":%zu,\"elf_type\":%u,\"bias\":\"0x%" PRIx64 "\"", symbols.syms.size(),
             symbols.lines.size(), symbols.elf_type, load_bias());
    out += b;
    if (const Symbol* m = symbols.find("main")) {
      snprintf(b, sizeof b, ",\"main\":\"0x%" PRIx64 "\"", m->value);
      out += b;
    }
    out += "},\"line_view\":{\"label\":";
    json_string(out, line_view_label.data(), line_view_label.size());
    snprintf(b, sizeof b, ",\"addr\":\"0x%" PRIx64 "\",\"lines\":[", line_view_addr);
    out += b;
    for (size_t i = 0; i < line_view.size(); i++) {
      if (i) out += ',';
      json_string(out, line_view[i].text, strlen(line_view[i].text));
    }
    out += "]}}";
  }
  if (all || strcmp(panel, "memory") == 0) {
    out += ",\"maps\":[";
    for (size_t i = 0; i < maps.size(); i++) {
      const MapEntry& m = maps[i];
      snprintf(b, sizeof b, "%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"perms\":\"%.4s\",\"offset\":%" PRIu64 ",\"name\":",
               i ? "," : "", m.start, m.end, m.perms, m.offset);
      out += b;
      json_string(out, m.name.data(), m.name.size());
      out += '}';
    }
    size_t valid = 0;
    for (uint8_t v : mem_valid) valid += v;
    snprintf(b, sizeof b, "],\"memory\":{\"addr\":\"0x%" PRIx64 "\",\"len\":%zu,\"readable\":%zu,\"hex\":\"", mem_addr, mem.size(), valid);
    out += b;
    for (size_t i = 0; i < mem.size() && i < 64; i++) {
      if (mem_valid[i]) snprintf(b, sizeof b, "%02x", mem[i]);
      else snprintf(b, sizeof b, "??");
      out += b;
    }
    out += "\"}";
  }
  if (all || strcmp(panel, "blocks") == 0) {
    out += ",\"blocks\":[";
    for (size_t i = 0; i < blocks.size(); i++) {
      const BlockState& k = blocks[i];
      snprintf(b, sizeof b, "%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"n\":%u,\"execs\":%" PRIu64 ",\"indirect\":%" PRIu64 ",\"page_heat\":%" PRIu64 ",\"compiled\":%s,\"entry\":%s}",
               i ? "," : "", k.start, k.end, k.n, k.execs, k.indirect_entries, k.page_heat,
               (k.flags & gb::kBlockCompiled) ? "true" : "false", (k.flags & gb::kBlockRegionEntry) ? "true" : "false");
      out += b;
    }
    out += "],\"regions\":[";
    for (size_t i = 0; i < regions.size(); i++) {
      snprintf(b, sizeof b, "%s\"0x%" PRIx64 "\"", i ? "," : "", regions[i]);
      out += b;
    }
    snprintf(b, sizeof b, "],\"block_code\":{\"addr\":\"0x%" PRIx64 "\",\"lines\":[", block_code_addr);
    out += b;
    for (size_t i = 0; i < block_lines.size(); i++) {
      if (i) out += ',';
      json_string(out, block_lines[i].text, strlen(block_lines[i].text));
    }
    out += "]}";
  }
  if (all || strcmp(panel, "region") == 0) {
    out += ",\"region\":";
    region.to_json(out);
  }
  if (all || strcmp(panel, "jit") == 0) {
    out += ",\"jit\":";
    jit.to_json(out);
  }
  if (all || strcmp(panel, "breaks") == 0) {
    out += ",\"breakpoints\":{\"lines\":[";
    for (size_t i = 0; i < line_breaks.size(); i++) {
      out += i ? ",{\"path\":" : "{\"path\":";
      json_string(out, line_breaks[i].path.data(), line_breaks[i].path.size());
      out += ",\"file\":";
      json_string(out, line_breaks[i].file.data(), line_breaks[i].file.size());
      snprintf(b, sizeof b, ",\"line\":%u}", line_breaks[i].line);
      out += b;
    }
    out += "],\"symbols\":[";
    for (size_t i = 0; i < path_breaks.size(); i++) {
      const Break& k = path_breaks[i];
      out += i ? ",{\"path\":" : "{\"path\":";
      json_string(out, k.path.data(), k.path.size());
      out += ",\"label\":";
      json_string(out, k.label.data(), k.label.size());
      std::string f;
      uint32_t l = 0;
      path_break_source(k, f, l);
      out += ",\"file\":";
      json_string(out, f.data(), f.size());
      snprintf(b, sizeof b, ",\"line\":%u,\"vaddr\":\"0x%" PRIx64 "\",\"pie\":%s}", l, k.vaddr, k.pie ? "true" : "false");
      out += b;
    }
    out += "],\"addrs\":[";
    for (size_t i = 0; i < addr_breaks.size(); i++) {
      snprintf(b, sizeof b, "%s\"0x%" PRIx64 "\"", i ? "," : "", addr_breaks[i]);
      out += b;
    }
    out += "],\"syscalls\":[";
    for (size_t i = 0; i < syscall_breaks.size(); i++) {
      if (i) out += ',';
      json_string(out, syscall_breaks[i].data(), syscall_breaks[i].size());
    }
    out += "],\"signals\":[";
    for (size_t i = 0; i < signal_breaks.size(); i++) {
      if (i) out += ',';
      json_string(out, signal_breaks[i].data(), signal_breaks[i].size());
    }
    out += "]}";
  }
  out += '}';
}

void StateModel::to_text(std::string& out, const char* panel) const {
  char b[256];
  snprintf(b, sizeof b, "%s  process %d (thread %d)  %s  %" PRIu64 " instructions\n", status.halted ? "STOPPED" : "running",
           status.pid, status.tid, status.halted ? reason_name(status.reason) : "", status.icount);
  out += b;
  if (strcmp(panel, "registers") == 0) { regs.to_text(out); return; }
  if (strcmp(panel, "code") == 0) {
    breaks_text(out, "breakpoint ");
    char last_src[128] = "";
    for (size_t i = 0; i < code.lines.size(); i++) {
      const DisasmLine& l = code.lines[i];
      char sym[128], src[128];
      symbolize(l.address, sym, sizeof sym);
      if (source_line(l.address, src, sizeof src) && (i == 0 || strcmp(src, last_src) != 0)) {
        out += "   ";
        out += src;
        out += '\n';
        snprintf(last_src, sizeof last_src, "%s", src);
      }
      char line[sizeof sym + sizeof l.text + 64];  // (room for the longest symbol and instruction)
      snprintf(line, sizeof line, "%s %016" PRIx64 " %-24s %s%s\n", (int)i == code.rip_line ? "=>" : "  ", l.address, sym, l.text,
               l.bad ? "   (not an instruction)" : "");
      out += line;
    }
    return;
  }
  if (strcmp(panel, "memory") == 0) {
    for (const MapEntry& m : maps) {
      snprintf(b, sizeof b, "%012" PRIx64 "-%012" PRIx64 " %.4s %8" PRIx64 " %s\n", m.start, m.end, m.perms, m.offset, m.name.c_str());
      out += b;
    }
    out += "\n";
    for (size_t r = 0; r < mem.size(); r += 16) {
      int o = snprintf(b, sizeof b, "%016" PRIx64 " ", mem_addr + r);
      for (size_t i = r; i < r + 16 && i < mem.size(); i++)
        o += snprintf(b + o, sizeof b - o, mem_valid[i] ? " %02x" : " ??", mem[i]);
      const MapEntry* m = map_at(maps, mem_addr + r);
      snprintf(b + o, sizeof b - o, "  %s\n", m ? "" : "(not mapped)");
      out += b;
    }
    return;
  }
  if (strcmp(panel, "blocks") == 0) {
    snprintf(b, sizeof b, "%zu compiled regions (JIT)\n", regions.size());
    out += b;
    out += "start            instrs       execs   indirect  page heat  jit\n";
    for (const BlockState& k : blocks) {
      snprintf(b, sizeof b, "%016" PRIx64 " %6u %11" PRIu64 " %10" PRIu64 " %10" PRIu64 "  %s\n", k.start, k.n, k.execs,
               k.indirect_entries, k.page_heat,
               (k.flags & gb::kBlockRegionEntry) ? "wasm (region entry)" : (k.flags & gb::kBlockCompiled) ? "wasm" : "");
      out += b;
    }
    for (const DisasmLine& l : block_lines) {
      snprintf(b, sizeof b, "  %016" PRIx64 " %s\n", l.address, l.text);
      out += b;
    }
    if (region.have || !region.error.empty()) {
      out += "\n";
      region.to_text(out);
    }
    out += "\n";
    jit.to_text(out);
    return;
  }
  if (strcmp(panel, "jit") == 0) {
    jit.to_text(out);
    return;
  }
  if (strcmp(panel, "region") == 0) {
    region.to_text(out);
    return;
  }
  if (strcmp(panel, "breaks") == 0) breaks_text(out, "");
}

void StateModel::breaks_text(std::string& out, const char* prefix) const {
  char b[160];
  for (const LineBreak& k : line_breaks)
    out += prefix + k.file + ":" + std::to_string(k.line) + "  (" + (k.path.empty() ? "any program built from it" : k.path) + ")\n";
  for (const Break& k : path_breaks) {
    std::string f;
    uint32_t l = 0;
    snprintf(b, sizeof b, "%s  0x%" PRIx64 "%s", k.label.c_str(), k.vaddr, k.pie ? " + load base" : "");
    out += prefix;
    out += b;
    if (path_break_source(k, f, l)) out += "  " + f + ":" + std::to_string(l);
    out += "  (" + k.path + ")\n";
  }
  for (uint64_t a : addr_breaks) {
    snprintf(b, sizeof b, "0x%" PRIx64 "  (the followed process)\n", a);
    out += prefix;
    out += b;
  }
  for (const std::string& k : syscall_breaks) out += prefix + std::string("system call ") + k + "\n";
  for (const std::string& k : signal_breaks) out += prefix + std::string("signal ") + k + "\n";
}

}  // namespace gbi
