// vm/trace/state.h — the inspector's state replies (docs/inspector.md, "State requests"):
// what is too big for trace records (registers, memory, code bytes, maps, decoded blocks,
// a program's symbols) travels on request, as one reply of tagged sections:
//
//   repeated { u32 tag; u32 len; u8 body[len]; }    little-endian, bodies 8-byte padded
//
// Numbers and raw bytes only, as in record.h: the engine never formats for the inspector
// (the maps and symbol sections are line text because /proc/PID/maps already is).
// inspector/model/state_model.cpp reads it; vm/linux/inspect_state.cpp writes it.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace gb {

enum class StateTag : uint32_t {
  Status = 1,   // StatusState
  Regs = 2,     // RegsState
  Code = 3,     // u64 address, u32 n, u32 pad, then n readable bytes (n < asked: unreadable after)
  Memory = 4,   // u64 address, u32 n, u32 pad, then n bytes, then n validity bytes (1 = readable)
  Maps = 5,     // text, /proc/PID/maps lines
  Exe = 6,      // text, the program's path
  Blocks = 7,   // BlockState[]
  Symbols = 8,  // text: "path <file>\n", "elf <e_type> <first PT_LOAD vaddr>\n", then "<value hex> <size> <name>\n" per symbol
  Error = 9,    // text: why the request failed
  Lines = 10,   // text: the program's DWARF line table (vm/trace/dwarf_lines.h), after its Symbols
  Region = 11,  // RegionState, then u64 block_starts[blocks], u64 block_ends[blocks], x86 bytes, wasm module, listing text
  Regions = 12, // u64[]: the entry block of every compiled region of the address space (vm/jit)
  RegionList = 13, // u32 total, u32 pad, then RegionSummaryState[]: the compiled regions, most run first (at most 500)
};

struct StatusState {
  uint32_t halted;       // 1: the machine is stopped
  uint32_t reason;       // Debugger::Reason
  int32_t stop_pid, stop_tid;
  int32_t pid, tid;      // the task this reply describes (0: none)
  int32_t target_pid;    // the followed process
  uint32_t pinned;       // 1: the student pinned it (else: the terminal's foreground)
  uint64_t stops;        // Debugger::stops
  uint64_t icount;       // instructions the task retired
  uint32_t state;        // 0 runnable, 1 blocked, 2 dead / zombie
  uint32_t breaks;       // breakpoints set
};
static_assert(sizeof(StatusState) == 56, "status layout");

struct RegsState {
  uint64_t r[16];        // rax rcx rdx rbx rsp rbp rsi rdi r8..r15 (the CPU's order)
  uint64_t rip, rflags, fs_base, gs_base;
  uint8_t xmm[16][16];
  struct { uint64_t mant; uint16_t se; uint16_t pad[3]; } st[8];  // physical x87 registers
  uint16_t fcw, fsw, ftw;  // ftw: 2 bits per physical register, 3 = empty
  uint8_t top, pad0;
  uint32_t mxcsr, pad1;
};
static_assert(sizeof(RegsState) == 16 * 8 + 4 * 8 + 256 + 8 * 16 + 16, "regs layout");

enum BlockFlags : uint32_t {
  kBlockCompiled = 1,    // the JIT compiled it: part of a region (vm/jit), run as WebAssembly
  kBlockRegionEntry = 2, // ... and the block the region was formed from
};
struct BlockState {
  uint64_t start, end;   // guest bytes [start, end)
  uint64_t execs, indirect_entries, page_heat;
  uint32_t n, flags;     // instructions; BlockFlags
};
static_assert(sizeof(BlockState) == 48, "block layout");

// A compiled region (vm/jit describe_region): its guest range, the start and end of each
// of its blocks (entry first), each block's x86 bytes in that order, a module holding the region
// alone, and the compiler's listing (wasm text with ";; 0x<addr>  <bytes>  <insn>" before
// the code of each x86 instruction and ";; block N: ..." before each block). The listing
// is the compiler's own text (tests/jit/golden), not formatting for the inspector.
struct RegionState {
  uint64_t start, end;
  uint32_t insns, table_index;
  uint32_t blocks, x86_len, wasm_len, listing_len;
};
static_assert(sizeof(RegionState) == 40, "region layout");

// One compiled region in the JIT panel's list (vm/jit region_summaries): its guest range,
// the runs of its entry block, its batch's compile time, blocks, x86 instructions, the wasm
// bytes of its function (and its share of its module's) and its table slot.
struct RegionSummaryState {
  uint64_t start, end, execs, compile_us;
  uint32_t blocks, insns, wasm_bytes, table_index;
};
static_assert(sizeof(RegionSummaryState) == 48, "region summary layout");
constexpr uint32_t kRegionListMax = 500;

// Appends one section (padded to 8 bytes).
inline void state_put(std::string& out, StateTag tag, const void* body, size_t len) {
  const uint32_t h[2] = {(uint32_t)tag, (uint32_t)len};
  out.append((const char*)h, 8);
  out.append((const char*)body, len);
  while (out.size() % 8) out += '\0';
}

}  // namespace gb
