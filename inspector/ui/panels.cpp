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

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "imgui.h"
#include "inspector/model/files_model.h"
#include "inspector/model/syscall_decode.h"
#include "inspector/model/text.h"

namespace gbi {

//-----------------------------------------------------------------------------
// [SECTION] helpers
//-----------------------------------------------------------------------------
static const ImVec4 kErrColor = ImVec4(1.0f, 0.45f, 0.40f, 1.0f);
static const ImVec4 kSignalColor = ImVec4(0.95f, 0.70f, 0.25f, 1.0f);  // signal rows of the calls table
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
      draw_processes(m.processes, s, ui);
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
void focus_process(StateModel* s, UiState& ui, int pid, int tid, bool running) {
  ui.selected_pid = pid;
  ui.selected_tid = tid;
  ui.selected_only = pid != 0;
  ui.files_selected_only = pid != 0;
  if (!s) return;
  const StatusState& st = s->status;
  if (pid && running && (pid != st.target_pid || !st.pinned)) s->follow(pid);
  else if (!pid && st.pinned) s->follow(0);
}

// One process's life on the shared time axis [t0, t1]: a bar from its fork (or first
// record) to its exit (or now), a tick at each exec, a red end if it was killed.
static void draw_timeline(const ProcRow& p, uint64_t t0, uint64_t t1) {
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x, h = ImGui::GetTextLineHeight();
  ImGui::Dummy(ImVec2(w, h));
  if (t1 <= t0 || w < 4) return;
  const double span = (double)(t1 - t0);
  auto x_of = [&](uint64_t t) { return at.x + (float)((double)(t < t0 ? 0 : t - t0) / span) * w; };
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float x0 = x_of(p.start_ns), x1 = p.state == ProcRow::Running ? at.x + w : x_of(p.end_ns);
  const ImU32 bar = p.jit_icount ? IM_COL32(110, 170, 255, 200) : IM_COL32(120, 190, 120, 200);
  dl->AddRectFilled(ImVec2(x0, at.y + h * 0.3f), ImVec2(x1 > x0 + 2 ? x1 : x0 + 2, at.y + h * 0.7f), bar);
  for (uint32_t e = 0; e < p.execs && e < 4; e++) {
    const float x = x_of(p.exec_ns[e]);
    dl->AddLine(ImVec2(x, at.y), ImVec2(x, at.y + h), IM_COL32(240, 170, 40, 255), 2.0f);
  }
  if (p.state != ProcRow::Running)
    dl->AddRectFilled(ImVec2(x1 - 2, at.y + h * 0.15f), ImVec2(x1 + 1, at.y + h * 0.85f),
                      p.state == ProcRow::Killed || ((p.status >> 8) & 0xff) ? IM_COL32(255, 90, 80, 255) : IM_COL32(160, 160, 160, 255));
}

void draw_processes(const ProcessModel& m, StateModel& s, UiState& ui) {
  const StatusState& st = s.status;
  if (ui.selected_pid) {
    ImGui::Text("Focus: process %d (System calls and Files show it only)", ui.selected_pid);
    ImGui::SameLine();
    if (ImGui::SmallButton("Clear focus")) focus_process(&s, ui, 0, 0, false);
  } else {
    ImGui::TextColored(kDimColor, "Select a process to focus every panel on it. > = followed (%d); timeline: fork | exec (orange) | exit",
                       st.target_pid);
  }
  // Nine columns do not fit a narrow pane: it scrolls sideways, and a right click on the
  // header hides columns.
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX |
                             ImGuiTableFlags_Resizable | ImGuiTableFlags_Hideable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("procs", 9, tf)) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  const float ch = ImGui::CalcTextSize("0").x;
  // The narrow pane shows the first columns: who, how much, when; the rest scrolls.
  ImGui::TableSetupColumn("pid", 0, ch * 8);
  ImGui::TableSetupColumn("program", 0, ch * 9);
  ImGui::TableSetupColumn("state", 0, ch * 9);
  ImGui::TableSetupColumn("CPU ms", 0, ch * 8);
  ImGui::TableSetupColumn("timeline", 0, ch * 20);
  ImGui::TableSetupColumn("tier", 0, ch * 11);
  ImGui::TableSetupColumn("instructions", 0, ch * 12);
  ImGui::TableSetupColumn("parent", 0, ch * 6);
  ImGui::TableSetupColumn("command line", 0, ch * 60);
  ImGui::TableHeadersRow();
  const uint64_t t0 = m.first_ns, t1 = m.last_ns;
  int scroll_to = -1;
  if (ui.proc_scroll) {  // once, after a focus from outside (gbi_focus)
    ui.proc_scroll = false;
    for (size_t i = m.rows.size(); i-- > 0;)
      if (m.rows[i].tid == ui.selected_tid) { scroll_to = (int)i; break; }
  }
  ImGuiListClipper clip;
  clip.Begin((int)m.rows.size());
  if (scroll_to >= 0) clip.ForceDisplayRangeByIndices(scroll_to, scroll_to + 1);
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const ProcRow& p = m.rows[(size_t)i];
      const bool followed = p.pid == st.target_pid && p.tid == p.pid && p.state == ProcRow::Running;
      ImGui::PushID(i);
      ImGui::TableNextRow();
      if (followed) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(90, 140, 255, 50));
      ImGui::TableNextColumn();
      char label[40];
      snprintf(label, sizeof label, "%s%d%s", followed ? "> " : "", p.tid, p.thread ? " (thread)" : "");
      if (ImGui::Selectable(label, ui.selected_tid == p.tid, ImGuiSelectableFlags_SpanAllColumns)) {
        if (ui.selected_tid == p.tid) focus_process(&s, ui, 0, 0, false);  // a second click: no focus
        else focus_process(&s, ui, p.pid, p.tid, p.state == ProcRow::Running);
      }
      if (i == scroll_to) ImGui::SetScrollHereY(0.5f);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(p.program.data(), p.program.data() + p.program.size());
      ImGui::TableNextColumn();
      if (p.state == ProcRow::Running) ImGui::TextUnformatted("running");
      else if (p.state == ProcRow::Killed) ImGui::TextColored(kErrColor, "killed (%d)", p.status & 0x7f);
      else ImGui::TextColored((p.status >> 8) & 0xff ? kErrColor : kDimColor, "exit %d", (p.status >> 8) & 0xff);
      ImGui::TableNextColumn();
      if (p.figures) ImGui::Text("%.1f", (double)p.cpu_ns / 1e6);
      else ImGui::TextColored(kDimColor, "-");
      ImGui::TableNextColumn();
      draw_timeline(p, t0, t1);
      ImGui::TableNextColumn();
      char tier[32];
      tier_text(p, tier, sizeof tier);
      ImGui::TextUnformatted(tier);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, p.icount);
      ImGui::TableNextColumn();
      ImGui::Text("%d", p.parent);
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

bool show_call(SyscallModel& m, UiState& ui, uint64_t seq) {
  const long at = m.row_of_seq(seq);
  if (at < 0) return false;
  if (!m.passes(m.rows[(size_t)at])) {  // hidden by a filter: show everything
    ui.failed_only = false;
    ui.call_filter[0] = 0;
    ui.selected_only = false;
    apply_filter(m, ui);
  }
  auto v = std::lower_bound(m.visible.begin(), m.visible.end(), (uint32_t)at);
  ui.call_seq = seq;
  ui.scroll_to = (int)(v - m.visible.begin());
  ui.follow = false;
  return true;
}

// The selected call: its whole line, where its fd came from (a button to that call), and
// its buffer as text and as hex.
static void draw_call_detail(SyscallModel& m, UiState& ui, long at) {
  static std::string text;  // reused: no allocation once grown
  const TraceRecord& r = m.rows[(size_t)at];
  text.clear();
  format_call(text, r, m.shapes);
  ImGui::TextWrapped("#%" PRIu64 " [%d] %s", r.seq, r.tid, text.c_str());
  const int fd = m.fd_used[(size_t)at];
  if (fd >= 0) {
    const uint64_t origin = m.fd_origin[(size_t)at];
    text.clear();
    m.describe_origin(text, origin);
    const long from = origin ? m.row_of_seq(origin) : -1;
    if (from >= 0) {  // a call in the table: a button to it
      char label[48];
      snprintf(label, sizeof label, "Go to where fd %d was opened", fd);
      if (ImGui::SmallButton(label)) show_call(m, ui, origin);
    }
    ImGui::TextWrapped("fd %d from: %s", fd, text.c_str());
  }
  if (!r.data_len) return;
  text.clear();
  gb::quote_bytes(text, r.data, r.data_len, r.flags & gb::REC_TRUNCATED);
  ImGui::TextWrapped("text: %s", text.c_str());
  text.clear();
  hex_dump(text, r.data, r.data_len);
  ImGui::TextUnformatted(text.data(), text.data() + text.size());
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
  ImGui::Text("%zu of %zu rows shown (calls and signals)", m.visible.size(), m.rows.size());
  if (m.discarded) {
    ImGui::SameLine();
    ImGui::TextColored(kDimColor, "(%" PRIu64 " older discarded)", m.discarded);
  }
  if (ui.show_counts) draw_counts(m);

  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                             ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingFixedFit;
  const long detail = ui.call_seq ? m.row_of_seq(ui.call_seq) : -1;
  const float detail_h = detail >= 0 ? ImGui::GetTextLineHeightWithSpacing() * 8.0f : 0.0f;  // (it scrolls)
  if (!ImGui::BeginTable("calls", 4, tf, ImVec2(0, detail >= 0 ? -detail_h : 0))) return;
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
  const int scroll_to = ui.scroll_to < (int)m.visible.size() ? ui.scroll_to : -1;
  if (scroll_to >= 0) clip.ForceDisplayRangeByIndices(scroll_to, scroll_to + 1);
  ui.scroll_to = -1;
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const uint32_t at = m.visible[(size_t)i];
      const TraceRecord& r = m.rows[at];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      char label[24];
      snprintf(label, sizeof label, "%d##%u", r.tid, at);
      if (ImGui::Selectable(label, ui.call_seq == r.seq, ImGuiSelectableFlags_SpanAllColumns)) {
        ui.call_seq = ui.call_seq == r.seq ? 0 : r.seq;
        ui.follow = false;
      }
      if (i == scroll_to) ImGui::SetScrollHereY(0.5f);
      ImGui::TableNextColumn();
      line.clear();
      if (r.kind == RecKind::Signal) {  // a signal acted on, between the calls: --- SIGSEGV {...} ---
        format_signal(line, r);
        ImGui::TextColored(kSignalColor, "%s", line.c_str());
        ImGui::TableNextColumn();
        line.clear();
        format_signal_action(line, r);
        ImGui::TextColored(r.ret == gb::SigKilled ? kErrColor : kSignalColor, "%s", line.c_str());
        ImGui::TableNextColumn();
        continue;
      }
      const char* n = syscall_name(r.nr);
      line += n ? n : "?";
      line += '(';
      format_args(line, r, m.shapes);
      line += ')';
      ImGui::TextUnformatted(line.data(), line.data() + line.size());
      ImGui::TableNextColumn();
      line.clear();
      format_result(line, r.nr, r.ret, m.shapes);
      if (syscall_failed(r.ret)) ImGui::TextColored(kErrColor, "%s", line.c_str());
      else ImGui::TextUnformatted(line.data(), line.data() + line.size());
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, m.dur_ns[at] / 1000);
    }
  }
  if (ui.follow && ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 1.0f) ImGui::SetScrollHereY(1.0f);
  ImGui::EndTable();
  if (detail >= 0 && ImGui::BeginChild("call detail", ImVec2(0, 0), true)) draw_call_detail(m, ui, detail);
  if (detail >= 0) ImGui::EndChild();
}

//-----------------------------------------------------------------------------
// [SECTION] Files and disk panel
//-----------------------------------------------------------------------------
static ImU32 chunk_color(uint8_t state) {
  switch (state) {
    case CHUNK_FETCHED: return IM_COL32(70, 150, 255, 255);
    case CHUNK_OVERLAY: return IM_COL32(240, 170, 40, 255);
    case CHUNK_CACHED: return IM_COL32(120, 200, 120, 255);
    case CHUNK_EARLIER: return IM_COL32(120, 200, 120, 120);
    default: return IM_COL32(128, 128, 128, 60);
  }
}

// The image's chunks as a grid of small squares, filled in as reads arrive.
static void draw_chunk_map(const FilesModel& m) {
  const float width = ImGui::GetContentRegionAvail().x;
  const float cell = m.chunks.size() * 7.0f > width * 16.0f ? 3.0f : 6.0f, gap = 1.0f;  // a big image: smaller squares
  const int per_row = width > cell ? (int)(width / (cell + gap)) : 1;
  const int n = (int)m.chunks.size();
  const int rows = n ? (n + per_row - 1) / per_row : 1;
  // A big image scrolls in at most a third of the panel (the reads table keeps the rest).
  const float map_h = (float)rows * (cell + gap), max_h = ImGui::GetContentRegionAvail().y * 0.33f;
  const bool scrolls = map_h > max_h && max_h > cell * 4;
  if (scrolls) ImGui::BeginChild("chunk map", ImVec2(width, max_h));
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float top = ImGui::GetWindowPos().y, bottom = top + ImGui::GetWindowHeight();
  for (int i = 0; i < n; i++) {
    const float x = at.x + (float)(i % per_row) * (cell + gap), y = at.y + (float)(i / per_row) * (cell + gap);
    if (scrolls && (y + cell < top || y > bottom)) continue;  // out of the child's view
    dl->AddRectFilled(ImVec2(x, y), ImVec2(x + cell, y + cell), chunk_color(m.chunks[(size_t)i]));
  }
  ImGui::Dummy(ImVec2(width - (scrolls ? ImGui::GetStyle().ScrollbarSize : 0.0f), map_h));
  if (scrolls) ImGui::EndChild();
  const uint8_t legend[] = {CHUNK_FETCHED, CHUNK_OVERLAY, CHUNK_CACHED, CHUNK_EARLIER, CHUNK_UNSEEN};
  const char* const names[] = {"fetched now", "your changes (overlay)", "from memory", "fetched before the inspector", "not read"};
  for (int i = 0; i < 5; i++) {
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
  ImGui::Text("%" PRIu64 " bytes fetched, %u chunks fetched; reads: %" PRIu64 " cache, %" PRIu64 " overlay, %" PRIu64
              " network; %" PRIu64 " blocks written",
              m.totals.bytes_fetched, m.chunks_fetched, m.totals.reads[SRC_CACHE], m.totals.reads[SRC_OVERLAY],
              m.totals.reads[SRC_NETWORK], m.totals.blocks[SRC_WRITTEN]);
  if (m.chunks_total) {
    ImGui::TextColored(kDimColor, "%u of the image's %" PRIu64 " chunks were in the cache before the inspector opened", m.chunks_earlier,
                       m.chunks_total);
  }
  if (ui.selected_pid) {
    FileTotals t;
    m.totals_of(ui.selected_pid, t);
    ImGui::Text("process %d: %" PRIu64 " reads, %" PRIu64 " bytes fetched, %" PRIu64 " blocks written", ui.selected_pid,
                t.reads[0] + t.reads[1] + t.reads[2] + t.reads[3] + t.reads[4], t.bytes_fetched, t.blocks[SRC_WRITTEN]);
    ImGui::SameLine();
    char label[48];
    snprintf(label, sizeof label, "process %d only##files", ui.selected_pid);
    ImGui::Checkbox(label, &ui.files_selected_only);
  }
  draw_chunk_map(m);
  // The rows shown: all, or the focused process's (recomputed when rows or the focus change).
  static std::vector<uint32_t> vis;
  static size_t vis_rows = ~(size_t)0;
  static uint64_t vis_discarded = 0;
  static int vis_pid = -1;
  const int pid = ui.files_selected_only ? ui.selected_pid : 0;
  if (pid && (vis_rows != m.rows.size() || vis_discarded != m.discarded || vis_pid != pid)) {
    vis.clear();
    for (size_t i = 0; i < m.rows.size(); i++)
      if (m.rows[i].pid == pid) vis.push_back((uint32_t)i);
    vis_rows = m.rows.size();
    vis_discarded = m.discarded;
    vis_pid = pid;
  }
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX |
                             ImGuiTableFlags_Resizable | ImGuiTableFlags_Hideable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("reads", 9, tf)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  const float ch = ImGui::CalcTextSize("0").x;
  ImGui::TableSetupColumn("pid", 0, ch * 6);
  ImGui::TableSetupColumn("what", 0, ch * 8);
  ImGui::TableSetupColumn("inode", 0, ch * 7);
  ImGui::TableSetupColumn("path", 0, ch * 34);
  ImGui::TableSetupColumn("block", 0, ch * 7);
  ImGui::TableSetupColumn("disk block", 0, ch * 9);
  ImGui::TableSetupColumn("n", 0, ch * 4);
  ImGui::TableSetupColumn("from", 0, ch * 8);
  ImGui::TableSetupColumn("chunk / bytes", 0, ch * 16);
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin(pid ? (int)vis.size() : (int)m.rows.size());
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const FsReadRow& r = m.rows[pid ? vis[(size_t)i] : (size_t)i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%d", r.tid);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(read_kind_name(r.what));
      ImGui::TableNextColumn();
      ImGui::Text("%u", r.ino);
      ImGui::TableNextColumn();
      if (const std::string* path = r.ino ? m.path_of(r.ino) : nullptr) ImGui::TextUnformatted(path->data(), path->data() + path->size());
      else ImGui::TextUnformatted("");
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, r.lblk);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, r.pblk);
      ImGui::TableNextColumn();
      ImGui::Text("%u", r.blocks);
      ImGui::TableNextColumn();
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(chunk_color(r.source == SRC_NETWORK ? CHUNK_FETCHED
                                                                     : r.source == SRC_OVERLAY || r.source == SRC_WRITTEN ? CHUNK_OVERLAY
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
