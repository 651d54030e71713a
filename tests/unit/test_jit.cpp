// tests/unit/test_jit.cpp — the JIT (vm/jit): the wasm writer's encodings, the golden
// listings of tests/jit/cases (every build: the compiler is plain C++), and, in the wasm
// build where compiled code can be instantiated, the bounded code cache's eviction.
// (Compiled code against the interpreter: tests/jit/run.sh, in node.)
//
// Golden files: tests/jit/golden/NAME.txt. GB_JIT_UPDATE=1 rewrites them (tests/jit/update.sh);
// GB_JIT_WASM_DIR=DIR also writes each module there (tests/jit/update.sh validates them
// with wabt's wasm-validate).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/interp.h"
#include "vm/jit/compiler.h"
#include "vm/jit/jit.h"
#include "vm/jit/wasm_emit.h"
#include "vm/mem/address_space.h"
#include "vm/trace/trace.h"

using namespace gb;

namespace {

constexpr uint64_t kCode = 0x10000000, kStack = 0x20000000, kData = 0x30000000;

// tests/jit, wherever the tests run from (__FILE__ may be relative to the build dir).
std::string jit_dir() {
  std::string f = __FILE__;
  std::vector<std::string> tries;
  if (const char* s = getenv("GB_SOURCE_DIR")) tries.push_back(std::string(s) + "/tests/jit");
  tries.push_back(f.substr(0, f.rfind("/unit/")) + "/jit");
  tries.push_back("tests/jit");
  tries.push_back("../tests/jit");
  for (const std::string& t : tries)
    if (std::ifstream(t + "/cases/loop.hex").good()) return t;
  return tries.back();
}

std::vector<uint8_t> read_hex(const std::string& path) {
  std::ifstream in(path);
  std::string line, hex;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') hex += line;
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back((uint8_t)std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

class NoHost : public CpuHost {
 public:
  void syscall(Cpu&) override {}
  uint64_t rdtsc() override { return 0; }
  void illegal_instruction(Cpu&, uint64_t, const uint8_t*, int) override {}
};

struct Machine {
  AddressSpace as;
  BlockCache bc;
  Counters counted;
  NoHost host;
  Cpu cpu;
  explicit Machine(const std::vector<uint8_t>& code) {
    bc.counters = &counted;
    as.set_code_watcher([this](uint64_t page) { bc.invalidate_page(page); });
    REQUIRE(as.map(kCode, 2 * PAGE, PROT_R | PROT_W | PROT_X, true, false, false, nullptr, 0, "code") == (int64_t)kCode);
    REQUIRE(as.map(kStack, PAGE, PROT_R | PROT_W, true, false, false, nullptr, 0, "stack") == (int64_t)kStack);
    REQUIRE(as.map(kData, PAGE, PROT_R | PROT_W, true, false, false, nullptr, 0, "data") == (int64_t)kData);
    as.write_bytes(kCode, code.data(), code.size());
    cpu.mem = &as;
    cpu.host = &host;
    cpu.rip = kCode;
    cpu.r[RSP] = kStack + PAGE / 2;
  }
};

// Decodes every block reachable by direct jumps from kCode (what the interpreter would
// have decoded after running the code long enough).
void decode_reachable(Machine& m) {
  std::vector<uint64_t> work = {kCode};
  std::map<uint64_t, bool> seen;
  while (!work.empty()) {
    const uint64_t a = work.back();
    work.pop_back();
    if (seen[a] || page_down(a) != kCode) continue;
    seen[a] = true;
    Block* b = m.bc.get(m.as, a);
    const Insn& last = b->insns.back();
    const uint32_t form = last.row != 0xffff ? op_table()[last.row].form : 0;
    if (!(form & F_BRANCH)) work.push_back(b->end);
    else if (form & (F_REL8 | F_REL32)) { work.push_back(b->end + last.imm); work.push_back(b->end); }
  }
}

// A layout with fixed numbers, so listings are the same in every build.
jit::Abi golden_abi(std::map<const void*, uint32_t>& ids) {
  jit::Abi a;
  a.off_r = 0; a.off_rip = 128; a.off_cc = 136; a.off_fs = 168; a.off_gs = 176;
  a.off_icount = 1000; a.off_stop = 1008; a.off_mem = 1012;
  a.tlb_off = 256; a.tlb_mask = 4095;
  a.addr_running = 0x5000; a.addr_limit = 0x5008;
  for (int i = 0; i < 4; i++) { a.rd_helper[i] = 11 + i; a.wr_helper[i] = 21 + i; }
  a.cf_helper = 31; a.off_rflags = 184; a.off_xmm = 192; a.off_mxcsr = 448; a.off_chained = 1024;
  auto id = [&ids](const void* p, uint32_t base) {
    auto it = ids.find(p);
    if (it != ids.end()) return it->second;
    const uint32_t v = base + (uint32_t)ids.size();
    ids[p] = v;
    return v;
  };
  a.handler = [id](Handler h) { return id((const void*)h, 100); };
  a.addr = [id](const void* p) { return id(p, 0x10000); };
  return a;
}

}  // namespace

TEST_CASE("jit: LEB128 encodings") {
  std::vector<uint8_t> o;
  jit::put_uleb(o, 624485);
  CHECK(o == std::vector<uint8_t>{0xe5, 0x8e, 0x26});
  o.clear();
  jit::put_sleb(o, -123456);
  CHECK(o == std::vector<uint8_t>{0xc0, 0xbb, 0x78});
  o.clear();
  jit::put_sleb(o, 64);  // needs a second byte (bit 6 would read as the sign)
  CHECK(o == std::vector<uint8_t>{0xc0, 0x00});
  o.clear();
  jit::put_sleb(o, -1);
  CHECK(o == std::vector<uint8_t>{0x7f});
}

// The branch hints (metadata.code.branch_hint, between the function and code sections):
// each offset counts from the start of its function's locals declaration and lands on
// the `if` it hints; functions without hints are left out; V8 reads it (node: the flag
// in tools/cli/node_flags.js; Chromium: by default).
TEST_CASE("jit: branch hints point at their ifs") {
  jit::Body a(false), b(false), c(false);
  a.i32_const(1);
  a.if_hint(true, jit::T_I32);
  a.i32_const(2);
  a.else_();
  a.i32_const(3);
  a.end();
  a.i32_const(0);
  a.if_hint(false);
  a.end();
  a.drop();
  b.i32_const(0);  // no hints
  b.drop();
  for (int i = 0; i < 70; i++) c.i32_const(i), c.drop();  // a hint past offset 127: a two-byte LEB
  c.i32_const(1);
  c.if_hint(true);
  c.end();
  std::vector<jit::FuncType> types = {{{}, {}}};
  const std::vector<uint8_t> locals = {jit::T_I64, jit::T_I64, jit::T_I32};
  const std::vector<uint8_t> m = jit::build_module(types, {}, 0, locals, std::vector<const jit::Body*>{&a, &b, &c});
  auto uleb = [&m](size_t& i) {
    uint64_t v = 0;
    for (int sh = 0;; sh += 7) {
      const uint8_t x = m.at(i++);
      v |= (uint64_t)(x & 0x7f) << sh;
      if (!(x & 0x80)) return v;
    }
  };
  // the sections: ids in order, the hints' payload, the code section's function bodies
  std::vector<int> ids;
  size_t hints_at = 0, hints_end = 0;
  std::vector<size_t> body_at;  // each function's first byte after its size
  for (size_t i = 8; i < m.size();) {
    const int id = m[i++];
    const size_t n = uleb(i), end = i + n;
    ids.push_back(id);
    if (id == 0) {
      const size_t nl = uleb(i);
      CHECK(std::string(m.begin() + (long)i, m.begin() + (long)(i + nl)) == "metadata.code.branch_hint");
      hints_at = i + nl;
      hints_end = end;
    }
    if (id == 10) {
      size_t j = i;
      const uint64_t nf = uleb(j);
      for (uint64_t f = 0; f < nf; f++) {
        const size_t sz = uleb(j);
        body_at.push_back(j);
        j += sz;
      }
    }
    i = end;
  }
  CHECK(ids == std::vector<int>{1, 2, 3, 7, 0, 10});
  REQUIRE(body_at.size() == 3);
  size_t i = hints_at;
  REQUIRE(uleb(i) == 2);  // functions 0 and 2
  std::vector<std::pair<uint64_t, int>> seen;  // (function, hint)
  while (i < hints_end) {
    const uint64_t f = uleb(i), n = uleb(i);
    for (uint64_t k = 0; k < n; k++) {
      const size_t off = uleb(i);
      CHECK(uleb(i) == 1);
      const int hint = m.at(i++);
      CHECK(m.at(body_at.at(f) + off) == 0x04);  // an `if`
      seen.push_back({f, hint});
    }
  }
  CHECK(i == hints_end);
  CHECK(seen == std::vector<std::pair<uint64_t, int>>{{0, 1}, {0, 0}, {2, 1}});
}

TEST_CASE("jit: golden listings of tests/jit/cases") {
  const std::string dir = jit_dir();
  const bool update = getenv("GB_JIT_UPDATE") && *getenv("GB_JIT_UPDATE") == '1';
  const char* wasm_dir = getenv("GB_JIT_WASM_DIR");
  DIR* d = opendir((dir + "/cases").c_str());
  REQUIRE(d != nullptr);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.substr(n.size() - 4) == ".hex") names.push_back(n.substr(0, n.size() - 4));
  }
  closedir(d);
  REQUIRE(names.size() >= 7);
  for (const std::string& name : names) {
    CAPTURE(name);
    Machine m(read_hex(dir + "/cases/" + name + ".hex"));
    decode_reachable(m);
    std::map<const void*, uint32_t> ids;
    jit::Abi abi = golden_abi(ids);
    AddressSpace* as = &m.as;
    abi.bytes = [as](uint64_t a, uint32_t n) {
      uint8_t buf[16];
      std::string s;
      if (n > 16 || !as->copy_in(buf, a, n)) return s;
      char h[4];
      for (uint32_t i = 0; i < n; i++) { snprintf(h, sizeof h, i ? " %02x" : "%02x", buf[i]); s += h; }
      return s;
    };
    const Block* entry = m.bc.find(kCode);
    REQUIRE(entry != nullptr);
    // Two of the cases again with chaining on (a tier's chain table at a fixed address):
    // their exits go through the lookup and the tail call after the body; loop_blocks'
    // also count themselves (an exit cell at 0x7000: the region may grow, jit.h).
    const bool chained_too = name == "call_ret" || name == "loop_blocks";
    for (int chained = 0; chained <= (chained_too ? 1 : 0); chained++) {
      const std::string gname = chained ? name + "_chained" : name;
      if (chained) { abi.chain_table = 0x6000; abi.chain_bits = 12; }
      const bool counted = chained && name == "loop_blocks";
      if (counted) { abi.addr_grow = 0x7100; abi.grow_at = 1u << 20; }
      const jit::Compiled c = jit::compile_region(jit::form_region(m.bc, *entry), abi, true, counted ? 0x7000 : 0);
      std::ostringstream text;
      text << ";; " << gname << ": " << c.insns << " x86 instructions (" << c.inline_insns << " inline), "
           << c.wasm.size() << " wasm bytes\n" << c.listing;
      const std::string golden = dir + "/golden/" + gname + ".txt";
      if (wasm_dir) {
        std::ofstream w(std::string(wasm_dir) + "/" + gname + ".wasm", std::ios::binary);
        w.write((const char*)c.wasm.data(), (std::streamsize)c.wasm.size());
      }
      if (update) {
        std::ofstream(golden) << text.str();
        continue;
      }
      std::ifstream g(golden);
      REQUIRE_MESSAGE(g.good(), "no golden file " << golden << " (tests/jit/update.sh makes it)");
      std::stringstream want;
      want << g.rdbuf();
      CHECK_MESSAGE(want.str() == text.str(), "listing of " << gname << " differs from " << golden
                                                << " (review, then tests/jit/update.sh)");
    }
  }
}

// The bounded code cache (wasm build: compiled code can be instantiated there): five
// one-block regions in a budget of three regions; the two oldest are evicted, with a
// jit-drop event saying so, and the cache's totals stay within the budget.
TEST_CASE("jit: the code cache evicts the oldest regions") {
  if (!jit::available()) return;  // (natively nothing is instantiated)
  std::vector<uint8_t> code(5, 0xc3);  // five blocks: ret ret ret ret ret (no successors)
  Machine m(code);
  m.bc.cpu = &m.cpu;
  Trace trace;
  std::vector<std::string> drops;
  trace.subscribe([&drops](const TraceEvent& e) {
    if (e.kind == TraceKind::JitDrop) drops.push_back(e.text);
  });
  m.bc.trace = &trace;
  const jit::CacheUse before = jit::cache_use();
  jit::set_cache_limits(0, before.regions + 3);
  {
    jit::JitTier tier(m.bc, jit::Mode::Always, "");
    std::vector<Block*> blocks;
    for (uint64_t i = 0; i < 5; i++) blocks.push_back(m.bc.get(m.as, kCode + i));
    for (Block* b : blocks) tier.compile(*b);
    REQUIRE(m.counted.jit_failed == 0);
    CHECK(m.counted.jit_regions == 5);
    CHECK(!blocks[0]->jit_fn);
    CHECK(!blocks[1]->jit_fn);
    CHECK(!!blocks[2]->jit_fn);
    CHECK(!!blocks[4]->jit_fn);
    const jit::CacheUse u = jit::cache_use();
    CHECK(u.regions == before.regions + 3);
    CHECK(u.evicted == before.evicted + 2);
    REQUIRE(drops.size() == 2);
    CHECK(drops[0].find("evicted") != std::string::npos);
    CHECK(jit::regions_of(m.bc).size() == 0);  // (the tier is not attached to bc.tier here)
  }
  CHECK(jit::cache_use().regions == before.regions);  // a dropped tier releases its regions
  jit::set_cache_limits(0, 0);
}
