// tests/tools/ss_record.h — the recording of a random-instruction run (singlestep
// --random --record FILE), replayed by tests/jit/replay.cpp in node with the JIT compiling
// every block at its first run (the cpu-diff streams against the JIT: docs/jit.md, "Tests").
//
// What is recorded
//   The comparator steps the host CPU and the engine's interpreter together and, now and
//   then, changes the engine's state by hand: it adopts the host's value of a flag x86
//   leaves undefined, keeps rsp in its window at an item's start, steps over an
//   instruction that faulted on both sides, clears x87 exception flags. Between two such
//   interventions the stream is a plain x86 program: a *segment*. For each one the file
//   holds the state it starts from, where it ends (the address of the next intervention,
//   or of the faulting instruction), how many instructions it retires, the signal it ends
//   with (0: none) and the host's state at its end, with what must not be compared (the
//   bits the comparator adopted there: undefined flags, a register, the x87 state). The
//   data buffer is recorded at a batch's start and, from the host, at its end.
//
// Format (little-endian, host structs copied as bytes: written and read by the same
//   source on x86-64 and wasm32, where these layouts agree: static_asserts below)
//   "GBSSREC2"
//   then records, each a tag byte:
//     'B' u64 code_len, code bytes, DATA_SIZE data bytes     a batch begins (code at CODE)
//     'S' Segment                                             a segment of that batch
//     'M' u64 addr, u32 n, n bytes                            memory the comparator adopted
//                                                             after the last segment
//     'E' DATA_SIZE bytes                                     the batch ends: the host's data
//     'Z'                                                     the end of the recording
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <csignal>

#include "vm/cpu/cpu.h"
#include "vm/cpu/interp.h"

namespace ss {

struct RecState {
  uint64_t r[16];
  uint64_t rip, rflags;
  uint8_t xmm[16][16];
  uint32_t mxcsr;
  uint16_t fcw, fsw, ftw;
  uint8_t top, pad_;
  uint32_t pad2_;
  struct { uint64_t mant; uint16_t se; uint16_t pad[3]; } st[8];
};
static_assert(sizeof(RecState) == 544, "RecState layout");

struct RecSegment {
  RecState start;
  RecState expect;       // the host's state at the end
  uint64_t end_rip;      // where it stops: an intervention's address, or the faulting instruction
  uint64_t insns;        // instructions it retires
  uint64_t flag_mask;    // rflags bits compared (undefined ones adopted there are left out)
  uint32_t signal;       // 0, or the signal the instruction at end_rip raises (SIGSEGV, SIGFPE...)
  uint16_t reg_mask;     // GPRs compared (bit i: r[i])
  uint8_t fpu_compared;  // 0: the x87 state was adopted at the end (not compared)
  uint8_t pad_;
};
static_assert(sizeof(RecSegment) == 2 * 544 + 32, "RecSegment layout");

inline constexpr char kRecMagic[8] = {'G', 'B', 'S', 'S', 'R', 'E', 'C', '2'};

// The engine's CPU state as recorded (padding zeroed, so states compare with memcmp).
inline RecState state_of(const gb::Cpu& c) {
  RecState s;
  memset(&s, 0, sizeof s);
  memcpy(s.r, c.r, sizeof s.r);
  s.rip = c.rip;
  s.rflags = c.get_rflags();
  for (int i = 0; i < 16; i++) memcpy(s.xmm[i], c.xmm[i].b, 16);
  s.mxcsr = c.mxcsr;
  s.fcw = c.fpu.fcw;
  s.fsw = c.fpu.fsw;
  s.ftw = c.fpu.ftw;
  s.top = c.fpu.top;
  for (int i = 0; i < 8; i++) {
    s.st[i].mant = c.fpu.st[i].mant;
    s.st[i].se = c.fpu.st[i].se;
  }
  return s;
}

inline void apply_state(const RecState& s, gb::Cpu& c) {
  memcpy(c.r, s.r, sizeof s.r);
  c.rip = s.rip;
  c.cc.op = gb::CC_NONE;
  c.set_rflags(s.rflags);
  for (int i = 0; i < 16; i++) memcpy(c.xmm[i].b, s.xmm[i], 16);
  c.mxcsr = s.mxcsr;
  c.fpu.fcw = s.fcw;
  c.fpu.fsw = s.fsw;
  c.fpu.ftw = s.ftw;
  c.fpu.top = s.top;
  for (int i = 0; i < 8; i++) {
    c.fpu.st[i].mant = s.st[i].mant;
    c.fpu.st[i].se = s.st[i].se;
  }
}

inline constexpr const char* kRegName[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                              "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

// The signal a CPU exception (or an undefined instruction) delivers: 0 for none.
inline int signal_of(const gb::CpuException& ex, bool illegal) {
  if (illegal) return SIGILL;
  switch (ex.kind) {
    case gb::CpuException::PAGE_FAULT: return ex.bus ? SIGBUS : SIGSEGV;
    case gb::CpuException::GP: return SIGSEGV;
    case gb::CpuException::DIV: case gb::CpuException::FPE: return SIGFPE;
    case gb::CpuException::TRAP: return SIGTRAP;
    default: return 0;
  }
}

inline bool same_state(const RecState& a, const RecState& b) { return memcmp(&a, &b, sizeof a) == 0; }

}  // namespace ss
