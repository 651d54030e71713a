// inspector/ui/panels.h — the Dear ImGui panels over the models (inspector/model/).
// Drawing only: every panel reads its model and a small UI state; no panel owns data.
#pragma once
#include "inspector/model/inspector_model.h"

namespace gbi {

struct UiState {
  // System calls panel
  bool failed_only = false;
  char call_filter[32] = "";
  bool show_counts = true;
  bool follow = true;  // keep the newest row in view
  bool selected_only = false;  // only the process selected in the Processes panel
  // Processes panel
  int selected_tid = 0;
  int selected_pid = 0;  // its thread group (the System calls panel can focus on it)
};

void draw_inspector(InspectorModel& m, UiState& ui, float width, float height);
void draw_processes(const ProcessModel& m, UiState& ui);
void draw_syscalls(SyscallModel& m, UiState& ui);
void draw_files(const FilesModel& m, UiState& ui);

}  // namespace gbi
