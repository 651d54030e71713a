// inspector/ui/state_panels.cpp — the panels over state requests (inspector/state/):
// the control bar, Registers, Code, Memory and JIT blocks (with a compiled region's x86
// next to its WebAssembly).
//
// Index of this file:
// [SECTION] helpers
// [SECTION] control bar: pause, resume, step, run to a syscall, follow / pin
// [SECTION] Registers panel
// [SECTION] Code panel
// [SECTION] Memory panel
// [SECTION] JIT blocks panel
//
// Same rules as panels.cpp: the model is the data (decoded when a reply arrives), these
// functions only draw it; text goes through stack buffers; buttons queue commands in the
// model (StateModel::commands) that the page sends to the engine.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "imgui.h"
#include "inspector/ui/panels.h"
#include "inspector/ui/theme.h"
#include "vm/base/abi.h"

namespace gbi {

//-----------------------------------------------------------------------------
// [SECTION] helpers
//-----------------------------------------------------------------------------
// Highlight colours: the IDE's own for the theme shown (theme.cpp: --warn, --ok, --fg-muted, --err).
static ImVec4 changed_color() { return palette().warn; }
static ImVec4 rip_color() { return palette().ok; }
static ImVec4 dim() { return palette().fg_muted; }
static ImVec4 bad() { return palette().err; }

static const char* reason_text(uint32_t r) {
  switch (r & 0xff) {
    case 1: return "paused";
    case 2: return "after one step";
    case 3: return "at a breakpoint";
    case 4: return "before a system call";
    case 6: return "before a signal";
    default: return "";
  }
}

static bool is_break(const StateModel& s, uint64_t addr) {
  for (uint64_t a : s.addr_breaks)
    if (a == addr) return true;
  const uint64_t bias = s.load_bias();
  for (const StateModel::Break& b : s.path_breaks)
    if (b.path == s.exe && (b.pie ? b.vaddr + bias : b.vaddr) == addr) return true;
  return false;
}

//-----------------------------------------------------------------------------
// [SECTION] control bar
//-----------------------------------------------------------------------------
void draw_control(StateModel& s, UiState& ui) {
  const StatusState& st = s.status;
  // keys while the canvas has focus (the page keeps them from the browser): F5 pause /
  // resume, F10 step over, F11 step, F8 to the next system call (DOM key codes)
  if (ImGui::IsKeyPressed(116, false)) s.command(st.halted ? "resume" : "pause");
  if (st.halted && ImGui::IsKeyPressed(121, false)) s.command("over", st.tid);
  const bool shift = ImGui::GetIO().KeyShift;
  if (st.halted && ImGui::IsKeyPressed(122, false)) s.command(shift ? "out" : "step", st.tid);
  if (st.halted && ImGui::IsKeyPressed(119, false)) s.command("syscall", st.tid);
  if (st.halted) {
    if (ImGui::Button("Resume")) s.command("resume");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("F5; F11 step, F10 over, Shift+F11 out, F8 to the next system call");
  } else if (ImGui::Button("Pause")) {
    s.command("pause");
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(!st.halted);
  if (ImGui::Button("Step")) s.command("step", st.tid);
  ImGui::SameLine();
  if (ImGui::Button("Over")) s.command("over", st.tid);
  ImGui::SameLine();
  if (ImGui::Button("Out")) s.command("out", st.tid);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Run until this function returns (Shift+F11)");
  ImGui::SameLine();
  if (ImGui::Button("To next syscall")) s.command("syscall", st.tid);
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (st.halted && (st.reason & 0xff) == 6) {
    const char* sn = gb::signal_name((int)(st.reason >> 8));
    ImGui::TextColored(changed_color(), "stopped before %s, process %d", sn ? sn : "a signal", st.stop_pid ? st.stop_pid : st.pid);
  } else if (st.halted) {
    ImGui::TextColored(changed_color(), "stopped %s, process %d", reason_text(st.reason), st.stop_pid ? st.stop_pid : st.pid);
  }
  else ImGui::TextColored(dim(), "running");
  ImGui::SameLine();
  char label[64];
  if (st.pinned) {
    snprintf(label, sizeof label, "Unpin %d", st.target_pid);
    if (ImGui::SmallButton(label)) s.follow(0);
  } else {
    ImGui::TextColored(dim(), "| following the terminal: %d", st.target_pid);
    if (ui.selected_pid && ui.selected_pid != st.target_pid) {
      ImGui::SameLine();
      snprintf(label, sizeof label, "Pin %d", ui.selected_pid);
      if (ImGui::SmallButton(label)) s.follow(ui.selected_pid);
    }
  }
}

//-----------------------------------------------------------------------------
// [SECTION] Registers panel
//-----------------------------------------------------------------------------
static void reg_row(const char* name, uint64_t v, bool changed) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(name);
  ImGui::TableNextColumn();
  if (changed) ImGui::TextColored(changed_color(), "%016" PRIx64, v);
  else ImGui::Text("%016" PRIx64, v);
  ImGui::TableNextColumn();
  ImGui::Text("%" PRId64, (int64_t)v);
}

void draw_registers(StateModel& s, UiState& ui) {
  const RegsModel& r = s.regs;
  if (!r.have) { ImGui::TextColored(dim(), "No registers yet: pause the machine or run a program."); return; }
  const RegsState& c = r.cur;
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV;
  if (ImGui::BeginTable("gprs", 3, tf)) {
    ImGui::TableSetupColumn("register");
    ImGui::TableSetupColumn("hex");
    ImGui::TableSetupColumn("signed", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    for (int i = 0; i < 16; i++) reg_row(kGprNames[i], c.r[i], (r.changed >> i) & 1);
    reg_row("rip", c.rip, (r.changed >> kSlotRip) & 1);
    reg_row("fs_base", c.fs_base, (r.changed >> kSlotFs) & 1);
    ImGui::EndTable();
  }
  char f[96];
  rflags_text(c.rflags, f, sizeof f);
  const ImVec4 fc = (r.changed >> kSlotRflags) & 1 ? changed_color() : ImGui::GetStyleColorVec4(ImGuiCol_Text);
  ImGui::TextColored(fc, "rflags %08" PRIx64 "  [%s]", c.rflags, f);
  char sym[96];
  s.symbolize(c.rip, sym, sizeof sym);
  if (sym[0]) ImGui::Text("rip is in %s", sym);
  ImGui::Separator();
  ImGui::TextUnformatted("xmm as");
  ImGui::SameLine();
  ImGui::RadioButton("hex", &ui.xmm_view, 0);
  ImGui::SameLine();
  ImGui::RadioButton("float x4", &ui.xmm_view, 1);
  ImGui::SameLine();
  ImGui::RadioButton("double x2", &ui.xmm_view, 2);
  for (int i = 0; i < 16; i++) {
    char line[160];
    const uint8_t* x = c.xmm[i];
    if (ui.xmm_view == 1) {
      float v[4];
      memcpy(v, x, 16);
      snprintf(line, sizeof line, "xmm%-2d %g  %g  %g  %g", i, v[0], v[1], v[2], v[3]);
    } else if (ui.xmm_view == 2) {
      double v[2];
      memcpy(v, x, 16);
      snprintf(line, sizeof line, "xmm%-2d %.17g  %.17g", i, v[0], v[1]);
    } else {
      uint64_t lo, hi;
      memcpy(&lo, x, 8);
      memcpy(&hi, x + 8, 8);
      snprintf(line, sizeof line, "xmm%-2d %016" PRIx64 " %016" PRIx64, i, hi, lo);
    }
    if ((r.xmm_changed >> i) & 1) ImGui::TextColored(changed_color(), "%s", line);
    else ImGui::TextUnformatted(line);
  }
  ImGui::Separator();
  ImGui::Text("x87: top %u  fcw %04x  fsw %04x  mxcsr %08x", c.top, c.fcw, c.fsw, c.mxcsr);
  for (int i = 0; i < 8; i++) {
    char v[48];
    x87_text(c, i, v, sizeof v);
    if ((r.st_changed >> i) & 1) ImGui::TextColored(changed_color(), "st(%d) %s", i, v);
    else ImGui::Text("st(%d) %s", i, v);
  }
}

//-----------------------------------------------------------------------------
// [SECTION] Code panel
//-----------------------------------------------------------------------------
void draw_code(StateModel& s, UiState& ui) {
  bool att = s.code.att;
  if (ImGui::Checkbox("AT&T syntax", &att)) s.set_syntax(att);  // (the JIT panel's block and region too)
  ImGui::SameLine();
  ImGui::SetNextItemWidth(160);
  const bool enter = ImGui::InputTextWithHint("##break", "main, hello.c:5, 0x401000, SIGSEGV", ui.break_text, sizeof ui.break_text,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if (ImGui::Button("Break") || enter) {
    std::string err;
    if (s.add_break(ui.break_text, "", err)) ui.break_error[0] = 0;
    else snprintf(ui.break_error, sizeof ui.break_error, "%s", err.c_str());
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(100);
  const bool enter2 = ImGui::InputTextWithHint("##sysbreak", "syscall", ui.sys_break_text, sizeof ui.sys_break_text,
                                               ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Break on call") || enter2) && ui.sys_break_text[0]) s.add_syscall_break(ui.sys_break_text);
  const size_t nb = s.path_breaks.size() + s.addr_breaks.size() + s.syscall_breaks.size() + s.line_breaks.size() +
                    s.signal_breaks.size();
  if (nb) {
    ImGui::SameLine();
    char label[48];
    snprintf(label, sizeof label, "Clear %zu breakpoint%s", nb, nb == 1 ? "" : "s");
    if (ImGui::SmallButton(label)) s.clear_breaks();
  }
  // the breakpoints (one list with the editor's dots): a button each removes it
  int removed = -1, kind = 0;
  for (size_t i = 0; i < s.line_breaks.size(); i++) {
    char label[160];
    const std::string& f = s.line_breaks[i].file;
    const size_t slash = f.rfind('/');
    snprintf(label, sizeof label, "x %s:%u##lb%zu", f.c_str() + (slash == std::string::npos ? 0 : slash + 1), s.line_breaks[i].line, i);
    if (i) ImGui::SameLine();
    if (ImGui::SmallButton(label)) { removed = (int)i; kind = 1; }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("remove this breakpoint (%s)", s.line_breaks[i].path.c_str());
  }
  for (size_t i = 0; i < s.path_breaks.size(); i++) {
    char label[160];
    snprintf(label, sizeof label, "x %s##pb%zu", s.path_breaks[i].label.c_str(), i);
    if (i || !s.line_breaks.empty()) ImGui::SameLine();
    if (ImGui::SmallButton(label)) { removed = (int)i; kind = 2; }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("remove this breakpoint (%s)", s.path_breaks[i].path.c_str());
  }
  if (kind == 1) s.line_breaks.erase(s.line_breaks.begin() + removed);
  if (kind == 2) s.path_breaks.erase(s.path_breaks.begin() + removed);
  if (kind) s.send_breaks();
  if (ui.break_error[0]) ImGui::TextColored(bad(), "%s", ui.break_error);
  if (s.symbols.path.empty() || s.symbols.path != s.exe) ImGui::TextColored(dim(), "%s (no symbols yet)", s.exe.c_str());
  else ImGui::TextColored(dim(), "%s: %zu symbols%s, %s", s.exe.c_str(), s.symbols.syms.size(),
                          s.symbols.elf_type == 3 ? ", position independent" : "",
                          s.symbols.lines.empty() ? "no line table (build with gcc -g)" : "source lines from DWARF");
  if (!s.line_view.empty()) {  // the editor asked for a line's instructions
    ImGui::TextColored(rip_color(), "%s (from the editor):", s.line_view_label.c_str());
    for (const DisasmLine& l : s.line_view) ImGui::Text("   %012" PRIx64 "  %s", l.address, l.text);
    ImGui::Separator();
  }
  if (s.code.lines.empty()) { ImGui::TextColored(dim(), "No code: nothing is followed, or rip is not readable."); return; }
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("code", 4, tf)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn(" ");
  ImGui::TableSetupColumn("address");
  ImGui::TableSetupColumn("bytes");
  ImGui::TableSetupColumn("instruction", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  char last_src[128] = "";
  for (int i = 0; i < (int)s.code.lines.size(); i++) {
    const DisasmLine& l = s.code.lines[(size_t)i];
    char sym[128];
    s.symbolize(l.address, sym, sizeof sym);
    if (sym[0] && !strchr(sym, '+')) {  // a symbol starts here: its name as a label row
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TableNextColumn();
      ImGui::TextColored(dim(), "<%s>:", sym);
    }
    char src[128];
    if (s.source_line(l.address, src, sizeof src) && (i == 0 || strcmp(src, last_src) != 0)) {  // a new source line
      snprintf(last_src, sizeof last_src, "%s", src);
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TableNextColumn();
      ImGui::TextColored(changed_color(), "%s", src);
    }
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    const bool at = i == s.code.rip_line;
    ImGui::TextColored(is_break(s, l.address) ? bad() : rip_color(), "%s%s", is_break(s, l.address) ? "*" : " ", at ? "=>" : "  ");
    ImGui::TableNextColumn();
    if (at) ImGui::TextColored(rip_color(), "%012" PRIx64, l.address);
    else ImGui::Text("%012" PRIx64, l.address);
    ImGui::TableNextColumn();
    char hex[3 * 16 + 1];
    int o = 0;
    for (int k = 0; k < l.size && k < 8; k++) o += snprintf(hex + o, sizeof hex - (size_t)o, "%02x ", l.bytes[k]);
    hex[o] = 0;
    ImGui::TextColored(dim(), "%s", hex);
    ImGui::TableNextColumn();
    if (l.bad) ImGui::TextColored(bad(), "%s  (not an instruction)", l.text);
    else if (at) ImGui::TextColored(rip_color(), "%s", l.text);
    else ImGui::TextUnformatted(l.text);
  }
  ImGui::EndTable();
}

//-----------------------------------------------------------------------------
// [SECTION] Memory panel
//-----------------------------------------------------------------------------
static ImU32 map_color(const MapEntry& m) {
  if (m.name == "[stack]") return IM_COL32(230, 140, 60, 255);
  if (m.name == "[heap]") return IM_COL32(220, 200, 70, 255);
  if (m.perms[2] == 'x') return IM_COL32(80, 140, 230, 255);
  if (m.perms[1] == 'w') return IM_COL32(90, 190, 110, 255);
  if (m.perms[0] == 'r') return IM_COL32(150, 150, 160, 255);
  return IM_COL32(90, 60, 60, 255);
}

void draw_memory(StateModel& s, UiState& ui) {
  // the address space as a bar: each mapping a segment (width by log of its size, in
  // address order), gaps as thin ticks; hover for the line
  const float w = ImGui::GetContentRegionAvail().x, h = 26;
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  double total = 0;
  for (const MapEntry& m : s.maps) total += log2((double)(m.end - m.start) / 4096.0 + 1) + 1;
  float x = p0.x;
  const MapEntry* hover = nullptr;
  for (size_t i = 0; i < s.maps.size() && total > 0; i++) {
    const MapEntry& m = s.maps[i];
    const float seg = (float)((log2((double)(m.end - m.start) / 4096.0 + 1) + 1) / total) * w;
    const bool gap = i > 0 && s.maps[i - 1].end != m.start;
    dl->AddRectFilled(ImVec2(x, p0.y), ImVec2(x + seg - 1, p0.y + h), map_color(m));
    if (gap) dl->AddLine(ImVec2(x, p0.y - 3), ImVec2(x, p0.y + h + 3), IM_COL32(255, 255, 255, 200));
    if (s.mem_addr >= m.start && s.mem_addr < m.end) dl->AddRect(ImVec2(x, p0.y), ImVec2(x + seg - 1, p0.y + h), IM_COL32(255, 60, 60, 255), 0, 0, 2);
    if (ImGui::IsMouseHoveringRect(ImVec2(x, p0.y), ImVec2(x + seg, p0.y + h))) hover = &m;
    x += seg;
  }
  ImGui::Dummy(ImVec2(w, h + 4));
  if (hover) ImGui::SetTooltip("%" PRIx64 "-%" PRIx64 " %.4s %s", hover->start, hover->end, hover->perms, hover->name.c_str());
  ImGui::TextColored(dim(), "blue code, green data, grey read-only, yellow heap, orange stack; white tick: a gap");
  // the hex view
  ImGui::SetNextItemWidth(180);
  const bool go = ImGui::InputTextWithHint("##addr", "address (default rsp)", ui.mem_text, sizeof ui.mem_text,
                                           ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if (ImGui::Button("Show") || go) ui.mem_addr = ui.mem_text[0] ? strtoull(ui.mem_text, nullptr, 16) : 0;
  const MapEntry* at = map_at(s.maps, s.mem_addr);
  ImGui::SameLine();
  if (at) ImGui::Text("in %.4s %s", at->perms, at->name.empty() ? "(anonymous)" : at->name.c_str());
  else ImGui::TextColored(bad(), "not mapped");
  if (ImGui::BeginTable("hex", 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg, ImVec2(0, 260))) {
    for (size_t r = 0; r < s.mem.size(); r += 16) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%012" PRIx64, s.mem_addr + r);
      ImGui::TableNextColumn();
      char hex[16 * 3 + 2], asc[17];
      int o = 0;
      for (size_t i = r; i < r + 16; i++) {
        const bool ok = i < s.mem.size() && s.mem_valid[i];
        o += snprintf(hex + o, sizeof hex - (size_t)o, ok ? "%02x " : "?? ", ok ? s.mem[i] : 0);
        asc[i - r] = ok && s.mem[i] >= 32 && s.mem[i] < 127 ? (char)s.mem[i] : '.';
      }
      asc[16] = 0;
      if (!s.mem_valid[r]) ImGui::TextColored(bad(), "%s", hex);
      else ImGui::TextUnformatted(hex);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.mem_valid[r] ? asc : "(not mapped)");
    }
    ImGui::EndTable();
  }
  if (ImGui::BeginTable("maps", 4, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY)) {
    ImGui::TableSetupColumn("range");
    ImGui::TableSetupColumn("perms");
    ImGui::TableSetupColumn("offset");
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    for (const MapEntry& m : s.maps) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%012" PRIx64 "-%012" PRIx64, m.start, m.end);
      ImGui::TableNextColumn();
      ImGui::Text("%.4s", m.perms);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIx64, m.offset);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(m.name.c_str());
    }
    ImGui::EndTable();
  }
}

//-----------------------------------------------------------------------------
// [SECTION] JIT blocks panel
//-----------------------------------------------------------------------------
// Asks for the compiled region holding the block at `start` (shown below the lists).
static void request_region(StateModel& s, uint64_t start) {
  char q[160];
  snprintf(q, sizeof q, "{\"op\":\"region\",\"addr\":\"0x%" PRIx64 "\",\"tid\":%d,\"purpose\":3}", start, s.status.tid);
  s.commands.push_back(q);
}

// The region: x86 next to wasm, one line per wasm line. Hovering any line of a row (an
// x86 instruction, or a wasm line made from it) highlights the row's lines: its x86 and
// all its wasm (RegionModel::row_lines; one frame late, as ImGui learns the hover).
static void draw_region(const RegionModel& r, UiState& ui) {
  if (!r.have) {
    if (!r.error.empty()) ImGui::TextColored(dim(), "%s", r.error.c_str());
    ui.region_hover = -1;
    return;
  }
  ImGui::TextColored(rip_color(), "compiled region %012" PRIx64 "..%012" PRIx64 ": %zu blocks, %u x86 instructions -> %zu wasm bytes",
                     r.start, r.end, r.block_starts.size(), r.insns, r.wasm.size());
  ImGui::TextColored(dim(), "each x86 instruction next to the WebAssembly made from it (hover one: its wasm lights up)");
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY |
                             ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable;
  const float h = ImGui::GetContentRegionAvail().y;
  if (!ImGui::BeginTable("region", 3, tf, ImVec2(0, h > 240 ? h : 240))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("address");
  ImGui::TableSetupColumn("x86");
  ImGui::TableSetupColumn("wasm", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  int hovered = -1;
  const ImU32 lit = ImGui::GetColorU32(ImGuiCol_Header);
  ImGuiListClipper clip;
  clip.Begin((int)r.lines.size());
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const RegionModel::Line& l = r.lines[(size_t)i];
      const RegionRow& row = r.rows[l.row];
      ImGui::TableNextRow();
      if ((int)l.row == ui.region_hover) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, lit);
      ImGui::TableNextColumn();
      const bool first = l.w <= 0;
      // an invisible item over the whole line: its hover is the row's
      ImGui::PushID(i);
      ImGui::Selectable("##l", false, ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap);
      if (ImGui::IsItemHovered()) hovered = (int)l.row;
      ImGui::PopID();
      ImGui::SameLine(0, 0);
      if (first && row.kind == RegionRow::Insn) ImGui::Text("%012" PRIx64, row.addr);
      else if (first && row.kind == RegionRow::Block) ImGui::TextColored(changed_color(), "%012" PRIx64, row.addr);
      else ImGui::TextUnformatted("");
      ImGui::TableNextColumn();
      if (first) {
        if (row.kind == RegionRow::Prologue) ImGui::TextColored(dim(), "(entry)");
        else if (row.kind == RegionRow::Block) ImGui::TextColored(changed_color(), "block %u, %u insns", row.block, row.n);
        else ImGui::TextUnformatted(row.x86.c_str());
      }
      if (first && row.kind == RegionRow::Prologue && ImGui::IsItemHovered())
        ImGui::SetTooltip("the region's entry: the guest registers it uses loaded into wasm locals, then a loop over a\n"
                          "br_table that jumps to the block entered (a region has several entries)");
      ImGui::TableNextColumn();
      if (l.w >= 0) {
        const std::string& w = row.wasm[(size_t)l.w];
        if (w.compare(0, 2, ";;") == 0) ImGui::TextColored(dim(), "%s", w.c_str());
        else ImGui::TextUnformatted(w.c_str());
      }
    }
  }
  ImGui::EndTable();
  ui.region_hover = hovered;
}

// The compiled regions of the followed process, most run entry first (RegionList).
static void draw_region_list(StateModel& s, float height) {
  JitModel& j = s.jit;
  if (j.list.empty()) {
    ImGui::TextColored(dim(), "No compiled region in process %d (the JIT compiles a block run 4000 times; ?jit=on).", s.status.pid);
    return;
  }
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY |
                             ImGuiTableFlags_BordersInnerV;
  if (!ImGui::BeginTable("regions", 8, tf, ImVec2(0, height))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("start");
  ImGui::TableSetupColumn("symbol");
  ImGui::TableSetupColumn("end");
  ImGui::TableSetupColumn("blocks");
  ImGui::TableSetupColumn("x86 insns");
  ImGui::TableSetupColumn("wasm bytes");
  ImGui::TableSetupColumn("compile us");
  ImGui::TableSetupColumn("runs interpreted", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin((int)j.list.size());
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const gb::RegionSummaryState& x = j.list[(size_t)i];
      ImGui::PushID(i);
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      char label[32];
      snprintf(label, sizeof label, "%012" PRIx64, x.start);
      if (ImGui::Selectable(label, j.sel == i, ImGuiSelectableFlags_SpanAllColumns)) {
        j.sel = i;
        request_region(s, x.start);
      }
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("table slot %u; compile time is its own: its generation plus its share, by code size,\n"
                          "of its module's (a batch of up to 16 regions) assembly, compile and instantiation;\n"
                          "runs: its entry block's, as the interpreter counted them (compiled code does not count)", x.table_index);
      ImGui::TableNextColumn();
      char sym[96];
      s.symbolize(x.start, sym, sizeof sym);
      ImGui::TextUnformatted(sym);
      ImGui::TableNextColumn();
      ImGui::Text("%012" PRIx64, x.end);
      ImGui::TableNextColumn();
      ImGui::Text("%u", x.blocks);
      ImGui::TableNextColumn();
      ImGui::Text("%u", x.insns);
      ImGui::TableNextColumn();
      ImGui::Text("%u", x.wasm_bytes);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, x.compile_us);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, x.execs);
      ImGui::PopID();
    }
  }
  ImGui::EndTable();
}

// The JIT's drops, newest first (records: every process, kept after it exited).
static void draw_drops(const JitModel& j, float height) {
  if (j.drops.empty()) {
    ImGui::TextColored(dim(), "Nothing dropped yet: a region goes when its code is written, its process exits or execs, or the cache is full.");
    return;
  }
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY |
                             ImGuiTableFlags_BordersInnerV;
  if (!ImGui::BeginTable("drops", 5, tf, ImVec2(0, height))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("process");
  ImGui::TableSetupColumn("region");
  ImGui::TableSetupColumn("x86 insns");
  ImGui::TableSetupColumn("runs interpreted");
  ImGui::TableSetupColumn("why", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin((int)j.drops.size());
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const JitDrop& d = j.drops[j.drops.size() - 1 - (size_t)i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%d", d.pid);
      ImGui::TableNextColumn();
      if (d.start) ImGui::Text("%012" PRIx64, d.start);
      else ImGui::Text("all %u", d.count);
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, d.insns);
      ImGui::TableNextColumn();
      if (d.start) ImGui::Text("%" PRIu64, d.execs);
      ImGui::TableNextColumn();
      if (d.why == gb::JitCodeWritten) ImGui::TextColored(changed_color(), "%s (page %" PRIx64 ")", jit_drop_why(d.why), d.page);
      else ImGui::TextUnformatted(jit_drop_why(d.why));
    }
  }
  ImGui::EndTable();
}

// The decoded blocks, hottest first, each marked when compiled.
static void draw_block_list(StateModel& s, float height) {
  const ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV;
  if (ImGui::BeginTable("blocks", 7, tf, ImVec2(0, height))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("start");
    ImGui::TableSetupColumn("jit");
    ImGui::TableSetupColumn("symbol");
    ImGui::TableSetupColumn("instrs");
    ImGui::TableSetupColumn("execs");
    ImGui::TableSetupColumn("indirect");
    ImGui::TableSetupColumn("page heat", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    ImGuiListClipper clip;
    clip.Begin((int)s.blocks.size());
    while (clip.Step()) {
      for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
        const BlockState& b = s.blocks[(size_t)i];
        ImGui::PushID(i);
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        char label[32];
        snprintf(label, sizeof label, "%012" PRIx64, b.start);
        if (ImGui::Selectable(label, s.block_sel == i, ImGuiSelectableFlags_SpanAllColumns)) {
          s.block_sel = i;
          char q[160];
          snprintf(q, sizeof q, "{\"op\":\"memory\",\"addr\":\"0x%" PRIx64 "\",\"len\":%u,\"tid\":%d,\"purpose\":1}", b.start,
                   (unsigned)(b.end > b.start ? b.end - b.start : 16), s.status.tid);
          s.commands.push_back(q);
          if (b.flags & gb::kBlockCompiled) request_region(s, b.start);
          else s.region.clear();
        }
        ImGui::TableNextColumn();
        if (b.flags & gb::kBlockRegionEntry) ImGui::TextColored(rip_color(), "wasm*");
        else if (b.flags & gb::kBlockCompiled) ImGui::TextColored(rip_color(), "wasm");
        if ((b.flags & gb::kBlockCompiled) && ImGui::IsItemHovered())
          ImGui::SetTooltip((b.flags & gb::kBlockRegionEntry) ? "compiled to WebAssembly; its region was formed from it"
                                                              : "compiled to WebAssembly (part of a region)");
        ImGui::TableNextColumn();
        char sym[96];
        s.symbolize(b.start, sym, sizeof sym);
        ImGui::TextUnformatted(sym);
        ImGui::TableNextColumn();
        ImGui::Text("%u", b.n);
        ImGui::TableNextColumn();
        ImGui::Text("%" PRIu64, b.execs);
        ImGui::TableNextColumn();
        ImGui::Text("%" PRIu64, b.indirect_entries);
        ImGui::TableNextColumn();
        ImGui::Text("%" PRIu64, b.page_heat);
        ImGui::PopID();
      }
    }
    ImGui::EndTable();
  }
  if (!s.block_lines.empty()) {
    ImGui::Text("block at %012" PRIx64 ":", s.block_code_addr);
    for (const DisasmLine& l : s.block_lines) ImGui::Text("  %012" PRIx64 "  %s", l.address, l.text);
  } else {
    ImGui::TextColored(dim(), "Select a block to see its x86 (and, for a compiled one, its region's WebAssembly).");
  }
}

void draw_blocks(StateModel& s, UiState& ui) {
  const JitModel& j = s.jit;
  ImGui::TextColored(dim(), "Process %d: %u compiled regions.  The JIT so far (every process): %" PRIu64 " compiled, %.0f us;",
                     s.status.pid, j.total, j.compiled, j.compile_us);
  ImGui::SameLine();
  ImGui::TextColored(j.dropped[0] + j.dropped[1] + j.dropped[2] ? changed_color() : dim(),
                     "dropped %" PRIu64 " (code written %" PRIu64 ", process gone %" PRIu64 ", evicted %" PRIu64 ")",
                     j.dropped[0] + j.dropped[1] + j.dropped[2], j.dropped[0], j.dropped[1], j.dropped[2]);
  bool att = s.code.att;
  if (ImGui::Checkbox("AT&T syntax", &att)) s.set_syntax(att);
  const float list_h = ImGui::GetContentRegionAvail().y * 0.35f;
  if (ImGui::BeginTabBar("jit_views")) {
    char label[48];
    snprintf(label, sizeof label, "Regions (%u)###regions", j.total);
    if (ImGui::BeginTabItem(label)) {
      ui.jit_view = 0;
      draw_region_list(s, list_h);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Blocks")) {
      ui.jit_view = 1;
      draw_block_list(s, list_h);
      ImGui::EndTabItem();
    }
    snprintf(label, sizeof label, "Drops (%zu)###drops", j.drops.size());
    if (ImGui::BeginTabItem(label)) {
      ui.jit_view = 2;
      draw_drops(j, list_h);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  ImGui::Separator();
  draw_region(s.region, ui);
}

}  // namespace gbi
