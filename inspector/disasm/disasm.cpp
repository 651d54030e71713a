// inspector/disasm/disasm.cpp — see disasm.h.
#include "inspector/disasm/disasm.h"

#include <capstone/capstone.h>

#include <cstdio>
#include <cstring>

namespace gbi {

size_t disassemble(const uint8_t* code, size_t n, uint64_t address, Syntax syntax, DisasmLine* out, size_t max) {
  csh h;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) return 0;
  cs_option(h, CS_OPT_SYNTAX, syntax == Syntax::Att ? CS_OPT_SYNTAX_ATT : CS_OPT_SYNTAX_INTEL);
  cs_insn* insn = cs_malloc(h);
  size_t lines = 0;
  const uint8_t* p = code;
  size_t left = n;
  uint64_t at = address;
  while (left && lines < max) {
    DisasmLine& l = out[lines++];
    memset(&l, 0, sizeof l);
    l.address = at;
    const uint8_t* before = p;
    if (insn && cs_disasm_iter(h, &p, &left, &at, insn)) {
      l.size = (uint8_t)insn->size;
      memcpy(l.bytes, before, insn->size < 16 ? insn->size : 16);
      snprintf(l.text, sizeof l.text, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
    } else {  // not an instruction: show the byte and go on with the next one
      l.size = 1;
      l.bytes[0] = *p;
      l.bad = true;
      snprintf(l.text, sizeof l.text, "(bad)");
      p++;
      left--;
      at++;
    }
  }
  if (insn) cs_free(insn, 1);
  cs_close(&h);
  return lines;
}

}  // namespace gbi
