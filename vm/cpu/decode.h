// vm/cpu/decode.h — decoding one instruction from guest memory (see decode.cpp).
#pragma once
#include <cstdint>

#include "vm/cpu/optable.h"

namespace gb {

class AddressSpace;

// Filled when decode() produced op_ud: the bytes seen, and whether fetching failed.
struct DecodeError {
  uint8_t bytes[15];
  int n = 0;
  bool fault = false;
  uint64_t fault_addr = 0;
  bool oom = false;  // the page could not be allocated (memory budget)
};

// Decodes the instruction at rip. Throws GuestFault only if the first byte cannot be
// fetched; anything else unknown or undecodable becomes Insn::fn == op_ud.
void decode(AddressSpace& mem, uint64_t rip, Insn& in, DecodeError* err = nullptr);

// Text of the table row ("add Ev,Gv"), or "(bad)".
const char* insn_text(const Insn& in);

}  // namespace gb
