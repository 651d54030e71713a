// tests/unit/test_special.cpp — the form-specialised handlers (vm/cpu/special.h,
// ops_special.cpp, ops_fast.h) against the generic handler of their row: for every covered form
// (ALU reg/reg, reg/mem, reg/imm, cmp mem; mov; lea; push/pop; the 16 jcc), each
// encoding runs from many random states through both, and registers, rip, every
// arithmetic flag and the touched memory must agree. Also: the picker leaves the
// forms it does not cover (16-bit, adc/sbb, read-modify-write memory) to the generic handler.
// And the run loop's inline dispatch (vm/cpu/ops_fast.h, fast::step on Insn::fast): every
// covered form, and the generic handlers it calls directly, give what Insn::fn gives.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/decode.h"
#include "vm/cpu/exec.h"
#include "vm/cpu/ops_fast.h"
#include "vm/cpu/optable.h"
#include "vm/mem/address_space.h"

using namespace gb;

namespace {

constexpr uint64_t kCode = 0x400000, kData = 0x600000;

std::vector<uint8_t> hexbytes(const char* s) {
  std::vector<uint8_t> b;
  for (const char* p = s; *p;) {
    while (*p == ' ') p++;
    if (!*p) break;
    b.push_back((uint8_t)std::stoi(std::string(p, 2), nullptr, 16));
    p += 2;
  }
  return b;
}

struct Machine {
  AddressSpace as;
  Machine() {
    REQUIRE(as.map(kCode, PAGE, PROT_R | PROT_W | PROT_X, true, false, false, nullptr, 0, "code") == (int64_t)kCode);
    REQUIRE(as.map(kData, 2 * PAGE, PROT_R | PROT_W, true, false, false, nullptr, 0, "data") == (int64_t)kData);
  }
};

// Runs `fn` on a copy of `start` with the data pages set to `mem`; returns the state.
struct After {
  Cpu cpu;
  std::vector<uint8_t> mem;
  uint64_t flags;
};
After run_one(Machine& m, const Cpu& start, const std::vector<uint8_t>& mem, Handler fn, const Insn& in) {
  m.as.write_bytes(kData, mem.data(), mem.size());
  After a{start, {}, 0};
  a.cpu.mem = &m.as;
  fn(a.cpu, in);
  a.mem.resize(mem.size());
  m.as.read_bytes(kData, a.mem.data(), a.mem.size());
  a.flags = a.cpu.get_rflags();
  return a;
}

// The instruction of `hex` (e.g. "48 01 d8"), written at kCode and decoded there.
Insn decode_hex(Machine& m, const char* hex, size_t* len = nullptr) {
  const std::vector<uint8_t> bytes = hexbytes(hex);
  m.as.write_bytes(kCode, bytes.data(), bytes.size());
  Insn in;
  decode(m.as, kCode, in);
  if (len) *len = bytes.size();
  return in;
}

// The run loop's way of running an instruction, as a Handler.
void step_handler(Cpu& c, const Insn& i) { fast::step(c, i); }

// Random registers (edge values too), addressing registers into the data pages, flags
// lazy or materialised, random memory.
Cpu random_start(std::mt19937_64& rng, const Insn& in, std::vector<uint8_t>& mem) {
  Cpu start;
  for (int r = 0; r < 16; r++) {
    const uint64_t v = rng();
    // Small, edge and sign-boundary values as well as random ones.
    switch (rng() % 6) {
      case 0: start.r[r] = v & 0xff; break;
      case 1: start.r[r] = (v & 1) ? 0x7fffffffull : 0x80000000ull; break;
      case 2: start.r[r] = (v & 1) ? 0x8000000000000000ull : ~0ull; break;
      case 3: start.r[r] = 0; break;
      default: start.r[r] = v; break;
    }
  }
  // Addressing registers point into the data pages: rbx base, rcx index, r11 (r8 + rbx index), rsp stack.
  start.r[RBX] = kData + 0x100 + (rng() % 0x100);
  start.r[RCX] = rng() % 32;
  start.r[RSP] = kData + 0x800 + 8 * (rng() % 16);
  start.r[R8] = rng() % 64;
  // Flags state before: lazy from some operation, or materialised.
  if (rng() & 1) start.set_lazy((CcOp)(1 + rng() % 7), 1 << (rng() % 4), rng(), rng(), rng());
  else start.set_rflags(rng());
  start.cc.cin = rng() & 1;
  start.rip = kCode + in.len;
  mem.assign(2 * PAGE, 0);
  for (auto& b : mem) b = (uint8_t)rng();
  return start;
}

void check_same(const After& g, const After& s) {
  bool same_regs = true;
  for (int r = 0; r < 16; r++) same_regs = same_regs && g.cpu.r[r] == s.cpu.r[r];
  CHECK(same_regs);
  CHECK(g.cpu.rip == s.cpu.rip);
  CHECK(g.flags == s.flags);
  CHECK(g.mem == s.mem);
  CHECK(memcmp(g.cpu.xmm, s.cpu.xmm, sizeof g.cpu.xmm) == 0);
}

}  // namespace

TEST_CASE("special: specialised handlers match their row's generic handler") {
  const char* encodings[] = {
      // ALU r/m, reg (register form) and reg, r/m, at 32 and 64 bits
      "48 01 d8", "01 d8", "48 09 d8", "09 d8", "48 21 d8", "21 d8", "48 29 d8", "29 d8", "48 31 c0", "31 d8",
      "48 39 c3", "39 c3", "4d 01 c8", "45 29 c8", "48 03 c3", "03 c3", "48 2b c3", "48 33 c3", "48 3b c3", "3b c3",
      "48 0b c3", "23 c3",
      // reg, [mem]; cmp [mem], reg
      "48 03 03", "03 43 08", "48 2b 03", "48 23 03", "0b 03", "33 03", "48 3b 03", "3b 44 8b 04", "48 39 03", "39 43 10",
      // group 1 with immediates, register and cmp-memory forms
      "48 83 c0 05", "83 e8 01", "48 83 e0 f0", "83 c8 80", "48 83 f0 7f", "48 83 f9 00", "83 f9 ff", "48 81 f9 00 00 00 80",
      "81 c1 78 56 34 12", "48 81 e1 ff 00 00 00", "48 83 3b 00", "83 3b 7f", "48 81 7b 08 ff ff ff 7f",
      // test
      "85 c0", "48 85 c0", "48 85 d9", "45 85 c9",
      // mov
      "48 89 d8", "89 d8", "48 89 03", "89 03", "48 89 44 8b 08", "48 8b 03", "8b 03", "48 8b c3", "8b c3", "4c 8b 43 10",
      // lea
      "48 8d 43 08", "8d 43 f8", "48 8d 04 cb", "8d 44 8b 10", "4a 8d 04 03",
      // immediates, widening loads, byte compare and store
      "c6 03 7f", "c6 44 8b 02 80", "48 c7 c0 ff ff ff ff", "c7 c1 78 56 34 12", "48 c7 03 00 00 00 80", "c7 43 04 01 00 00 00",
      "48 b8 88 77 66 55 44 33 22 11", "b9 ff ff ff ff", "41 b8 00 00 00 80", "80 3b 00", "80 7c 8b 01 80", "80 3b ff",
      "0f b6 03", "48 0f b6 43 01", "0f b7 03", "48 0f b7 44 8b 02", "48 63 c3", "48 63 03", "4c 63 44 8b 04",
      // push / pop
      "50", "41 57", "54", "58", "5c", "41 5f",
      // jcc, short and near, every condition
      "70 05", "71 05", "72 05", "73 05", "74 05", "75 05", "76 05", "77 05", "78 05", "79 05", "7a 05", "7b 05",
      "7c 05", "7d 05", "7e 05", "7f fe", "0f 84 00 01 00 00", "0f 8f 00 ff ff ff", "0f 82 10 00 00 00",
      "66 74 05",  // (jcc's operand size is forced to 64: 66 changes nothing)
  };
  std::mt19937_64 rng(20261203);
  Machine m;
  int specialised = 0;
  for (const char* e : encodings) {
    size_t len = 0;
    const Insn in = decode_hex(m, e, &len);
    const std::string ctx = std::string("bytes: ") + e + " (" + insn_text(in) + ")";
    INFO(ctx);
    REQUIRE(in.row != 0xffff);
    REQUIRE(in.len == len);
    const Handler generic = op_table()[in.row].fn;
    if (in.fn != generic) specialised++;
    CHECK(in.fast != 0);  // (every covered form also runs inline in the run loop)
    for (int trial = 0; trial < 300; trial++) {
      std::vector<uint8_t> mem;
      const Cpu start = random_start(rng, in, mem);
      const After g = run_one(m, start, mem, generic, in);
      check_same(g, run_one(m, start, mem, in.fn, in));
      check_same(g, run_one(m, start, mem, &step_handler, in));
    }
  }
  CHECK(specialised >= 95);  // nearly every encoding above has a specialised form
}

TEST_CASE("special: forms without a specialisation keep the generic handler") {
  Machine m;
  const char* generic_forms[] = {
      "66 01 d8",     // 16-bit add
      "48 11 d8",     // adc
      "48 01 03",     // add [mem], reg (read-modify-write)
      "48 83 d0 01",  // adc rax, 1 (group 1 /2)
      "48 83 03 01",  // add qword [rbx], 1
      "48 8d 05 00 00 00 00",  // lea rip-relative
      "67 8d 03",     // lea with a 32-bit address
      "66 50",        // push ax
  };
  for (const char* e : generic_forms) {
    const Insn in = decode_hex(m, e);
    const std::string ctx = std::string("bytes: ") + e;
    INFO(ctx);
    REQUIRE(in.row != 0xffff);
    CHECK((in.fn == op_table()[in.row].fn));
  }
}

TEST_CASE("special: generic handlers the run loop calls directly give what Insn::fn gives") {
  const char* encodings[] = {
      "48 c1 e0 05", "c1 e8 1f", "48 c1 f8 3f", "48 c1 c0 0d",  // shifts and a rotate by an immediate
      "0f 94 c0", "0f 9f 03", "84 c0", "84 03", "f6 03 01", "f6 c1 80",  // setcc, byte test
      "3c 05", "80 c3 05", "80 23 0f", "48 83 03 01", "83 d0 01",  // cmp al, byte and group-1 memory forms
      "48 81 03 00 01 00 00", "81 6b 08 ff ff 00 00", "48 81 d3 00 00 00 80",  // group 1, imm32: memory, sbb
      "48 f7 d0", "f7 13", "0f b6 c3", "48 0f 44 c3", "0f 4c 03",  // not, movzx reg, cmov
      "88 03", "88 5c 8b 01", "0f 11 03", "0f 10 03",  // byte store, movups both ways
      "e8 00 01 00 00", "c3", "eb 05", "e9 00 ff ff ff", "ff e0", "ff d0", "ff 23", "ff 13",  // near branches
  };
  std::mt19937_64 rng(20261205);
  Machine m;
  for (const char* e : encodings) {
    const Insn in = decode_hex(m, e);
    const std::string ctx = std::string("bytes: ") + e + " (" + insn_text(in) + ")";
    INFO(ctx);
    REQUIRE(in.row != 0xffff);
    CHECK(in.fast != 0);
    for (int trial = 0; trial < 200; trial++) {
      std::vector<uint8_t> mem;
      Cpu start = random_start(rng, in, mem);
      for (int x = 0; x < 16; x++) for (int k = 0; k < 2; k++) start.xmm[x].q[k] = rng();
      // (jmp/call through a register or memory: any 64-bit value is a target)
      check_same(run_one(m, start, mem, in.fn, in), run_one(m, start, mem, &step_handler, in));
    }
  }
}
