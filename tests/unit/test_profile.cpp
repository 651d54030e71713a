// tests/unit/test_profile.cpp — the interpreter's profile (vm/cpu/interp.h "Profiling"):
// per-block run counts, indirect entries, page heat and hot pages, counted per block by
// the run loop; and the per-block instruction count, exact when a block ends in a fault,
// when the budget runs out part-way, and across slices; and the run loop's successor links
// (Block::link), which must never lead to a block that was dropped; and the profile's
// life after its process (BlockCache::retire, vm/linux/code_pool.h): kept blocks run in
// the next address space only where its pages hash the same.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "vm/base/counters.h"
#include "vm/cpu/cpu.h"
#include "vm/cpu/interp.h"
#include "vm/linux/code_pool.h"
#include "vm/mem/address_space.h"

using namespace gb;

namespace {

constexpr uint64_t kCode = 0x10000000, kStack = 0x20000000;

class NoHost : public CpuHost {
 public:
  void syscall(Cpu&) override {}
  uint64_t rdtsc() override { return 0; }
  void illegal_instruction(Cpu&, uint64_t, const uint8_t*, int) override {}
};

// A guest calling an empty function n times:
//   +0x00  mov $n,%ecx      b9 n32
//   +0x05  call f           e8 rel32      (f at +0x20)
//   +0x0a  dec %ecx         ff c9
//   +0x0c  jnz +0x05        75 f7
//   +0x0e  int3             cc            (ends the run with a trap)
//   +0x20  f: ret           c3
// Blocks: [+0 mov,call] once; [+0x20 ret] n times, entered directly (call rel32);
// [+0xa dec,jnz] n times, entered by the ret (indirect); [+5 call] n-1 times;
// [+0xe int3] once, faulting. Retired: 2 + n + 2n + (n-1) = 4n + 1 (int3 does not retire).
struct Loop {
  AddressSpace as;
  BlockCache bc;
  Counters counted;
  NoHost host;
  Cpu cpu;
  explicit Loop(uint32_t n) {
    bc.counters = &counted;
    as.set_code_watcher([this](uint64_t page) { bc.invalidate_page(page); });
    REQUIRE(as.map(kCode, PAGE, PROT_R | PROT_W | PROT_X, true, false, false, nullptr, 0, "code") == (int64_t)kCode);
    REQUIRE(as.map(kStack, PAGE, PROT_R | PROT_W, true, false, false, nullptr, 0, "stack") == (int64_t)kStack);
    std::vector<uint8_t> code(0x21, 0x90);
    const uint8_t head[] = {0xb9, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24),
                            0xe8, 0x16, 0, 0, 0,  // call +0x20 (rel = 0x20 - 0x0a)
                            0xff, 0xc9, 0x75, 0xf7, 0xcc};
    std::copy(head, head + sizeof head, code.begin());
    code[0x20] = 0xc3;
    as.write_bytes(kCode, code.data(), code.size());
    cpu.mem = &as;
    cpu.host = &host;
    cpu.rip = kCode;
    cpu.r[RSP] = kStack + PAGE;
  }
};

}  // namespace

TEST_CASE("profile: a loop run n times counts n block runs, its entries and its page's heat") {
  const uint32_t n = 100000;
  Loop g(n);
  const CpuException ex = run(g.cpu, g.bc, 1ull << 40);
  CHECK(ex.kind == CpuException::TRAP);
  CHECK(g.cpu.rip == kCode + 0xe);                 // at the int3, which did not retire
  CHECK(g.cpu.icount == 4ull * n + 1);
  CHECK(g.cpu.r[RCX] == 0);

  REQUIRE(g.bc.find(kCode + 0xa) != nullptr);
  CHECK(g.bc.find(kCode)->execs == 1);
  CHECK(g.bc.find(kCode + 0x5)->execs == n - 1);
  CHECK(g.bc.find(kCode + 0xa)->execs == n);
  CHECK(g.bc.find(kCode + 0xa)->indirect_entries == n);  // every entry is the ret's
  CHECK(g.bc.find(kCode + 0x20)->execs == n);
  CHECK(g.bc.find(kCode + 0x20)->indirect_entries == 0);  // entered by call rel32
  CHECK(g.bc.find(kCode + 0xe)->execs == 1);

  // Heat: every instruction of every block run (the faulting int3's block included).
  CHECK(g.bc.page_heat(kCode + 0x123) == 4ull * n + 2);
  CHECK(g.bc.page_heat(kStack) == 0);

  // The machine's counters, as --stats prints them.
  CHECK(g.counted.block_runs == 3ull * n + 1);
  CHECK(g.counted.indirect_entries == n);
  CHECK(g.counted.hot_pages == 1);  // 4n + 2 >= kHotHeat, crossed once
  CHECK(g.counted.blocks_decoded == 5);

  // What a JIT reads: hottest first, ties by address.
  const std::vector<HotEntry> hot = g.bc.hot_entries(n - 1);
  REQUIRE(hot.size() == 3);
  CHECK(hot[0].rip == kCode + 0xa);
  CHECK(hot[0].indirect_entries == n);
  CHECK(hot[1].rip == kCode + 0x20);
  CHECK(hot[2].rip == kCode + 0x5);
  CHECK(hot[2].execs == n - 1);
  CHECK(hot[0].page_heat == 4ull * n + 2);
  CHECK(g.bc.hot_entries(1).size() == 5);
}

TEST_CASE("profile: the instruction count is exact when a budget ends slices part-way") {
  // Small budgets stop between blocks; the sum over slices equals one long run's count.
  const uint32_t n = 1000;
  Loop g(n);
  uint64_t slices = 0;
  CpuException ex;
  do {
    const uint64_t before = g.cpu.icount;
    ex = run(g.cpu, g.bc, 3);
    CHECK(g.cpu.icount - before >= (ex.kind == CpuException::NONE ? 3u : 0u));
    slices++;
  } while (ex.kind == CpuException::NONE && slices < 100000);
  CHECK(ex.kind == CpuException::TRAP);
  CHECK(g.cpu.icount == 4ull * n + 1);
  CHECK(g.cpu.rip == kCode + 0xe);
  CHECK(g.bc.find(kCode + 0xa)->execs == n);
  CHECK(g.bc.find(kCode + 0xa)->indirect_entries <= n);  // a slice start is not an indirect entry
  CHECK(g.counted.block_runs == 3ull * n + 1);
}

TEST_CASE("profile: a fault in the middle of a block leaves rip at it and counts what retired") {
  AddressSpace as;
  BlockCache bc;
  Counters counted;
  bc.counters = &counted;
  NoHost host;
  Cpu cpu;
  REQUIRE(as.map(kCode, PAGE, PROT_R | PROT_X, true, false, false, nullptr, 0, "code") == (int64_t)kCode);
  // nop; nop; mov (%rax),%rbx (faults: rax = 0); nop; ret
  const uint8_t code[] = {0x90, 0x90, 0x48, 0x8b, 0x18, 0x90, 0xc3};
  REQUIRE(as.map(kStack, PAGE, PROT_R | PROT_W | PROT_X, true, false, false, nullptr, 0, "w") == (int64_t)kStack);
  as.write_bytes(kStack, code, sizeof code);
  cpu.mem = &as;
  cpu.host = &host;
  cpu.rip = kStack;
  const CpuException ex = run(cpu, bc, 1000);
  CHECK(ex.kind == CpuException::PAGE_FAULT);
  CHECK(ex.addr == 0);
  CHECK(cpu.rip == kStack + 2);
  CHECK(cpu.icount == 2);
  CHECK(counted.block_runs == 1);
  // A block whose first byte cannot be fetched: nothing runs, nothing is counted.
  cpu.rip = kStack + PAGE;
  CHECK(run(cpu, bc, 1000).kind == CpuException::PAGE_FAULT);
  CHECK(cpu.rip == kStack + PAGE);
  CHECK(cpu.icount == 2);
  CHECK(counted.block_runs == 1);
}

TEST_CASE("links: a block rewritten between runs is re-decoded, never reached through its old link") {
  // Run the loop once: [+0 mov,call] and [+5 call] link to f's block [+0x20 ret]. Then
  // the guest's memory at f changes to `inc %eax; ret` (a store the code watcher sees):
  // f's block is dropped and the cache's link epoch moves on, so the second run's calls
  // must reach the new f (rax counts its runs), not the freed block through the links.
  const uint32_t n = 1000;
  Loop g(n);
  CHECK(run(g.cpu, g.bc, 1ull << 40).kind == CpuException::TRAP);
  REQUIRE(g.bc.find(kCode + 0x5) != nullptr);
  const Block* f_old = g.bc.find(kCode + 0x20);
  CHECK(g.bc.find(kCode + 0x5)->link[1] == f_old);  // call -> f, followed n - 1 times
  const uint64_t epoch = g.bc.link_epoch;
  const uint8_t f_new[] = {0xff, 0xc0, 0xc3};
  for (int i = 0; i < 3; i++) g.as.write<uint8_t>(kCode + 0x20 + i, f_new[i]);
  CHECK(g.bc.link_epoch > epoch);
  CHECK(g.bc.find(kCode + 0x20) == nullptr);
  g.cpu.rip = kCode;
  g.cpu.r[RAX] = 0;
  g.cpu.r[RSP] = kStack + PAGE;
  CHECK(run(g.cpu, g.bc, 1ull << 40).kind == CpuException::TRAP);
  CHECK(g.cpu.r[RAX] == n);
  CHECK(g.bc.find(kCode + 0x20)->n == 2);
  CHECK(g.bc.find(kCode + 0x5)->link[1] == g.bc.find(kCode + 0x20));
}

TEST_CASE("reuse: a retired cache runs in the next address space only where its pages are the same") {
  // One BlockCache serves four address spaces in turn, as vm/linux/code_pool.h hands a
  // program's cache to its next process: the same code (every block reused, run counts
  // carried on), f changed to `inc %eax; ret` (its page rejected, decoded again: rax
  // counts the new f), and the same bytes without PROT_X (the fetch faults; nothing kept
  // runs).
  const uint32_t n = 1000;
  auto bc = std::make_unique<BlockCache>();
  Counters counted;
  bc->counters = &counted;
  auto serve = [&](Loop& g) { g.as.set_code_watcher([&](uint64_t page) { bc->invalidate_page(page); }); };
  {
    Loop g(n);
    serve(g);
    CHECK(run(g.cpu, *bc, 1ull << 40).kind == CpuException::TRAP);
    bc->retire(g.as);
  }
  const uint64_t decoded = counted.blocks_decoded;
  CHECK(decoded == 5);
  CHECK(bc->unverified_pages() == 1);
  CHECK(bc->find(kCode + 0x20) == nullptr);  // (hidden until its page is checked)
  {
    Loop g(n);
    serve(g);
    bc->adopt();
    CHECK(run(g.cpu, *bc, 1ull << 40).kind == CpuException::TRAP);
    CHECK(counted.blocks_decoded == decoded);  // nothing decoded again
    CHECK(counted.blocks_reused == 5);
    CHECK(counted.code_pages_reused == 1);
    CHECK(bc->find(kCode + 0x20)->execs == 2 * n);  // the profile goes on
    bc->retire(g.as);
  }
  {
    Loop g(n);
    serve(g);
    const uint8_t f_new[] = {0xff, 0xc0, 0xc3};
    g.as.write_bytes(kCode + 0x20, f_new, sizeof f_new);
    g.cpu.r[RAX] = 0;
    bc->adopt();
    CHECK(run(g.cpu, *bc, 1ull << 40).kind == CpuException::TRAP);
    CHECK(g.cpu.r[RAX] == n);
    CHECK(counted.code_pages_rejected == 1);
    CHECK(counted.blocks_decoded == decoded + 5);
    CHECK(bc->find(kCode + 0x20)->n == 2);
    bc->retire(g.as);
  }
  {
    Loop g(n);
    serve(g);
    const uint8_t f_new[] = {0xff, 0xc0, 0xc3};
    g.as.write_bytes(kCode + 0x20, f_new, sizeof f_new);
    REQUIRE(g.as.protect(kCode, PAGE, PROT_R) == 0);
    bc->adopt();
    const CpuException ex = run(g.cpu, *bc, 1ull << 40);
    CHECK(ex.kind == CpuException::PAGE_FAULT);
    CHECK(ex.addr == kCode);
    CHECK(g.cpu.icount == 0);
    CHECK(counted.code_pages_rejected == 2);
    CHECK(bc->live_blocks() == 0);
  }
}

TEST_CASE("code pool: one cache per program path, taken by the same identity only, within its bounds") {
  // A cache that ran the loop, retired into the pool under a key "path|identity".
  Counters counted;
  auto ran = [&](Loop& g) {
    auto bc = std::make_unique<BlockCache>();
    bc->counters = &counted;
    g.as.set_code_watcher([b = bc.get()](uint64_t page) { b->invalidate_page(page); });
    CHECK(run(g.cpu, *bc, 1ull << 40).kind == CpuException::TRAP);
    return bc;
  };
  CodePool pool;
  Loop g(10);
  pool.put("/bin/a|1", ran(g), g.as);
  CHECK(pool.size() == 1);
  CHECK(pool.take("/bin/a|2") == nullptr);  // another identity at the path: not this cache
  auto bc = pool.take("/bin/a|1");
  REQUIRE(bc != nullptr);
  CHECK(bc->live_blocks() == 5);
  CHECK(pool.size() == 0);
  pool.put("/bin/a|1", std::move(bc), g.as);
  pool.put("/bin/a|2", ran(g), g.as);  // rebuilt at the same path: the old one goes
  CHECK(pool.size() == 1);
  CHECK(pool.take("/bin/a|1") == nullptr);
  for (int i = 0; i < (int)CodePool::kMaxCaches + 3; i++) pool.put("/bin/p" + std::to_string(i) + "|1", ran(g), g.as);
  CHECK(pool.size() == CodePool::kMaxCaches);
  CHECK(counted.code_caches_dropped == 4);  // /bin/a|2 and the three oldest
  CHECK(pool.take("/bin/p0|1") == nullptr);
  CHECK(pool.take("/bin/p3|1") != nullptr);
  pool.enabled = false;
  pool.put("/bin/q|1", ran(g), g.as);
  CHECK(pool.take("/bin/q|1") == nullptr);
}

// vm/cpu/block_map.h against std::unordered_map: random inserts and removals whose starts
// crowd a few home slots (page-aligned and nearby addresses), so runs wrap and the
// backward shift of a removal is exercised, and a quarter of them 4-12 GiB higher (the
// same low 32 bits, which is all a slot keeps of a start); every start is then found or
// not as the reference says, and iteration visits each live block once.
TEST_CASE("block map: open addressing agrees with a reference map through inserts, removals and growth") {
  BlockMap m;
  std::unordered_map<uint64_t, Block*> ref;
  uint64_t x = 12345;
  auto rnd = [&] { x = x * 6364136223846793005ull + 1442695040888963407ull; return x >> 33; };
  for (int step = 0; step < 200000; step++) {
    uint64_t start = 0x400000 + (rnd() % 4096) * ((step & 1) ? 4096 : 3);
    if (rnd() % 4 == 0) start += (1 + rnd() % 3) << 32;
    if (rnd() % 3 != 0) {
      if (ref.count(start)) continue;
      auto b = Block::make(nullptr, 0);
      b->start = start;
      ref[start] = b.get();
      m.insert(start, std::move(b));
    } else {
      std::unique_ptr<Block> b = m.take(start);
      auto it = ref.find(start);
      REQUIRE((b != nullptr) == (it != ref.end()));
      if (b) {
        CHECK(b.get() == it->second);
        ref.erase(it);
      }
    }
    if (step % 20000 == 0) {
      for (auto& [s, b] : ref) REQUIRE(m.find(s) == b);
      size_t n = 0;
      m.for_each([&](uint64_t s, const Block& b) { n++; CHECK(ref.at(s) == &b); });
      CHECK(n == ref.size());
    }
  }
  CHECK(m.size() == ref.size());
  for (auto& [s, b] : ref) CHECK(m.find(s) == b);
  CHECK(m.find(0x1234567) == nullptr);
  std::vector<std::unique_ptr<Block>> out;
  m.clear_into(&out);
  CHECK(out.size() == ref.size());
  CHECK(m.size() == 0);
  CHECK(m.find(ref.empty() ? 0 : ref.begin()->first) == nullptr);
}
