// tests/unit/test_decode.cpp — the decoder against a table of real encodings.
//
// The bytes were produced by the host assembler (GNU as 2.40, `as x.s && objdump -d`)
// when this test was written and are hard-coded here; the expected fields follow the
// SDM. Each case names the fields it checks as "key=value" pairs (values in C syntax,
// decimal or 0x hex; registers as numbers; base/index NOREG as "none", RIP-relative as
// "rip"). Every case also checks that the row's handler is the one stored in Insn::fn.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/decode.h"
#include "vm/cpu/optable.h"
#include "vm/mem/address_space.h"

using namespace gb;

namespace {

constexpr uint64_t kCode = 0x400000;

std::vector<uint8_t> hex(const char* s) {
  std::vector<uint8_t> v;
  std::istringstream in(s);
  std::string b;
  while (in >> b) v.push_back((uint8_t)strtoul(b.c_str(), nullptr, 16));
  return v;
}

// Decodes `bytes` placed at `at` in a fresh address space with one RWX page mapped at
// kCode (and the next page unmapped).
Insn decode_at(const std::vector<uint8_t>& bytes, uint64_t at = kCode, DecodeError* err = nullptr) {
  AddressSpace as;
  REQUIRE(as.map(kCode, PAGE, PROT_R | PROT_W | PROT_X, true, false, false, nullptr, 0, "code") == (int64_t)kCode);
  std::vector<uint8_t> fill(PAGE, 0x90);
  as.write_bytes(kCode, fill.data(), PAGE);
  as.write_bytes(at, bytes.data(), bytes.size());
  Insn in;
  decode(as, at, in, err);
  return in;
}

struct Case {
  const char* bytes;  // hex, as objdump prints them
  const char* asm_;   // what `as` was given (for the failure message)
  int len;            // expected length, or 0 for op_ud
  const char* text;   // expected row text, or "(bad)"
  const char* fields; // "osz=4 mod=3 reg=0 rm=3 ..."
};

// clang-format off
const Case kCases[] = {
  // ---- ALU, register forms and operand sizes ----
  {"01 c3", "add %eax,%ebx", 2, "add Ev,Gv", "osz=4 asz=8 mod=3 reg=0 rm=3 rex=0 pfx66=0 rep=0 seg=0 lock=0"},
  {"48 01 c3", "add %rax,%rbx", 3, "add Ev,Gv", "osz=8 mod=3 reg=0 rm=3 rex=0x48"},
  {"66 01 c3", "add %ax,%bx", 3, "add Ev,Gv", "osz=2 mod=3 reg=0 rm=3 rex=0 pfx66=1"},
  {"00 c3", "add %al,%bl", 2, "add Eb,Gb", "osz=1 mod=3 reg=0 rm=3"},
  {"4d 01 c7", "add %r8,%r15", 3, "add Ev,Gv", "osz=8 reg=8 rm=15 rex=0x4d"},
  {"40 88 f0", "mov %sil,%al", 3, "mov Eb,Gb", "osz=1 reg=6 rm=0 rex=0x40"},
  {"88 e0", "mov %ah,%al", 2, "mov Eb,Gb", "osz=1 reg=4 rm=0 rex=0"},
  {"44 88 00", "mov %r8b,(%rax)", 3, "mov Eb,Gb", "osz=1 reg=8 mod=0 base=0 index=none disp=0 rex=0x44"},
  // ---- ModRM / SIB memory forms ----
  {"8b 48 10", "mov 0x10(%rax),%ecx", 3, "mov Gv,Ev", "osz=4 mod=1 reg=1 base=0 index=none disp=16"},
  {"48 8b 55 80", "mov -0x80(%rbp),%rdx", 4, "mov Gv,Ev", "osz=8 mod=1 reg=2 base=5 index=none disp=-128"},
  {"8b 84 24 78 56 34 12", "mov 0x12345678(%rsp),%eax", 7, "mov Gv,Ev", "mod=2 reg=0 base=4 index=none disp=0x12345678"},
  {"8b 04 98", "mov (%rax,%rbx,4),%eax", 3, "mov Gv,Ev", "mod=0 base=0 index=3 scale=2 disp=0"},
  {"4f 8b 34 ec", "mov (%r12,%r13,8),%r14", 4, "mov Gv,Ev", "osz=8 reg=14 base=12 index=13 scale=3 rex=0x4f"},
  {"8b 04 4d 00 00 00 00", "mov 0x0(,%rcx,2),%eax", 7, "mov Gv,Ev", "mod=0 base=none index=1 scale=1 disp=0"},
  {"8b 04 25 00 10 00 00", "mov 0x1000,%eax", 7, "mov Gv,Ev", "mod=0 base=none index=none disp=0x1000"},
  {"41 8b 04 25 00 10 00 00", "REX.B with SIB base=101 mod=00: still no base", 8, "mov Gv,Ev", "base=none index=none disp=0x1000"},
  {"48 8b 05 00 01 00 00", "mov 0x100(%rip),%rax", 7, "mov Gv,Ev", "osz=8 mod=0 base=rip index=none disp=0x100"},
  {"41 8b 05 00 01 00 00", "REX.B with rm=101 mod=00: still RIP-relative", 7, "mov Gv,Ev", "base=rip disp=0x100"},
  {"48 8b 05 00 00 00 80", "mov -0x80000000(%rip),%rax", 7, "mov Gv,Ev", "base=rip disp=-2147483648"},
  {"41 8b 45 00", "mov 0x0(%r13),%eax", 4, "mov Gv,Ev", "mod=1 base=13 index=none disp=0"},
  {"8b 45 00", "mov 0x0(%rbp),%eax", 3, "mov Gv,Ev", "mod=1 base=5 disp=0"},
  {"4a 8b 04 20", "mov (%rax,%r12,1),%rax (REX.X: r12 as index)", 4, "mov Gv,Ev", "base=0 index=12 scale=0"},
  {"48 f7 34 24", "divq (%rsp)", 4, "div Ev", "osz=8 mod=0 reg=6 base=4 index=none"},
  {"80 7c 0b ff 7f", "cmpb $0x7f,-1(%rbx,%rcx,1)", 5, "cmp Eb,Ib", "osz=1 reg=7 base=3 index=1 scale=0 disp=-1 imm=0x7f"},
  {"80 44 0b ff 7f", "addb $0x7f,-1(%rbx,%rcx,1)", 5, "grp1 Eb,Ib", "osz=1 reg=0 base=3 index=1 scale=0 disp=-1 imm=0x7f"},
  // ---- address size ----
  {"67 8d 48 08", "lea 0x8(%eax),%ecx", 4, "lea Gv,M", "asz=4 osz=4 base=0 disp=8"},
  {"67 a1 78 56 34 12", "addr32 mov 0x12345678,%eax", 6, "mov rAX,Ov", "asz=4 imm=0x12345678"},
  {"a3 78 56 34 12 00 00 00 00", "movabs %eax,0x12345678", 9, "mov Ov,rAX", "asz=8 osz=4 imm=0x12345678"},
  // ---- segments ----
  {"64 48 8b 04 25 28 00 00 00", "mov %fs:0x28,%rax", 9, "mov Gv,Ev", "seg=1 osz=8 base=none index=none disp=0x28"},
  {"65 8b 00", "mov %gs:(%rax),%eax", 3, "mov Gv,Ev", "seg=2 base=0"},
  {"2e 8b 00", "cs-prefixed load (ignored in 64-bit mode)", 3, "mov Gv,Ev", "seg=0 base=0"},
  // ---- immediates ----
  {"48 b8 f0 de bc 9a 78 56 34 12", "movabs $0x123456789abcdef0,%rax", 10, "mov Zv,Iv", "osz=8 reg=0 imm=0x123456789abcdef0"},
  {"41 b9 78 56 34 12", "mov $0x12345678,%r9d", 6, "mov Zv,Iv", "osz=4 reg=9 imm=0x12345678"},
  {"66 b9 34 12", "mov $0x1234,%cx", 4, "mov Zv,Iv", "osz=2 reg=1 imm=0x1234"},
  {"48 83 c0 ff", "add $-1,%rax", 4, "grp1 Ev,Ib", "osz=8 reg=0 rm=0 imm=0xffffffffffffffff"},
  {"48 05 78 56 34 12", "add $0x12345678,%rax", 6, "add rAX,Iz", "osz=8 imm=0x12345678"},
  {"48 05 00 00 00 80", "add $-0x80000000,%rax", 6, "add rAX,Iz", "osz=8 imm=0xffffffff80000000"},
  {"66 81 00 34 12", "addw $0x1234,(%rax)", 5, "grp1 Ev,Iz", "osz=2 mod=0 base=0 imm=0x1234"},
  {"66 81 00 34 92", "addw $0x9234,(%rax): imm16 sign-extended", 5, "grp1 Ev,Iz", "osz=2 imm=0xffffffffffff9234"},
  {"c7 40 10 44 33 22 11", "movl $0x11223344,0x10(%rax)", 7, "mov Ev,Iz", "osz=4 mod=1 base=0 disp=16 imm=0x11223344"},
  {"6b c8 10", "imul $0x10,%eax,%ecx", 3, "imul Gv,Ev,Ib", "reg=1 rm=0 imm=16"},
  {"69 c8 00 10 00 00", "imul $0x1000,%eax,%ecx", 6, "imul Gv,Ev,Iz", "reg=1 rm=0 imm=0x1000"},
  {"48 c1 e2 03", "shl $3,%rdx", 4, "grp2 Ev,Ib", "osz=8 reg=4 rm=2 imm=3"},
  {"0f ba e0 05", "btl $5,%eax", 4, "bt Ev,Ib", "osz=4 reg=4 rm=0 imm=5"},
  {"c8 10 00 01", "enter $0x10,$1", 4, "enter Iw,Ib", "osz=8 imm=16 imm2=1"},
  {"c2 08 00", "ret $8", 3, "ret Iw", "osz=8 imm=8"},
  {"f6 c1 01", "testb $1,%cl", 3, "test Eb,Ib", "osz=1 reg=0 rm=1 imm=1"},
  {"f6 c9 01", "f6 /1 (alias of test)", 3, "test Eb,Ib", "osz=1 reg=1 rm=1 imm=1"},
  // ---- stack and branches (default 64-bit operand size) ----
  {"41 54", "push %r12", 2, "push Zv", "osz=8 reg=12"},
  {"66 50", "push %ax", 2, "push Zv", "osz=2 reg=0"},
  {"5d", "pop %rbp", 1, "pop Zv", "osz=8 reg=5"},
  {"6a fe", "push $-2", 2, "push Ib", "osz=8 imm=0xfffffffffffffffe"},
  {"75 fe", "jne .", 2, "jcc Jb", "osz=8 imm=0xfffffffffffffffe opc=0x75"},
  {"0f 85 00 01 00 00", "jne .+0x106", 6, "jcc Jz", "osz=8 imm=0x100 opc=0x85 map=1"},
  {"e8 00 00 00 80", "call rel32 -2^31", 5, "call Jz", "osz=8 imm=0xffffffff80000000"},
  {"ff d0", "call *%rax", 2, "call Ev", "osz=8 reg=2 rm=0"},
  // ---- rep / lock / mandatory-prefix-less forms ----
  {"f3 a4", "rep movsb", 2, "movsb", "rep=0xf3 osz=1"},
  {"f2 ae", "repne scasb", 2, "scasb", "rep=0xf2 osz=1"},
  {"f3 48 ab", "rep stos %rax", 3, "stos", "rep=0xf3 osz=8 rex=0x48"},
  {"f0 0f b1 0a", "lock cmpxchg %ecx,(%rdx)", 4, "cmpxchg Ev,Gv", "lock=1 osz=4 reg=1 base=2 map=1 opc=0xb1"},
  {"f0 48 0f c1 07", "lock xadd %rax,(%rdi)", 5, "xadd Ev,Gv", "lock=1 osz=8 reg=0 base=7"},
  {"48 0f c7 0f", "cmpxchg16b (%rdi)", 4, "cmpxchg8b/16b Mq", "osz=8 reg=1 base=7"},
  {"f3 0f 1e fa", "endbr64", 4, "hint nop Ev / endbr64", "rep=0xf3 mod=3 reg=7 rm=2"},
  {"66 0f 1f 04 00", "nopw (%rax,%rax,1)", 5, "nop Ev", "osz=2 base=0 index=0"},
  {"49 90", "xchg %rax,%r8", 2, "xchg Zv,rAX / nop", "osz=8 reg=8"},
  {"f3 90", "pause", 2, "xchg Zv,rAX / nop", "rep=0xf3 reg=0"},
  {"41 0f ca", "bswap %r10d", 3, "bswap Zv", "osz=4 reg=10"},
  {"0f 05", "syscall", 2, "syscall", "map=1 opc=5"},
  {"0f b6 c8", "movzbl %al,%ecx", 3, "movzx Gv,Eb", "osz=4 reg=1 rm=0"},
  {"48 0f be 10", "movsbq (%rax),%rdx", 4, "movsx Gv,Eb", "osz=8 reg=2 base=0"},
  {"48 0f 45 d8", "cmovne %rax,%rbx", 4, "cmovcc Gv,Ev", "osz=8 reg=3 rm=0 opc=0x45"},
  {"0f 94 c0", "sete %al", 3, "setcc Eb", "osz=1 rm=0 opc=0x94"},
  {"f7 10", "notl (%rax)", 2, "not Ev", "osz=4 reg=2 mod=0 base=0"},
  {"49 f7 db", "neg %r11", 3, "neg Ev", "osz=8 reg=3 rm=11"},
  {"48 63 c0", "movslq %eax,%rax", 3, "movsxd Gv,Ed", "osz=8 reg=0 rm=0"},
  // ---- REX placement rules ----
  {"48 66 01 c3", "REX then 66: the REX is cancelled", 4, "add Ev,Gv", "osz=2 rex=0 pfx66=1"},
  {"66 48 01 c3", "66 then REX.W: REX.W wins", 4, "add Ev,Gv", "osz=8 rex=0x48 pfx66=1"},
  {"40 48 01 c3", "two REX bytes: the last counts", 4, "add Ev,Gv", "osz=8 rex=0x48"},
  {"41 f3 a4", "REX then f3: the REX is cancelled", 3, "movsb", "rep=0xf3 rex=0"},
  {"4c 64 8b 00", "REX.WR then fs: cancelled", 4, "mov Gv,Ev", "osz=4 reg=0 seg=1 rex=0"},
  // ---- length limit and undefined encodings ----
  {"66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00", "15-byte nop", 15, "nop Ev", "osz=2"},
  {"66 66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00", "16-byte nop: too long", 0, "(bad)", ""},
  {"f0 01 c3", "lock with a register destination", 0, "(bad)", ""},
  {"f0 8b 00", "lock on mov (not lockable)", 0, "(bad)", ""},
  {"f0 83 38 01", "lock cmpl $1,(%rax): cmp is not lockable", 0, "(bad)", ""},
  {"f0 83 00 01", "lock addl $1,(%rax)", 4, "grp1 Ev,Ib", "lock=1 reg=0 base=0 imm=1"},
  {"0f 04", "undefined 0f 04", 0, "(bad)", ""},
  {"8d c0", "lea with a register operand", 0, "(bad)", ""},
};
// clang-format on

long long field(const Insn& in, const std::string& k, bool& ok) {
  ok = true;
  if (k == "osz") return in.osz;
  if (k == "asz") return in.asz;
  if (k == "mod") return in.mod;
  if (k == "reg") return in.reg;
  if (k == "rm") return in.rm;
  if (k == "base") return in.base;
  if (k == "index") return in.index;
  if (k == "scale") return in.scale;
  if (k == "disp") return in.disp;
  if (k == "imm") return (long long)in.imm;
  if (k == "imm2") return in.imm2;
  if (k == "rex") return in.rex;
  if (k == "rep") return in.rep;
  if (k == "seg") return in.seg;
  if (k == "lock") return in.lock;
  if (k == "pfx66") return in.pfx66;
  if (k == "map") return in.map;
  if (k == "opc") return in.opc;
  ok = false;
  return 0;
}

long long parse_value(const std::string& v) {
  if (v == "none") return NOREG;
  if (v == "rip") return RIPREL;
  return (long long)strtoull(v.c_str() + (v[0] == '-'), nullptr, 0) * (v[0] == '-' ? -1 : 1);
}

}  // namespace

TEST_CASE("decode: table of real encodings") {
  for (const Case& c : kCases) {
    const std::vector<uint8_t> b = hex(c.bytes);
    const Insn in = decode_at(b);
    const std::string ctx = std::string("bytes: ") + c.bytes + "  (" + c.asm_ + ")";
    INFO(ctx);
    CHECK(std::string(insn_text(in)) == c.text);
    if (c.len == 0) {
      CHECK((in.fn == &op_ud));
      CHECK(in.row == 0xffff);
      continue;
    }
    CHECK(in.len == c.len);
    REQUIRE(in.row != 0xffff);
    REQUIRE(in.row < op_table_size());
    // The row's handler, or the one its `special` column picks for this form (special.h).
    const OpRow& row = op_table()[in.row];
    CHECK((in.fn == (row.special ? row.special(in) : row.fn)));
    CHECK((in.fn != nullptr));
    std::istringstream fs(c.fields);
    std::string kv;
    while (fs >> kv) {
      const size_t eq = kv.find('=');
      REQUIRE(eq != std::string::npos);
      const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      bool ok;
      const long long got = field(in, k, ok);
      const std::string fctx = "field " + k;
      INFO(fctx);
      REQUIRE(ok);
      const long long want = parse_value(v);
      if (k == "imm") CHECK((uint64_t)got == (uint64_t)want);
      else CHECK(got == want);
    }
  }
}

TEST_CASE("decode: every row's handler is reachable and texts are set") {
  const OpRow* t = op_table();
  for (int k = 0; k < op_table_size(); k++) {
    INFO("row ", k);
    CHECK((t[k].fn != nullptr));
    CHECK(t[k].text != nullptr);
    CHECK(t[k].map <= M3A);
    CHECK((t[k].undef & ~(uint16_t)FL_ARITH) == 0);
  }
}

TEST_CASE("decode: instructions crossing into an unmapped page") {
  // `mov 0x12345678(%rsp),%eax` (7 bytes) starting 3 bytes before the end of the page.
  const std::vector<uint8_t> b = hex("8b 84 24 78");
  DecodeError err;
  const Insn in = decode_at(b, kCode + PAGE - 4, &err);
  CHECK((in.fn == &op_ud));
  CHECK(in.len == 0);  // "fault when executed"
  CHECK(err.fault);
  CHECK(err.fault_addr == kCode + PAGE);

  // A complete instruction ending exactly at the page end decodes normally.
  const Insn ok = decode_at(hex("8b 04 98"), kCode + PAGE - 3);
  CHECK(ok.len == 3);
  CHECK(std::string(insn_text(ok)) == "mov Gv,Ev");

  // The first byte itself unfetchable: decode throws GuestFault at that address.
  AddressSpace as;
  as.map(kCode, PAGE, PROT_R | PROT_W, true, false, false, nullptr, 0, "nx");  // not executable
  Insn x;
  bool threw = false;
  try {
    decode(as, kCode, x);
  } catch (const GuestFault& f) {
    threw = true;
    CHECK(f.addr == kCode);
  }
  CHECK(threw);
}

TEST_CASE("decode: every one-byte ALU opcode at every operand size") {
  // 00-3D: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz for the eight ALU ops.
  const char* names[8] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
  const char* forms[6] = {"Eb,Gb", "Ev,Gv", "Gb,Eb", "Gv,Ev", "AL,Ib", "rAX,Iz"};
  for (int op = 0; op < 8; op++) {
    for (int f = 0; f < 6; f++) {
      for (int sz : {2, 4, 8}) {
        std::vector<uint8_t> b;
        if (sz == 2) b.push_back(0x66);
        if (sz == 8) b.push_back(0x48);
        b.push_back((uint8_t)(op * 8 + f));
        int len = (int)b.size();
        if (f < 4) { b.push_back(0xd1); len++; }               // mod=3 reg=2 rm=1
        if (f == 4) { b.push_back(0x80); len++; }              // imm8
        if (f == 5) { for (int k = 0; k < (sz == 2 ? 2 : 4); k++) b.push_back(0x81); len += sz == 2 ? 2 : 4; }
        const Insn in = decode_at(b);
        const std::string ctx = std::string(names[op]) + " " + forms[f] + " size " + std::to_string(sz);
        INFO(ctx);
        CHECK(in.len == len);
        CHECK(std::string(insn_text(in)) == std::string(names[op]) + " " + forms[f]);
        const bool byte = (f % 2 == 0) && f != 5 ? true : false;
        CHECK(in.osz == (byte ? 1 : sz));
        if (f < 4) { CHECK(in.reg == 2); CHECK(in.rm == 1); }
        if (f == 4) CHECK(in.imm == 0xffffffffffffff80ull);
        if (f == 5) CHECK(in.imm == (sz == 2 ? 0xffffffffffff8181ull : 0xffffffff81818181ull));
      }
    }
  }
}
