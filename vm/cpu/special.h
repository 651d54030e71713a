// vm/cpu/special.h — the opcode table's `special` column (OpRow::special): for a row
// whose handler is F, Special<F>::pick, when declared below, returns a handler
// specialised for the decoded instruction's form (register or memory operand, operand
// size, the ALU operation of group 1, the condition code of jcc), or F itself. The
// decoder stores what it returns in Insn::fn (decode.cpp); rows without a picker keep F.
//
// A specialised handler does exactly what F does for that form; the form's branches
// (size switches, mod == 3 tests, the ALU op's switch, the condition's switch) are
// resolved once at decode time instead of at every execution. The handlers live in
// ops_fast.h, the pickers in ops_special.cpp; the differential tests (cpu-diff, guest)
// cover them like any other.
#pragma once
#include "vm/cpu/optable.h"

namespace gb {

using Picker = Handler (*)(const Insn&);

// Insn::fast for a handler: its inline form in the run loop (ops_fast.h's Kind), 0 if none.
namespace fast {
uint8_t kind_of(Handler fn);
}

template <Handler F> struct Special { static constexpr Picker pick = nullptr; };

#define GB_SPECIAL(fn)                 \
  Handler pick_##fn(const Insn&);      \
  template <> struct Special<&fn> { static constexpr Picker pick = &pick_##fn; };

// ALU: r/m OP= reg, reg OP= r/m, group 1 with an immediate, test.
GB_SPECIAL(add_Ev_Gv) GB_SPECIAL(or_Ev_Gv) GB_SPECIAL(and_Ev_Gv)
GB_SPECIAL(sub_Ev_Gv) GB_SPECIAL(xor_Ev_Gv) GB_SPECIAL(cmp_Ev_Gv)
GB_SPECIAL(add_Gv_Ev) GB_SPECIAL(or_Gv_Ev) GB_SPECIAL(and_Gv_Ev)
GB_SPECIAL(sub_Gv_Ev) GB_SPECIAL(xor_Gv_Ev) GB_SPECIAL(cmp_Gv_Ev)
GB_SPECIAL(grp1_Ev_Ib) GB_SPECIAL(grp1_Ev_Iz) GB_SPECIAL(test_Ev_Gv)
// Moves, lea, push/pop of a register.
GB_SPECIAL(mov_Ev_Gv) GB_SPECIAL(mov_Gv_Ev) GB_SPECIAL(lea_Gv_M)
GB_SPECIAL(push_Zv) GB_SPECIAL(pop_Zv)
GB_SPECIAL(mov_Eb_Ib) GB_SPECIAL(mov_Ev_Iz) GB_SPECIAL(mov_Zv_Iv) GB_SPECIAL(grp1_Eb_Ib)
GB_SPECIAL(movzx_Gv_Eb) GB_SPECIAL(movzx_Gv_Ew) GB_SPECIAL(movsxd_Gv_Ed)
// Conditional jumps: one handler per condition code.
GB_SPECIAL(jcc_Jb) GB_SPECIAL(jcc_Jz)

#undef GB_SPECIAL

}  // namespace gb
