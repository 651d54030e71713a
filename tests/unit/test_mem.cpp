// tests/unit/test_mem.cpp — the guest address space (vm/mem/address_space.h):
// map/unmap/protect/remap/brk, demand paging, copy-on-write, TLB invalidation, fault
// addresses, cross-page accesses and code-page write detection (the code watcher, and
// end to end: self-modifying code re-decoded by the interpreter).
#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/interp.h"
#include "vm/mem/address_space.h"

using namespace gb;

namespace {

constexpr uint64_t A = 0x10000000;  // a convenient fixed address
constexpr uint32_t RW = PROT_R | PROT_W;
constexpr uint32_t RWX = PROT_R | PROT_W | PROT_X;

int64_t map_fixed(AddressSpace& as, uint64_t addr, uint64_t len, uint32_t prot, bool noreplace = false) {
  return as.map(addr, len, prot, true, noreplace, false, nullptr, 0, "test");
}

// Runs f and returns the GuestFault it throws (fails the test if it does not throw).
template <class F> GuestFault fault_of(F f) {
  try {
    f();
  } catch (const GuestFault& g) {
    return g;
  }
  FAIL("no GuestFault thrown");
  return GuestFault{~0ull, false, false};
}

class MemFile : public FileBacking {
 public:
  std::vector<uint8_t> data;
  int64_t read_page(uint64_t off, uint8_t* dst, SharedPageCache&) override {
    if (off >= data.size()) return 0;
    const uint64_t n = std::min<uint64_t>(PAGE, data.size() - off);
    memcpy(dst, data.data() + off, n);
    return (int64_t)n;
  }
  std::string name() const override { return "memfile"; }
};

}  // namespace

TEST_CASE("mem: map arguments and errors") {
  AddressSpace as;
  CHECK(map_fixed(as, A, 0, RW) == -LX_EINVAL);
  CHECK(map_fixed(as, A + 1, PAGE, RW) == -LX_EINVAL);
  CHECK(map_fixed(as, A, 100, RW) == (int64_t)A);  // length rounded up to a page
  REQUIRE(as.vma_at(A) != nullptr);
  CHECK(as.vma_at(A)->end == A + PAGE);
  CHECK(as.vma_at(A + PAGE) == nullptr);
  CHECK(map_fixed(as, A, PAGE, RW, true) == -LX_EEXIST);          // MAP_FIXED_NOREPLACE
  CHECK(map_fixed(as, A + PAGE, PAGE, RW, true) == (int64_t)(A + PAGE));
  CHECK(map_fixed(as, (1ull << 47) - PAGE, 2 * PAGE, RW) == -LX_ENOMEM);  // past the user range

  // Non-fixed: top-down below mmap_base, never overlapping.
  const int64_t a = as.map(0, 3 * PAGE, RW, false, false, false, nullptr, 0, "anon");
  const int64_t b = as.map(0, PAGE, RW, false, false, false, nullptr, 0, "anon");
  REQUIRE(a > 0);
  REQUIRE(b > 0);
  CHECK((uint64_t)a + 3 * PAGE <= as.mmap_base);
  CHECK(((uint64_t)b + PAGE <= (uint64_t)a || (uint64_t)b >= (uint64_t)a + 3 * PAGE));
  CHECK((a & (PAGE - 1)) == 0);
  // A free, aligned hint is honoured.
  const int64_t h = as.map(0x20000000, PAGE, RW, false, false, false, nullptr, 0, "hint");
  CHECK(h == 0x20000000);
}

TEST_CASE("mem: demand paging and zero fill") {
  AddressSpace as;
  REQUIRE(map_fixed(as, A, 1ull << 30, PROT_R | PROT_W) == (int64_t)A);  // 1 GiB costs nothing
  CHECK(as.resident_pages() == 0);
  CHECK(as.read<uint64_t>(A + 12345 * 8) == 0);
  CHECK(as.resident_pages() == 1);
  as.write<uint32_t>(A + (1ull << 30) - 4, 0xdeadbeef);
  CHECK(as.read<uint32_t>(A + (1ull << 30) - 4) == 0xdeadbeef);
  CHECK(as.resident_pages() == 2);
  // PROT_NONE reservations never allocate.
  REQUIRE(map_fixed(as, A + (2ull << 30), 1ull << 30, 0) > 0);
  CHECK(as.resident_pages() == 2);
}

TEST_CASE("mem: faults carry the right address and kind") {
  AddressSpace as;
  REQUIRE(map_fixed(as, A, PAGE, PROT_R) > 0);
  REQUIRE(map_fixed(as, A + 2 * PAGE, PAGE, 0) > 0);  // PROT_NONE, with a hole before it

  GuestFault f = fault_of([&] { as.read<uint32_t>(A + PAGE + 0x123); });  // the hole
  CHECK(f.addr == A + PAGE + 0x123);
  CHECK(!f.mapped);
  CHECK(!f.write);

  f = fault_of([&] { as.write<uint16_t>(A + 0x10, 1); });  // read-only
  CHECK(f.addr == A + 0x10);
  CHECK(f.mapped);
  CHECK(f.write);

  f = fault_of([&] { as.read<uint8_t>(A + 2 * PAGE + 7); });  // PROT_NONE
  CHECK(f.addr == A + 2 * PAGE + 7);
  CHECK(f.mapped);

  f = fault_of([&] { as.read<uint64_t>(0); });  // null
  CHECK(f.addr == 0);
  CHECK(!f.mapped);

  // Fetch needs PROT_X.
  uint8_t b[4];
  f = fault_of([&] { as.fetch_bytes(A + 0x40, b, 4); });
  CHECK(f.addr == A + 0x40);
  CHECK(f.mapped);

  // Syscall-style copies report failure instead of throwing.
  CHECK(!as.copy_in(b, A + PAGE, 4));
  CHECK(!as.copy_out(A, b, 4));
  CHECK(as.copy_in(b, A, 4));
  CHECK(as.host_read_ptr(A + PAGE) == nullptr);
  CHECK(as.host_read_ptr(A + 5) != nullptr);
  CHECK(as.host_write_ptr(A + 5) == nullptr);
}

TEST_CASE("mem: cross-page accesses") {
  AddressSpace as;
  REQUIRE(map_fixed(as, A, 2 * PAGE, RW) > 0);
  const uint64_t x = A + PAGE - 3;
  as.write<uint64_t>(x, 0x1122334455667788ull);
  CHECK(as.read<uint64_t>(x) == 0x1122334455667788ull);
  CHECK(as.read<uint8_t>(A + PAGE - 1) == 0x66);
  CHECK(as.read<uint8_t>(A + PAGE) == 0x55);
  CHECK(as.read<uint32_t>(A + PAGE - 2) == 0x44556677u);

  std::vector<uint8_t> big(3 * PAGE / 2), back(big.size());
  for (size_t k = 0; k < big.size(); k++) big[k] = (uint8_t)(k * 7 + 1);
  as.write_bytes(A + 100, big.data(), big.size());
  as.read_bytes(A + 100, back.data(), back.size());
  CHECK(big == back);

  // A write whose second half hits a read-only page faults at that page and writes nothing.
  REQUIRE(as.protect(A + PAGE, PAGE, PROT_R) == 0);
  as.write<uint64_t>(A + PAGE - 8, 0);
  GuestFault f = fault_of([&] { as.write<uint64_t>(A + PAGE - 4, ~0ull); });
  CHECK(f.addr == A + PAGE);
  CHECK(f.write);
  CHECK(as.read<uint64_t>(A + PAGE - 8) == 0);  // first half untouched
  // Likewise a read whose second half is unmapped.
  REQUIRE(as.unmap(A + PAGE, PAGE) == 0);
  f = fault_of([&] { as.read<uint64_t>(A + PAGE - 2); });
  CHECK(f.addr == A + PAGE);
  CHECK(!f.mapped);

  // C strings across pages.
  REQUIRE(map_fixed(as, A + PAGE, PAGE, RW) > 0);
  const char* s = "hello, page boundary";
  as.write_bytes(A + PAGE - 5, s, strlen(s) + 1);
  std::string out;
  CHECK(as.read_cstr(A + PAGE - 5, out));
  CHECK(out == s);
  // Unterminated at the end of the mapping.
  std::vector<uint8_t> ones(PAGE, 'x');
  as.write_bytes(A + PAGE, ones.data(), PAGE);
  CHECK(!as.read_cstr(A + PAGE + 10, out));
}

TEST_CASE("mem: protect, unmap and the TLB") {
  AddressSpace as;
  REQUIRE(map_fixed(as, A, 4 * PAGE, RW) > 0);
  as.write<uint32_t>(A + PAGE + 8, 42);  // TLB now holds a write entry for that page
  CHECK(as.read<uint32_t>(A + PAGE + 8) == 42);

  REQUIRE(as.protect(A + PAGE, PAGE, PROT_R) == 0);
  CHECK(as.read<uint32_t>(A + PAGE + 8) == 42);
  GuestFault f = fault_of([&] { as.write<uint32_t>(A + PAGE + 8, 1); });
  CHECK(f.mapped);
  CHECK(f.addr == A + PAGE + 8);
  // The VMA was split in three.
  CHECK(as.vma_at(A)->end == A + PAGE);
  CHECK(as.vma_at(A + PAGE)->start == A + PAGE);
  CHECK(as.vma_at(A + PAGE)->end == A + 2 * PAGE);
  CHECK(as.vma_at(A + PAGE)->prot == PROT_R);
  CHECK(as.vma_at(A + 2 * PAGE)->prot == RW);

  REQUIRE(as.protect(A + PAGE, PAGE, 0) == 0);
  f = fault_of([&] { as.read<uint32_t>(A + PAGE + 8); });
  CHECK(f.mapped);

  REQUIRE(as.protect(A + PAGE, PAGE, RW) == 0);
  CHECK(as.read<uint32_t>(A + PAGE + 8) == 42);  // contents survive protection changes
  as.write<uint32_t>(A + PAGE + 8, 43);
  CHECK(as.read<uint32_t>(A + PAGE + 8) == 43);

  // protect over a hole fails.
  CHECK(as.protect(A + 3 * PAGE, 2 * PAGE, PROT_R) == -LX_ENOMEM);

  // unmap drops the TLB entries: the next read faults.
  REQUIRE(as.unmap(A + PAGE, PAGE) == 0);
  f = fault_of([&] { as.read<uint32_t>(A + PAGE + 8); });
  CHECK(!f.mapped);
  CHECK(as.read<uint32_t>(A) == 0);  // neighbours untouched
  // Re-mapping gives fresh zero pages.
  REQUIRE(map_fixed(as, A + PAGE, PAGE, RW) > 0);
  CHECK(as.read<uint32_t>(A + PAGE + 8) == 0);

  // Two pages that share a TLB slot (same index, different tag) stay distinct.
  const uint64_t alias = A + (uint64_t)AddressSpace::TLB_SIZE * PAGE;
  REQUIRE(map_fixed(as, alias, PAGE, RW) > 0);
  as.write<uint32_t>(A + 16, 1);
  as.write<uint32_t>(alias + 16, 2);
  CHECK(as.read<uint32_t>(A + 16) == 1);
  CHECK(as.read<uint32_t>(alias + 16) == 2);

  // MAP_FIXED over a live mapping replaces it with zero pages.
  as.write<uint32_t>(A + 2 * PAGE, 77);
  REQUIRE(map_fixed(as, A + 2 * PAGE, PAGE, RW) > 0);
  CHECK(as.read<uint32_t>(A + 2 * PAGE) == 0);

  // flush_tlb keeps contents.
  as.write<uint32_t>(A + 2 * PAGE, 78);
  as.flush_tlb();
  CHECK(as.read<uint32_t>(A + 2 * PAGE) == 78);

  // madvise(DONTNEED) on private anonymous memory gives zero pages back.
  REQUIRE(as.advise_dontneed(A + 2 * PAGE, PAGE) == 0);
  CHECK(as.read<uint32_t>(A + 2 * PAGE) == 0);
}

TEST_CASE("mem: mremap") {
  AddressSpace as;
  REQUIRE(map_fixed(as, A, 2 * PAGE, RW) > 0);
  as.write<uint64_t>(A + 8, 0x1234);
  as.write<uint64_t>(A + PAGE + 8, 0x5678);

  // Grow in place when the space after it is free.
  CHECK(as.remap(A, 2 * PAGE, 4 * PAGE, false, false, 0) == (int64_t)A);
  CHECK(as.vma_at(A + 3 * PAGE) != nullptr);
  CHECK(as.read<uint64_t>(A + 3 * PAGE) == 0);
  CHECK(as.read<uint64_t>(A + PAGE + 8) == 0x5678);

  // Blocked growth without MREMAP_MAYMOVE fails; with it the mapping moves.
  REQUIRE(map_fixed(as, A + 4 * PAGE, PAGE, RW) > 0);
  CHECK(as.remap(A, 4 * PAGE, 8 * PAGE, false, false, 0) == -LX_ENOMEM);
  const int64_t moved = as.remap(A, 4 * PAGE, 8 * PAGE, true, false, 0);
  REQUIRE(moved > 0);
  CHECK(moved != (int64_t)A);
  CHECK(as.read<uint64_t>(moved + 8) == 0x1234);
  CHECK(as.read<uint64_t>(moved + PAGE + 8) == 0x5678);
  CHECK(as.vma_at(moved + 7 * PAGE) != nullptr);
  GuestFault f = fault_of([&] { as.read<uint64_t>(A + 8); });  // the old range is gone
  CHECK(!f.mapped);

  // Shrink in place.
  CHECK(as.remap(moved, 8 * PAGE, PAGE, false, false, 0) == moved);
  CHECK(as.vma_at(moved + PAGE) == nullptr);
  CHECK(as.read<uint64_t>(moved + 8) == 0x1234);

  // MREMAP_FIXED to a chosen address.
  const uint64_t to = 0x30000000;
  CHECK(as.remap(moved, PAGE, PAGE, true, true, to) == (int64_t)to);
  CHECK(as.read<uint64_t>(to + 8) == 0x1234);
  CHECK(as.vma_at(moved) == nullptr);

  // Remapping something that is not mapped fails.
  CHECK(as.remap(0x50000000, PAGE, 2 * PAGE, true, false, 0) < 0);
}

TEST_CASE("mem: brk") {
  AddressSpace as;
  // The end of a loaded image, unaligned: the partial page belongs to the image's own
  // mapping, the heap VMA starts at the next page boundary.
  as.brk_start = as.brk_cur = 0x600000 + 0x123;
  CHECK(as.set_brk(0) == (int64_t)as.brk_cur);     // query
  CHECK(as.set_brk(0x100) == (int64_t)as.brk_cur); // below the start: refused
  const uint64_t top = as.brk_start + 3 * PAGE + 5;
  CHECK(as.set_brk(top) == (int64_t)top);
  as.write<uint64_t>(top - 8, 99);  // the whole new range is usable
  CHECK(as.read<uint64_t>(page_up(as.brk_start)) == 0);
  CHECK(as.read<uint64_t>(top - 8) == 99);
  REQUIRE(as.vma_at(top - 1) != nullptr);
  CHECK(as.vma_at(top - 1)->heap);
  // Shrink: pages beyond the new break go away, and growing again gives zeroes.
  const uint64_t low = page_up(as.brk_start) + 8;
  CHECK(as.set_brk(low) == (int64_t)low);
  GuestFault f = fault_of([&] { as.read<uint64_t>(top - 8); });
  CHECK(!f.mapped);
  CHECK(as.set_brk(top) == (int64_t)top);
  CHECK(as.read<uint64_t>(top - 8) == 0);
  // Growth into an existing mapping is refused (the break stays).
  REQUIRE(map_fixed(as, page_up(top) + PAGE, PAGE, RW) > 0);
  CHECK(as.set_brk(page_up(top) + 4 * PAGE) == (int64_t)top);
}

TEST_CASE("mem: copy-on-write clone") {
  auto phys = std::make_shared<PhysMem>();
  {
    AddressSpace parent(phys);
    REQUIRE(map_fixed(parent, A, 2 * PAGE, RW) > 0);
    parent.write<uint64_t>(A, 1);
    parent.write<uint64_t>(A + PAGE, 2);
    const uint64_t used = phys->frames.in_use();

    std::unique_ptr<AddressSpace> child = parent.clone_cow();
    CHECK(phys->frames.in_use() == used);  // nothing copied yet
    CHECK(child->read<uint64_t>(A) == 1);
    CHECK(child->read<uint64_t>(A + PAGE) == 2);

    parent.write<uint64_t>(A, 10);  // the parent's write breaks sharing for that page only
    CHECK(phys->frames.in_use() == used + 1);
    CHECK(child->read<uint64_t>(A) == 1);
    CHECK(parent.read<uint64_t>(A) == 10);

    child->write<uint64_t>(A + PAGE, 20);
    CHECK(parent.read<uint64_t>(A + PAGE) == 2);
    CHECK(child->read<uint64_t>(A + PAGE) == 20);

    // Pages the parent never touched are demand-allocated independently.
    REQUIRE(map_fixed(parent, A + 4 * PAGE, PAGE, RW) > 0);
    CHECK(child->vma_at(A + 4 * PAGE) == nullptr);

    // A grandchild shares with the child; the child's unmap does not disturb it.
    std::unique_ptr<AddressSpace> grand = child->clone_cow();
    REQUIRE(child->unmap(A, 2 * PAGE) == 0);
    CHECK(grand->read<uint64_t>(A) == 1);
    CHECK(grand->read<uint64_t>(A + PAGE) == 20);
    grand->write<uint64_t>(A, 5);
    CHECK(parent.read<uint64_t>(A) == 10);
    // The TLB of the parent was filled before the clone: it must not write into shared frames.
    std::unique_ptr<AddressSpace> c2 = parent.clone_cow();
    parent.write<uint64_t>(A + 8, 123);
    CHECK(c2->read<uint64_t>(A + 8) == 0);
  }
  CHECK(phys->frames.in_use() == 0);  // every frame returned
}

TEST_CASE("mem: file-backed private mappings") {
  AddressSpace as;
  auto file = std::make_shared<MemFile>();
  file->data.resize(PAGE + 100);
  for (size_t k = 0; k < file->data.size(); k++) file->data[k] = (uint8_t)(k % 251);
  REQUIRE(as.map(A, 3 * PAGE, PROT_R | PROT_W, true, false, false, file, 0, "memfile") > 0);
  CHECK(as.read<uint8_t>(A + 10) == 10);
  CHECK(as.read<uint8_t>(A + PAGE + 99) == (uint8_t)((PAGE + 99) % 251));
  CHECK(as.read<uint8_t>(A + PAGE + 100) == 0);  // past EOF within the last page: zero
  GuestFault f = fault_of([&] { as.read<uint8_t>(A + 2 * PAGE + 1); });  // whole page past EOF
  CHECK(f.bus);
  // Private: writes do not reach the file.
  as.write<uint8_t>(A + 10, 0xff);
  CHECK(file->data[10] == 10);
  // An offset mapping starts at that file offset; splitting keeps offsets right.
  REQUIRE(as.map(A + 8 * PAGE, PAGE, PROT_R, true, false, false, file, PAGE, "memfile") > 0);
  CHECK(as.read<uint8_t>(A + 8 * PAGE) == (uint8_t)(PAGE % 251));
  REQUIRE(as.protect(A + PAGE, PAGE, PROT_R) == 0);  // split [A, A+3P) into three
  CHECK(as.vma_at(A + PAGE)->file_off == PAGE);
}

TEST_CASE("mem: code watcher sees writes to pages holding code") {
  AddressSpace as;
  std::vector<uint64_t> seen;
  as.set_code_watcher([&](uint64_t page) { seen.push_back(page); });
  REQUIRE(map_fixed(as, A, 3 * PAGE, RWX) > 0);
  as.write<uint32_t>(A + PAGE + 4, 0x90909090);  // fills a TLB write entry
  CHECK(seen.empty());
  uint8_t b[4];
  as.fetch_bytes(A + PAGE + 4, b, 4);  // the page now holds code
  CHECK(b[0] == 0x90);
  as.write<uint8_t>(A + PAGE + 100, 1);  // must take the slow path despite the old TLB entry
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == A + PAGE);
  as.write<uint8_t>(A + PAGE + 101, 1);  // the code mark is gone until the next fetch
  CHECK(seen.size() == 1);
  as.write<uint8_t>(A + 2 * PAGE, 1);  // other pages never notify
  CHECK(seen.size() == 1);

  // write_bytes across two code pages notifies both.
  as.fetch_bytes(A + PAGE, b, 4);
  as.fetch_bytes(A + 2 * PAGE, b, 4);
  seen.clear();
  uint8_t z[8] = {};
  as.write_bytes(A + 2 * PAGE - 4, z, 8);
  CHECK(seen.size() == 2);

  // Unmapping or remapping a code page notifies too.
  as.fetch_bytes(A, b, 4);
  seen.clear();
  REQUIRE(as.unmap(A, PAGE) == 0);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == A);

  // host_write_ptr (syscalls writing guest memory, e.g. read(2) into a code page).
  as.fetch_bytes(A + PAGE, b, 4);
  seen.clear();
  CHECK(as.host_write_ptr(A + PAGE + 8) != nullptr);
  CHECK(seen.size() == 1);
}

namespace {
class StopHost : public CpuHost {
 public:
  int illegal = 0;
  void syscall(Cpu& c) override {}
  uint64_t rdtsc() override { return 0; }
  void illegal_instruction(Cpu& c, uint64_t, const uint8_t*, int) override { illegal++; }
};
}  // namespace

TEST_CASE("mem: self-modifying code is re-decoded by the interpreter") {
  AddressSpace as;
  BlockCache bc;
  Counters counted;
  bc.counters = &counted;
  as.set_code_watcher([&](uint64_t page) { bc.invalidate_page(page); });
  REQUIRE(map_fixed(as, A, PAGE, RWX) > 0);
  // mov $1,%eax ; jmp .   (b8 01 00 00 00 eb fe)
  const uint8_t code1[] = {0xb8, 0x01, 0, 0, 0, 0xeb, 0xfe};
  as.write_bytes(A, code1, sizeof code1);
  Cpu cpu;
  StopHost host;
  cpu.mem = &as;
  cpu.host = &host;
  cpu.rip = A;
  CHECK(run(cpu, bc, 2).kind == CpuException::NONE);
  CHECK(cpu.r[RAX] == 1);
  // The guest patches the immediate (as a JIT or the dynamic linker would).
  as.write<uint8_t>(A + 1, 2);
  CHECK(counted.block_invalidations >= 1);
  cpu.rip = A;
  CHECK(run(cpu, bc, 2).kind == CpuException::NONE);
  CHECK(cpu.r[RAX] == 2);
  // A store executed by the guest itself into its own block: movb $3,1(%rip)-ish.
  // lea 0(%rip),%rbx at A+0x100 ; movb $3, -6(%rbx) would be long; use an absolute store:
  //   mov $A+1, %ebx (bb imm32) ; movb $3,(%rbx) (c6 03 03) ; jmp back to A (e9 rel32)
  std::vector<uint8_t> p = {0xbb};
  for (int k = 0; k < 4; k++) p.push_back((uint8_t)((A + 1) >> (8 * k)));
  p.insert(p.end(), {0xc6, 0x03, 0x03});
  const int32_t rel = (int32_t)(A - (A + 0x100 + p.size() + 5));
  p.push_back(0xe9);
  for (int k = 0; k < 4; k++) p.push_back((uint8_t)((uint32_t)rel >> (8 * k)));
  as.write_bytes(A + 0x100, p.data(), p.size());
  cpu.rip = A + 0x100;
  CHECK(run(cpu, bc, 5).kind == CpuException::NONE);
  CHECK(cpu.r[RAX] == 3);

  // A fault in the guest reports the data address and leaves rip at the instruction.
  const uint8_t bad[] = {0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00};  // mov 0x1000,%eax
  as.write_bytes(A + 0x200, bad, sizeof bad);
  cpu.rip = A + 0x200;
  const CpuException ex = run(cpu, bc, 1);
  CHECK(ex.kind == CpuException::PAGE_FAULT);
  CHECK(ex.addr == 0x1000);
  CHECK(!ex.mapped);
  CHECK(cpu.rip == A + 0x200);
}
