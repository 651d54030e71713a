// inspector/ui/panels.cpp — the inspector's Dear ImGui panels.
//
// Index of this file:
// [SECTION] helpers
// [SECTION] the window: a tab bar of panels and the status line
// [SECTION] Processes panel
// [SECTION] System calls panel
// [SECTION] Files and disk panel
// (Control bar, Registers, Code, Memory, JIT blocks: state_panels.cpp)
//
// Rules (docs/inspector.md, "Adding a panel"): plain C-ish C++; the model is the data,
// this file only draws it; an idle frame allocates nothing (text goes through fixed stack
// buffers and ImGui's own storage); long tables go through ImGuiListClipper.
#include "inspector/ui/panels.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "imgui.h"
#include "inspector/model/files_model.h"
#include "inspector/model/syscall_decode.h"

namespace gbi {

//-----------------------------------------------------------------------------
// [SECTION] helpers
//-----------------------------------------------------------------------------
static const ImVec4 kErrColor = ImVec4(1.0f, 0.45f, 0.40f, 1.0f);
static const ImVec4 kDimColor = ImVec4(0.60f, 0.60f, 0.60f, 1.0f);

//-----------------------------------------------------------------------------
// [SECTION] the window: a tab bar of panels and the status line
//-----------------------------------------------------------------------------
void draw_inspector(InspectorModel& m, StateModel& s, UiState& ui, float width, float height) {
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(width, height));
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoBringToFrontOnFocus;
  ImGui::Begin("Inspector", nullptr, flags);
  ImGui::Text("%" PRIu64 " events", m.stream.received);
  ImGui::SameLine();
  if (m.stream.dropped) ImGui::TextColored(kErrColor, "(%" PRIu64 " dropped: the ring was full)", m.stream.dropped);
  else ImGui::TextColored(kDimColor, "(none dropped)");
  draw_control(s, ui);
  ui.tab = 0;
  if (ImGui::BeginTabBar("panels")) {
    if (ImGui::BeginTabItem("Processes", nullptr, ui.want_tab == 0 ? ImGuiTabItemFlags_SetSelected : 0)) {
      ui.shown = 0;
      draw_processes(m.processes, ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("System calls", nullptr, ui.want_tab == 1 ? ImGuiTabItemFlags_SetSelected : 0)) {
      ui.shown = 1;
      draw_syscalls(m.syscalls, ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Files and disk", nullptr, ui.want_tab == 2 ? ImGuiTabItemFlags_SetSelected : 0)) {
      ui.shown = 2;
      draw_files(m.files, ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Registers", nullptr, ui.want_tab == 3 ? ImGuiTabItemFlags_SetSelected : 0)) {
      ui.shown = 3;
      ui.tab = 1;
      draw_registers(s, ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Code", nullptr, ui.want_tab == 4 ? ImGuiTabItemFlags_SetSelected : 0)) {
      ui.shown = 4;
      ui.tab = 2;
      draw_code(s, ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Memory", nullptr, ui.want_tab == 5 ? ImGuiTabItemFlags_SetSelected : 0)) {
      ui.shown = 5;
      ui.tab = 3;
      draw_memory(s, ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("JIT blocks", nullptr, ui.want_tab == 6 ? ImGuiTabItemFlags_SetSelected : 0)) {
      ui.shown = 6;
      ui.tab = 4;
      draw_blocks(s, ui);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
    ui.want_tab = -1;
  }
  ImGui::End();
}

//-----------------------------------------------------------------------------
// [SECTION] Processes panel
//-----------------------------------------------------------------------------
void draw_processes(const ProcessModel& m, UiState& ui) {
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                             ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("procs", 6, tf)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  const float ch = ImGui::CalcTextSize("0").x;
  ImGui::TableSetupColumn("pid", 0, ch * 6);
  ImGui::TableSetupColumn("parent", 0, ch * 6);
  ImGui::TableSetupColumn("state", 0, ch * 10);
  ImGui::TableSetupColumn("instructions", 0, ch * 12);
  ImGui::TableSetupColumn("execs", 0, ch * 5);
  ImGui::TableSetupColumn("command line", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin((int)m.rows.size());
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const ProcRow& p = m.rows[(size_t)i];
      ImGui::PushID(i);
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      char label[32];
      snprintf(label, sizeof label, "%d%s", p.tid, p.thread ? " (thread)" : "");
      if (ImGui::Selectable(label, ui.selected_tid == p.tid, ImGuiSelectableFlags_SpanAllColumns)) {
        ui.selected_tid = p.tid;
        ui.selected_pid = p.pid;
      }
      ImGui::TableNextColumn();
      ImGui::Text("%d", p.parent);
      ImGui::TableNextColumn();
      if (p.state == ProcRow::Running) ImGui::TextUnformatted("running");
      else if (p.state == ProcRow::Killed) ImGui::TextColored(kErrColor, "killed (%d)", p.status & 0x7f);
      else ImGui::TextColored((p.status >> 8) & 0xff ? kErrColor : kDimColor, "exit %d", (p.status >> 8) & 0xff);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, p.icount);
      ImGui::TableNextColumn();
      ImGui::Text("%u", p.execs);
      ImGui::TableNextColumn();
      ImGui::Indent((float)m.depth(p) * 10.0f + 0.01f);
      ImGui::TextUnformatted(p.cmdline.data(), p.cmdline.data() + p.cmdline.size());
      ImGui::Unindent((float)m.depth(p) * 10.0f + 0.01f);
      ImGui::PopID();
    }
  }
  ImGui::EndTable();
}

//-----------------------------------------------------------------------------
// [SECTION] System calls panel
//-----------------------------------------------------------------------------
static void apply_filter(SyscallModel& m, UiState& ui) {
  SyscallFilter f = m.filter;
  f.pid = ui.selected_only ? ui.selected_pid : 0;
  f.failed_only = ui.failed_only;
  f.nr = ui.call_filter[0] ? syscall_number(ui.call_filter) : -1;
  if (ui.call_filter[0] && f.nr < 0) f.nr = 0xffff;  // an unknown name matches nothing
  m.set_filter(f);
}

static void draw_counts(const SyscallModel& m) {
  static std::vector<int> order;  // kept across frames; refilled only when counts change
  static uint64_t seen = ~0ull;
  uint64_t total = 0;
  for (const CallCount& c : m.counts) total += c.calls;
  if (total != seen) {
    m.count_order(order);
    seen = total;
  }
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("counts", 4, tf, ImVec2(0, 160))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("calls");
  ImGui::TableSetupColumn("errors");
  ImGui::TableSetupColumn("usecs");
  ImGui::TableSetupColumn("syscall", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin((int)order.size());
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const int nr = order[(size_t)i];
      const CallCount& c = m.counts[nr];
      const char* n = nr < SyscallModel::kMaxNr ? syscall_name((unsigned)nr) : nullptr;
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%u", c.calls);
      ImGui::TableNextColumn();
      if (c.errors) ImGui::TextColored(kErrColor, "%u", c.errors);
      else ImGui::TextUnformatted("");
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, c.total_ns / 1000);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(n ? n : "other");
    }
  }
  ImGui::EndTable();
}

void draw_syscalls(SyscallModel& m, UiState& ui) {
  bool changed = ImGui::Checkbox("failed only", &ui.failed_only);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(140);
  changed |= ImGui::InputTextWithHint("##call", "call name", ui.call_filter, sizeof ui.call_filter);
  ImGui::SameLine();
  ImGui::Checkbox("counts (strace -c)", &ui.show_counts);
  ImGui::SameLine();
  ImGui::Checkbox("follow", &ui.follow);
  if (ui.selected_pid) {
    char label[48];
    snprintf(label, sizeof label, "process %d only", ui.selected_pid);
    changed |= ImGui::Checkbox(label, &ui.selected_only);
  }
  if (changed || m.filter.pid != (ui.selected_only ? ui.selected_pid : 0)) apply_filter(m, ui);
  ImGui::Text("%zu of %zu calls shown", m.visible.size(), m.rows.size());
  if (m.discarded) {
    ImGui::SameLine();
    ImGui::TextColored(kDimColor, "(%" PRIu64 " older discarded)", m.discarded);
  }
  if (ui.show_counts) draw_counts(m);

  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                             ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("calls", 4, tf)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  const float ch = ImGui::CalcTextSize("0").x;
  ImGui::TableSetupColumn("pid", 0, ch * 6);
  ImGui::TableSetupColumn("call", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("result", 0, ch * 14);
  ImGui::TableSetupColumn("usecs", 0, ch * 7);
  ImGui::TableHeadersRow();
  static std::string line;  // reused: grows to the longest line once, then stays
  ImGuiListClipper clip;
  clip.Begin((int)m.visible.size());
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const uint32_t at = m.visible[(size_t)i];
      const TraceRecord& r = m.rows[at];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%d", r.tid);
      ImGui::TableNextColumn();
      line.clear();
      const char* n = syscall_name(r.nr);
      line += n ? n : "?";
      line += '(';
      format_args(line, r);
      line += ')';
      ImGui::TextUnformatted(line.data(), line.data() + line.size());
      ImGui::TableNextColumn();
      line.clear();
      format_result(line, r.nr, r.ret);
      if (syscall_failed(r.ret)) ImGui::TextColored(kErrColor, "%s", line.c_str());
      else ImGui::TextUnformatted(line.data(), line.data() + line.size());
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, m.dur_ns[at] / 1000);
    }
  }
  if (ui.follow && ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 1.0f) ImGui::SetScrollHereY(1.0f);
  ImGui::EndTable();
}

//-----------------------------------------------------------------------------
// [SECTION] Files and disk panel
//-----------------------------------------------------------------------------
static ImU32 chunk_color(uint8_t state) {
  switch (state) {
    case CHUNK_FETCHED: return IM_COL32(70, 150, 255, 255);
    case CHUNK_OVERLAY: return IM_COL32(240, 170, 40, 255);
    case CHUNK_CACHED: return IM_COL32(120, 200, 120, 255);
    default: return IM_COL32(128, 128, 128, 60);
  }
}

// The image's chunks as a grid of small squares, filled in as reads arrive.
static void draw_chunk_map(const FilesModel& m) {
  const float cell = 6.0f, gap = 1.0f;
  const float width = ImGui::GetContentRegionAvail().x;
  const int per_row = width > cell ? (int)(width / (cell + gap)) : 1;
  const int n = (int)m.chunks.size();
  const int rows = n ? (n + per_row - 1) / per_row : 1;
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (int i = 0; i < n; i++) {
    const float x = at.x + (float)(i % per_row) * (cell + gap), y = at.y + (float)(i / per_row) * (cell + gap);
    dl->AddRectFilled(ImVec2(x, y), ImVec2(x + cell, y + cell), chunk_color(m.chunks[(size_t)i]));
  }
  ImGui::Dummy(ImVec2(width, (float)rows * (cell + gap)));
  const uint8_t legend[] = {CHUNK_FETCHED, CHUNK_OVERLAY, CHUNK_CACHED, CHUNK_UNSEEN};
  const char* const names[] = {"fetched now", "your changes (overlay)", "from memory", "not read"};
  for (int i = 0; i < 4; i++) {
    if (i) ImGui::SameLine();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    dl->AddRectFilled(ImVec2(p.x, p.y + h * 0.25f), ImVec2(p.x + h * 0.5f, p.y + h * 0.75f), chunk_color(legend[i]));
    ImGui::Dummy(ImVec2(h * 0.6f, h));
    ImGui::SameLine();
    ImGui::TextUnformatted(names[i]);
  }
}

void draw_files(const FilesModel& m, UiState& ui) {
  ImGui::Text("%" PRIu64 " bytes fetched, %u chunks fetched; reads: %" PRIu64 " cache, %" PRIu64 " overlay, %" PRIu64 " network",
              m.totals.bytes_fetched, m.chunks_fetched, m.totals.reads[SRC_CACHE], m.totals.reads[SRC_OVERLAY],
              m.totals.reads[SRC_NETWORK]);
  if (ui.selected_pid) {
    FileTotals t;
    m.totals_of(ui.selected_pid, t);
    ImGui::Text("process %d: %" PRIu64 " reads, %" PRIu64 " bytes fetched", ui.selected_pid,
                t.reads[0] + t.reads[1] + t.reads[2] + t.reads[3] + t.reads[4], t.bytes_fetched);
  }
  draw_chunk_map(m);
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                             ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("reads", 8, tf)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  const float ch = ImGui::CalcTextSize("0").x;
  ImGui::TableSetupColumn("pid", 0, ch * 6);
  ImGui::TableSetupColumn("what", 0, ch * 8);
  ImGui::TableSetupColumn("inode", 0, ch * 7);
  ImGui::TableSetupColumn("block", 0, ch * 7);
  ImGui::TableSetupColumn("disk block", 0, ch * 9);
  ImGui::TableSetupColumn("n", 0, ch * 4);
  ImGui::TableSetupColumn("from", 0, ch * 8);
  ImGui::TableSetupColumn("chunk / bytes", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin((int)m.rows.size());
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const FsReadRow& r = m.rows[(size_t)i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%d", r.tid);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(read_kind_name(r.what));
      ImGui::TableNextColumn();
      ImGui::Text("%u", r.ino);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, r.lblk);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, r.pblk);
      ImGui::TableNextColumn();
      ImGui::Text("%u", r.blocks);
      ImGui::TableNextColumn();
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(chunk_color(r.source == SRC_NETWORK ? CHUNK_FETCHED
                                                                     : r.source == SRC_OVERLAY ? CHUNK_OVERLAY
                                                                                               : CHUNK_CACHED)),
                         "%s", read_source_name(r.source));
      ImGui::TableNextColumn();
      if (r.chunk >= 0 && r.bytes_fetched) ImGui::Text("%" PRId64 " / %" PRIu64, r.chunk, r.bytes_fetched);
      else if (r.chunk >= 0) ImGui::Text("%" PRId64, r.chunk);
      else ImGui::TextUnformatted("");
    }
  }
  if (ui.follow && ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 1.0f) ImGui::SetScrollHereY(1.0f);
  ImGui::EndTable();
}

}  // namespace gbi
