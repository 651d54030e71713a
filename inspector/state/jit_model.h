// inspector/state/jit_model.h — the JIT blocks panel's lists (docs/inspector.md, "The JIT
// blocks panel"): the compiled regions of the followed process and the JIT's history.
//
// Two sources, as the data path has them:
//   * state: the RegionList section of a state reply (vm/trace/state.h RegionSummaryState:
//     every live region of the followed address space with the runs of its entry block,
//     asked for with the decoded blocks): what is compiled now, refreshed while shown;
//   * records: RecKind::JitRegion (a region compiled) and JitDrop (dropped: its code was
//     written, the process went, or the code cache evicted it) from every process, as
//     they happened, so a drop is still listed after its process exited.
// Plain data decoded on arrival; drawing only reads (inspector/ui/state_panels.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "inspector/model/records.h"
#include "vm/trace/state.h"

namespace gbi {

struct JitDrop {
  uint64_t time_ns = 0;
  int32_t pid = 0;
  uint16_t why = 0;     // gb::JitDropWhy
  uint32_t count = 0;   // regions dropped (ProcessGone: all of the address space's)
  uint64_t start = 0, end = 0, page = 0, insns = 0, wasm_bytes = 0, execs = 0;
};

struct JitModel {
  // ---- state: the followed process's regions, most run entry first ----
  uint32_t total = 0;  // regions live (the list holds at most gb::kRegionListMax)
  std::vector<gb::RegionSummaryState> list;
  int sel = -1;        // the row selected (its region shown below)
  bool parse_list(const uint8_t* body, size_t len);

  // ---- records: every process ----
  static constexpr size_t kMaxDrops = 2000;  // the oldest rows go (counts keep all)
  uint64_t compiled = 0;        // regions compiled
  uint64_t compiled_insns = 0, compiled_bytes = 0;
  double compile_us = 0;        // each region's share of its batch's time
  uint64_t dropped[3] = {};     // regions dropped, by gb::JitDropWhy
  uint64_t discarded = 0;       // drop rows let go (kMaxDrops)
  std::vector<JitDrop> drops;   // oldest first
  void apply(const TraceRecord& r);
  void feed(const uint8_t* bytes, size_t n);  // packed records (other kinds ignored)

  void to_json(std::string& out) const;
  void to_text(std::string& out) const;
};

// "its code was written", "its process exited or exec'd", "evicted (the code cache is full)"
const char* jit_drop_why(uint16_t why);

}  // namespace gbi
