// tests/unit/test_inspector_disasm.cpp — the inspector's disassembler (inspector/disasm/,
// Capstone x86-64): a known function prologue in Intel and AT&T syntax, and garbage bytes
// that become "(bad)" lines without stopping the listing. Skipped when Capstone's sources
// were not fetched (tools/setup).
#include <doctest/doctest.h>

#ifdef GB_HAVE_DISASM
#include <string>

#include "inspector/disasm/disasm.h"

using namespace gbi;

TEST_CASE("disassembly: a prologue in Intel and AT&T syntax; garbage shown, never fatal") {
  // push rbp; mov rbp, rsp; mov eax, 0x2a; pop rbp; ret
  const uint8_t code[] = {0x55, 0x48, 0x89, 0xe5, 0xb8, 0x2a, 0x00, 0x00, 0x00, 0x5d, 0xc3};
  DisasmLine l[8];
  REQUIRE(disassemble(code, sizeof code, 0x401000, Syntax::Intel, l, 8) == 5);
  CHECK(std::string(l[0].text) == "push rbp");
  CHECK(std::string(l[1].text) == "mov rbp, rsp");
  CHECK(l[1].address == 0x401001);
  CHECK(l[1].size == 3);
  CHECK(std::string(l[2].text) == "mov eax, 0x2a");
  CHECK(std::string(l[4].text) == "ret");
  REQUIRE(disassemble(code, sizeof code, 0x401000, Syntax::Att, l, 8) == 5);
  CHECK(std::string(l[1].text) == "movq %rsp, %rbp");
  CHECK(std::string(l[2].text) == "movl $0x2a, %eax");

  // 0x06 (push es) is invalid in 64-bit mode; a lone 0x0f at the end is cut short
  const uint8_t bad[] = {0x06, 0x90, 0x0f};
  REQUIRE(disassemble(bad, sizeof bad, 0x1000, Syntax::Intel, l, 8) == 3);
  CHECK(l[0].bad);
  CHECK(l[0].bytes[0] == 0x06);
  CHECK(std::string(l[1].text) == "nop");
  CHECK(l[1].address == 0x1001);
  CHECK(l[2].bad);
  CHECK(disassemble(bad, sizeof bad, 0x1000, Syntax::Intel, l, 1) == 1);  // `max` holds
}
#endif
