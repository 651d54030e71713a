// inspector/ui/panels.h — the Dear ImGui panels over the models (inspector/model/).
// Drawing only: every panel reads its model and a small UI state; no panel owns data.
#pragma once
#include <cstdint>

#include "inspector/model/inspector_model.h"
#include "inspector/state/state_model.h"

namespace gbi {

struct UiState {
  // System calls panel
  bool failed_only = false;
  char call_filter[32] = "";
  bool show_counts = true;
  bool follow = true;  // keep the newest row in view
  bool selected_only = false;  // only the process selected in the Processes panel
  uint64_t call_seq = 0;       // the call shown in the detail view (its SysExit seq; 0: none)
  int scroll_to = -1;          // bring this visible row into view on the next frame
  // Processes panel
  int selected_tid = 0;
  int selected_pid = 0;  // its thread group: the focus (System calls and Files filter to it)
  bool proc_scroll = false;  // bring the selected process's row into view (gbi_focus)
  // Files and disk panel
  bool files_selected_only = false;  // only the focused process's reads
  // State panels (state_panels.cpp)
  int want_tab = -1;      // select this tab on the next frame (gbi_select_tab): 0 Processes .. 6 JIT blocks
  int shown = 0;          // the tab shown, 0 Processes .. 6 JIT blocks (kept across reloads)
  int tab = 0;            // the tab shown: 1 registers, 2 code, 3 memory, 4 blocks (the page refreshes what it needs)
  int xmm_view = 0;       // 0 hex, 1 float, 2 double
  char break_text[64] = "";
  char break_error[128] = "";
  char sys_break_text[32] = "";
  char mem_text[24] = "";
  uint64_t mem_addr = 0;  // 0: rsp
  // JIT blocks panel
  int jit_view = 0;       // 0 regions, 1 blocks, 2 drops
  int region_hover = -1;  // the region view's row under the pointer (its x86 and wasm lit)
};

void draw_inspector(InspectorModel& m, StateModel& s, UiState& ui, float width, float height);
void draw_control(StateModel& s, UiState& ui);
void draw_registers(StateModel& s, UiState& ui);
void draw_code(StateModel& s, UiState& ui);
void draw_memory(StateModel& s, UiState& ui);
void draw_blocks(StateModel& s, UiState& ui);
void draw_processes(const ProcessModel& m, StateModel& s, UiState& ui);
void draw_syscalls(SyscallModel& m, UiState& ui);
void draw_files(const FilesModel& m, UiState& ui);
// Focus every panel on process `pid` (0: none): System calls and Files filter to it, the
// state panels pin it (a running process; `s` may be null: no pin). The Processes panel's
// selection, and gbi_focus.
void focus_process(StateModel* s, UiState& ui, int pid, int tid, bool running);
// Show call `seq` in the System calls detail view, clearing the filters that hide it.
// Returns false if it is not in the table.
bool show_call(SyscallModel& m, UiState& ui, uint64_t seq);

}  // namespace gbi
