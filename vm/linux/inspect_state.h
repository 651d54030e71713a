// vm/linux/inspect_state.h — the inspector's state requests on a Kernel: registers, code
// bytes around rip, a memory window, the maps, the decoded blocks, a compiled region (the
// JIT's x86 and wasm) and a program's symbols,
// written as tagged sections (vm/trace/state.h). Read-only: nothing here changes the
// guest (reading memory may fault a page in, as /proc/PID/mem does). Unreadable memory
// is reported as such, never an engine fault.
#pragma once
#include <cstdint>
#include <string>

namespace gb {

namespace jit { struct RegionInfo; }
class Kernel;
class Task;
class Debugger;

struct StateRequest {
  int tid = 0;                // 0: the stopped task, else the followed process
  bool regs = true;
  uint32_t code_before = 64;  // code bytes before rip ...
  uint32_t code_after = 192;  // ... and from rip on
  uint64_t mem_addr = 0;      // the hex view (mem_len 0: none)
  uint32_t mem_len = 0;       // at most 64 KiB
  bool maps = true;
  uint32_t blocks = 0;        // the hottest decoded blocks (0: none)
  uint32_t regions = 0;       // the compiled regions, most run first (0: none; at most kRegionListMax)
};

// The task a request describes: `tid`, else the one that stopped, else the followed process.
Task* inspect_task(Kernel& k, const Debugger& d, int tid);
void inspect_state(Kernel& k, const Debugger& d, bool pinned, const StateRequest& q, std::string& out);
// The Memory section alone (any length up to 64 KiB): the JIT panel's block bytes.
void inspect_memory(Kernel& k, const Debugger& d, int tid, uint64_t addr, uint32_t len, std::string& out);
// The compiled region holding the block at `addr` in the task's address space (a Region
// section), or an Error section (not compiled, no JIT).
void inspect_region(Kernel& k, const Debugger& d, int tid, uint64_t addr, std::string& out);
// The Region section of a described region (vm/trace/state.h RegionState).
void put_region(const jit::RegionInfo& r, std::string& out);
// The Symbols and Lines (DWARF) sections of a guest file (or an Error section).
void inspect_symbols(Kernel& k, const std::string& path, std::string& out);

}  // namespace gb
