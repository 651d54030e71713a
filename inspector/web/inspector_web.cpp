// inspector/web/inspector_web.cpp — the inspector's page module
// (build-wasm-web/glassbox_inspector.{js,wasm}): a WebGL2 context on the IDE's canvas, a
// minimal platform layer of our own (the page forwards the canvas's own pointer and key
// events: nothing listens on the window, so the editor and the terminal keep their keys),
// Dear ImGui's OpenGL ES 3 renderer, and the gbi_* exports ide/src/inspector/ drives:
//
//   gbi_init(selector)        the canvas ("#gb-inspector-canvas"); 0 or -1
//   gbi_feed(bytes, n)        n packed 256-byte TraceRecords copied from the shared ring
//   gbi_reset()               a new machine: empty models (its seqs start at 1 again); the
//                             breakpoints are kept and sent to the new engine
//   gbi_frame(w, h, dpr, t)   one frame at w x h CSS pixels (the page's rAF, when visible);
//                             1 if it changed pixels (only the rectangle it changes is
//                             redrawn: inspector/model/frame_damage.h), 0 if none
//   gbi_paint_stats()         {"frames","painted","area"}: the redraws' figures
//   gbi_invalidate()          the next frame redraws everything
//   gbi_check_paint()         the test hook: pixels that differ between the partial redraws'
//                             picture and the last frame redrawn whole (0: exact)
//   gbi_mouse(x, y, buttons)  gbi_wheel(dx, dy)  gbi_key(code, down, mods)  gbi_char(c)
//   gbi_json(panel)           the models as JSON (the test hook); gbi_text(panel): as text
//                             ("processes", "syscalls", "files", "call": the selected call)
//   gbi_focus(pid)            focus every panel on a process (as selecting it does; 0: none)
//   gbi_show_call(seq)        the System calls detail view on that call
//   gbi_set_filter(failed_only, name)   the syscall filter, from the page's text view
//   gbi_set_theme(dark)       follow the IDE's light/dark theme
//   gbi_state(bytes, n, purpose)   a gb_inspect reply (vm/trace/state.h) for the state panels
//   gbi_take_command()        the next request the panels queued (JSON for gb_inspect) or ""
//   gbi_refresh_request()     the periodic state request (what the visible panel needs)
//   gbi_state_json(panel) / gbi_state_text(panel)   "state", "registers", "code", "memory", "blocks",
//                             "region" (the selected compiled region), "jit" (regions, drops), "breaks"
//   gbi_region_hover(addr)    the region view's rows highlighted when its x86 row at addr is hovered
//   gbi_control(op)           queue pause / resume / step / syscall (the test hook, keyboard)
//   gbi_break(where, path)    a breakpoint ("main", "0x401000", "hello.c:5", "SIGSEGV"); "" or why not
//   gbi_line_view(file, line) queue the request for a source line's instructions (the editor)
//   gbi_line_addrs(file, line)  {"line":N,"addrs":["0x.."]}: where that line starts (the rule of
//                             vm/trace/line_rule.h) in the followed program
//   gbi_toggle_line_break(path, file, line)   the editor's gutter; 1 set, 0 removed
//   gbi_breaks_version()      moves when the breakpoints change (one list: the break box,
//                             the gutter, Clear, a reset); gbi_break_lines(path): an open
//                             file's lines holding one, "[3,7]", for the editor's dots
//   gbi_layout() / gbi_set_layout(text)   ImGui's ini text + the selected tab (the page keeps
//                             it in localStorage)
//
// Frames are driven by the page (no emscripten_set_main_loop), so a hidden tab draws nothing.
#include <emscripten.h>
#include <emscripten/html5.h>
#include <GLES3/gl3.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "inspector/model/frame_damage.h"
#include "inspector/model/inspector_model.h"
#include "inspector/model/syscall_decode.h"
#include "inspector/ui/panels.h"
#include "inspector/ui/theme.h"

using namespace gbi;

namespace {

struct State {
  EMSCRIPTEN_WEBGL_CONTEXT_HANDLE gl = 0;
  InspectorModel model;
  StateModel st;
  UiState ui;
  std::string out;  // the last gbi_json / gbi_text answer (the page copies it at once)
  double last_t = 0;
  // ImGui 1.86 polls io.MouseDown once per frame: a press and release between two frames
  // (a quick click) would be lost, so button changes wait in a queue, one per frame.
  struct MouseState { float x, y; int buttons; };
  MouseState queue[32];
  int queued = 0;
  int last_buttons = 0;
  // Keys likewise: a key pressed and released between two frames stays down for one
  // frame (ImGui 1.86 sees presses by comparing KeysDown across frames).
  bool key_fresh[512] = {};    // went down since the last frame
  bool key_release[512] = {};  // released before any frame saw it down: release after the next
  bool dark = true;
  ImVec2 frame_pos = ImVec2(-1e6f, -1e6f);  // the pointer as the last frame saw it
  FrameDamage damage;  // what this frame changes (frame_damage.h): only that is redrawn
  // The last frame's commands as ImGui made them (gbi_check_paint redraws them whole): each
  // list's count, then its commands, in order.
  std::vector<int> cmd_counts;
  std::vector<ImDrawCmd> cmds;
  ImVector<ImDrawList*> pass_lists;  // the lists a redraw uploads (a command left to draw)
  float last_dpr = 0;
  ImVec4 last_clear = ImVec4(-1, -1, -1, -1);
};
State* S = nullptr;

// ImGui 1.86 reads keys through io.KeyMap (ImGuiKey_* -> an index of io.KeysDown[512]):
// the indices are DOM KeyboardEvent.keyCode values, which the page forwards as they are.
void map_keys(ImGuiIO& io) {
  static const int kMap[][2] = {
      {ImGuiKey_Tab, 9}, {ImGuiKey_LeftArrow, 37}, {ImGuiKey_RightArrow, 39}, {ImGuiKey_UpArrow, 38},
      {ImGuiKey_DownArrow, 40}, {ImGuiKey_PageUp, 33}, {ImGuiKey_PageDown, 34}, {ImGuiKey_Home, 36},
      {ImGuiKey_End, 35}, {ImGuiKey_Insert, 45}, {ImGuiKey_Delete, 46}, {ImGuiKey_Backspace, 8},
      {ImGuiKey_Space, 32}, {ImGuiKey_Enter, 13}, {ImGuiKey_Escape, 27}, {ImGuiKey_A, 65}, {ImGuiKey_C, 67},
      {ImGuiKey_V, 86}, {ImGuiKey_X, 88}, {ImGuiKey_Y, 89}, {ImGuiKey_Z, 90}};
  for (const auto& m : kMap) io.KeyMap[m[0]] = m[1];
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE int gbi_init(const char* selector) {
  if (S) return 0;
  EmscriptenWebGLContextAttributes a;
  emscripten_webgl_init_context_attributes(&a);
  a.majorVersion = 2;
  a.minorVersion = 0;
  a.alpha = false;
  a.antialias = false;
  a.premultipliedAlpha = false;
  // kept between frames: a frame redraws only the rectangle it changes (FrameDamage)
  a.preserveDrawingBuffer = true;
  const EMSCRIPTEN_WEBGL_CONTEXT_HANDLE gl = emscripten_webgl_create_context(selector, &a);
  if (gl <= 0) return -1;
  emscripten_webgl_make_context_current(gl);
  S = new State();
  S->gl = gl;
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the page keeps layout (later: localStorage)
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  io.BackendPlatformName = "glassbox_canvas";
  map_keys(io);
  apply_theme(true);
  ImGui_ImplOpenGL3_Init("#version 300 es");
  return 0;
}

// A new machine (Reset machine): its records start again at seq 1; the state models
// start empty but keep the student's breakpoints, queued for the new engine.
EMSCRIPTEN_KEEPALIVE void gbi_reset(void) {
  if (!S) return;
  S->model.~InspectorModel();
  new (&S->model) InspectorModel();
  S->st.new_machine();
  S->ui.break_error[0] = 0;
}

EMSCRIPTEN_KEEPALIVE void gbi_feed(const uint8_t* bytes, uint32_t n) {
  if (!S) return;
  S->model.feed(bytes, n);
  S->st.jit.feed(bytes, n);  // (the JIT panel's compiles and drops)
}

// The draw data as triangles for FrameDamage, in draw order, one list per window.
static void feed_damage(FrameDamage& dmg, const ImDrawData* dd) {
  static_assert(sizeof(ImDrawVert) == sizeof(DamageTri::v[0]), "ImDrawVert is x, y, u, v, colour");
  for (int l = 0; l < dd->CmdListsCount; l++) {
    const ImDrawList* dl = dd->CmdLists[l];
    dmg.list((uint64_t)(uintptr_t)dl);
    for (const ImDrawCmd& c : dl->CmdBuffer) {
      if (c.UserCallback) {  // (none today) its effect is unknown: redraw everything
        dmg.invalidate();
        continue;
      }
      DamageTri t;
      std::memcpy(t.clip, &c.ClipRect, sizeof t.clip);
      t.tex = (uint32_t)(uintptr_t)c.TextureId;
      for (unsigned e = 0; e + 2 < c.ElemCount; e += 3) {
        for (int k = 0; k < 3; k++) std::memcpy(t.v[k], &dl->VtxBuffer[(int)(c.VtxOffset + dl->IdxBuffer[(int)(c.IdxOffset + e + k)])], sizeof t.v[k]);
        dmg.tri(t);
      }
    }
  }
}

// One frame; 1 if it changed pixels, 0 if it drew nothing (the canvas keeps the last).
EMSCRIPTEN_KEEPALIVE int gbi_frame(float w, float h, float dpr, double t_ms) {
  if (!S) return 0;
  emscripten_webgl_make_context_current(S->gl);
  ImGuiIO& io = ImGui::GetIO();
  if (S->queued) {
    const State::MouseState m = S->queue[0];
    memmove(S->queue, S->queue + 1, sizeof S->queue[0] * (size_t)--S->queued);
    io.MousePos = ImVec2(m.x, m.y);
    for (int b = 0; b < 3; b++) io.MouseDown[b] = (m.buttons >> b) & 1;
  }
  S->frame_pos = io.MousePos;
  io.DisplaySize = ImVec2(w, h);
  io.DisplayFramebufferScale = ImVec2(dpr, dpr);
  io.DeltaTime = S->last_t > 0 && t_ms > S->last_t ? (float)((t_ms - S->last_t) / 1000.0) : 1.0f / 60.0f;
  S->last_t = t_ms;
  ImGui_ImplOpenGL3_NewFrame();
  ImGui::NewFrame();
  // The windows' own backgrounds are the clear colour: one full layer less to rasterise
  // (popups and tooltips keep theirs).
  const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  ImGui::PushStyleColor(ImGuiCol_WindowBg, 0u);
  ImGui::PushStyleColor(ImGuiCol_ChildBg, 0u);
  ImGui::PushStyleColor(ImGuiCol_ScrollbarBg, 0u);
  draw_inspector(S->model, S->st, S->ui, w, h);
  ImGui::PopStyleColor(3);
  ImGui::Render();
  for (int k = 0; k < 512; k++) {
    if (S->key_release[k]) io.KeysDown[k] = false;
    S->key_fresh[k] = S->key_release[k] = false;
  }

  // Redraw only what changed (frame_damage.h): every clip rectangle cut to the damage.
  ImDrawData* dd = ImGui::GetDrawData();
  if (dpr != S->last_dpr || std::memcmp(&bg, &S->last_clear, sizeof bg) != 0) S->damage.invalidate();
  S->last_dpr = dpr;
  S->last_clear = bg;
  S->damage.begin(w, h);
  feed_damage(S->damage, dd);
  const int n = S->damage.end();
  S->cmd_counts.clear();
  S->cmds.clear();
  for (int l = 0; l < dd->CmdListsCount; l++) {
    const ImVector<ImDrawCmd>& cb = dd->CmdLists[l]->CmdBuffer;
    S->cmd_counts.push_back(cb.Size);
    S->cmds.insert(S->cmds.end(), cb.begin(), cb.end());
  }
  if (n == 0) return 0;
  // One pass over the rectangles (they do not overlap): each command once per rectangle it
  // meets, its clip cut to it, in the commands' order; a list left with no command is not
  // uploaded at all. (A pass per rectangle uploaded every list each time.)
  S->pass_lists.resize(0);
  size_t at = 0;
  for (int l = 0; l < dd->CmdListsCount; l++) {
    ImDrawList* dl = dd->CmdLists[l];
    dl->CmdBuffer.resize(0);
    for (int i = 0; i < S->cmd_counts[(size_t)l]; i++) {
      const ImDrawCmd& o = S->cmds[at + (size_t)i];
      for (int k = 0; k < n; k++) {
        const DamageRect& d = S->damage.rect(k);
        ImDrawCmd c = o;
        c.ClipRect = ImVec4(std::max(o.ClipRect.x, d.x0), std::max(o.ClipRect.y, d.y0), std::min(o.ClipRect.z, d.x1),
                            std::min(o.ClipRect.w, d.y1));
        if (c.ClipRect.z > c.ClipRect.x && c.ClipRect.w > c.ClipRect.y) dl->CmdBuffer.push_back(c);
      }
    }
    at += (size_t)S->cmd_counts[(size_t)l];
    if (dl->CmdBuffer.Size) S->pass_lists.push_back(dl);
  }
  // the clears cut the way the renderer cuts its scissor rectangles (truncated)
  const float fb_h = (float)(int)(h * dpr);
  glViewport(0, 0, (int)(w * dpr), (int)(h * dpr));
  glClearColor(bg.x, bg.y, bg.z, 1.0f);
  glEnable(GL_SCISSOR_TEST);
  for (int k = 0; k < n; k++) {
    const DamageRect& d = S->damage.rect(k);
    glScissor((int)(d.x0 * dpr), (int)(fb_h - d.y1 * dpr), (int)(d.x1 * dpr - d.x0 * dpr), (int)(d.y1 * dpr - d.y0 * dpr));
    glClear(GL_COLOR_BUFFER_BIT);
  }
  glDisable(GL_SCISSOR_TEST);
  ImDrawData pass = *dd;
  pass.CmdLists = S->pass_lists.Data;
  pass.CmdListsCount = S->pass_lists.Size;
  if (pass.CmdListsCount) ImGui_ImplOpenGL3_RenderDrawData(&pass);
  return 1;
}

// The next frame redraws everything (the canvas was hidden: its picture is not relied on).
EMSCRIPTEN_KEEPALIVE void gbi_invalidate(void) {
  if (S) S->damage.invalidate();
}

// Test hook: is the picture the partial redraws left the one a full redraw makes? Reads
// the canvas, redraws the last frame whole, reads it again: the number of pixels that
// differ (0: exact), or -1 without a frame. The canvas keeps the full redraw.
EMSCRIPTEN_KEEPALIVE int gbi_check_paint(void) {
  ImDrawData* dd = S ? ImGui::GetDrawData() : nullptr;
  if (!dd || !dd->Valid) return -1;
  emscripten_webgl_make_context_current(S->gl);
  const int fw = (int)(dd->DisplaySize.x * dd->FramebufferScale.x), fh = (int)(dd->DisplaySize.y * dd->FramebufferScale.y);
  if (fw <= 0 || fh <= 0) return -1;
  std::vector<uint8_t> before((size_t)fw * fh * 4), after((size_t)fw * fh * 4);
  glReadPixels(0, 0, fw, fh, GL_RGBA, GL_UNSIGNED_BYTE, before.data());
  size_t at = 0;
  for (int l = 0; l < dd->CmdListsCount && (size_t)l < S->cmd_counts.size(); l++) {  // the commands as ImGui made them
    ImVector<ImDrawCmd>& cb = dd->CmdLists[l]->CmdBuffer;
    cb.resize(0);
    for (int i = 0; i < S->cmd_counts[(size_t)l]; i++) cb.push_back(S->cmds[at + (size_t)i]);
    at += (size_t)S->cmd_counts[(size_t)l];
  }
  glViewport(0, 0, fw, fh);
  glDisable(GL_SCISSOR_TEST);
  glClearColor(S->last_clear.x, S->last_clear.y, S->last_clear.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(dd);
  glReadPixels(0, 0, fw, fh, GL_RGBA, GL_UNSIGNED_BYTE, after.data());
  int differ = 0;
  for (size_t p = 0; p < before.size(); p += 4) differ += std::memcmp(&before[p], &after[p], 3) != 0;
  return differ;
}

// Figures of the redraws (the page's cost counters): frames drawn, frames that changed
// pixels, and the mean share of the canvas they repainted, as "{...}" JSON.
EMSCRIPTEN_KEEPALIVE const char* gbi_paint_stats(void) {
  if (!S) return "{}";
  char buf[128];
  const FrameDamage& d = S->damage;
  std::snprintf(buf, sizeof buf, "{\"frames\":%llu,\"painted\":%llu,\"area\":%.4f}", (unsigned long long)d.frames,
                (unsigned long long)d.painted, d.painted ? d.painted_area / (double)d.painted : 0.0);
  S->out = buf;
  return S->out.c_str();
}

EMSCRIPTEN_KEEPALIVE void gbi_mouse(float x, float y, int buttons) {
  if (!S) return;
  if (buttons != S->last_buttons) {  // a press or release: its own frame
    // ... after a frame with the pointer already there: some widgets (tabs, anything that
    // allows overlap) only take a press on the item hovered in the previous frame
    const ImVec2 at = S->queued ? ImVec2(S->queue[S->queued - 1].x, S->queue[S->queued - 1].y) : S->frame_pos;
    if ((at.x != x || at.y != y) && S->queued < 32) S->queue[S->queued++] = {x, y, S->last_buttons};
    S->last_buttons = buttons;
    if (S->queued < 32) S->queue[S->queued++] = {x, y, buttons};
    return;
  }
  if (S->queued) S->queue[S->queued - 1].x = x, S->queue[S->queued - 1].y = y;
  else ImGui::GetIO().MousePos = ImVec2(x, y);
}

EMSCRIPTEN_KEEPALIVE void gbi_wheel(float dx, float dy) {
  if (!S) return;
  ImGui::GetIO().MouseWheelH += dx;
  ImGui::GetIO().MouseWheel += dy;
}

// mods: 1 ctrl, 2 shift, 4 alt, 8 meta
EMSCRIPTEN_KEEPALIVE void gbi_key(int code, int down, int mods) {
  if (!S) return;
  ImGuiIO& io = ImGui::GetIO();
  io.KeyCtrl = mods & 1;
  io.KeyShift = mods & 2;
  io.KeyAlt = mods & 4;
  io.KeySuper = mods & 8;
  if (code <= 0 || code >= 512) return;
  if (down) {
    io.KeysDown[code] = true;
    S->key_fresh[code] = true;
    S->key_release[code] = false;
  } else if (S->key_fresh[code]) {
    S->key_release[code] = true;  // no frame has seen it down yet
  } else {
    io.KeysDown[code] = false;
  }
}

EMSCRIPTEN_KEEPALIVE void gbi_char(unsigned c) {
  if (S) ImGui::GetIO().AddInputCharacter(c);
}

EMSCRIPTEN_KEEPALIVE const char* gbi_json(const char* panel) {
  if (!S) return "null";
  S->out.clear();
  S->model.to_json(S->out, panel);
  return S->out.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* gbi_text(const char* panel) {
  if (!S) return "";
  S->out.clear();
  if (strcmp(panel, "processes") == 0) S->model.processes.to_text(S->out, S->st.status.target_pid);
  else if (strcmp(panel, "syscalls") == 0) S->model.syscalls.to_text(S->out, 2000);
  else if (strcmp(panel, "files") == 0) S->model.files.to_text(S->out, 2000, S->ui.files_selected_only ? S->ui.selected_pid : 0);
  else if (strcmp(panel, "call") == 0) {  // the System calls detail view
    const long at = S->ui.call_seq ? S->model.syscalls.row_of_seq(S->ui.call_seq) : -1;
    if (at >= 0) S->model.syscalls.detail_text(S->out, (size_t)at);
    else S->out = "No call selected (select a row of System calls).\n";
  }
  return S->out.c_str();
}

// Focuses every panel on process pid (0: none), as selecting it in Processes does (pins
// it if it runs). The test hook.
EMSCRIPTEN_KEEPALIVE void gbi_focus(int pid) {
  if (!S) return;
  const ProcRow* p = pid ? S->model.processes.find(pid) : nullptr;
  focus_process(&S->st, S->ui, pid, pid, p && p->state == ProcRow::Running);
  S->ui.proc_scroll = pid != 0;
  S->model.syscalls.set_filter(SyscallFilter{S->ui.failed_only, S->model.syscalls.filter.nr, S->ui.selected_only ? pid : 0});
}

// Shows call `seq` (a SysExit record's seq) in the detail view; 0 if it is not in the table.
EMSCRIPTEN_KEEPALIVE int gbi_show_call(double seq) {
  if (!S) return 0;
  return show_call(S->model.syscalls, S->ui, (uint64_t)seq) ? 1 : 0;
}

// The IDE's theme: 1 dark, 0 light (the IDE's own colours: inspector/ui/theme.cpp).
EMSCRIPTEN_KEEPALIVE void gbi_set_theme(int dark) {
  if (!S) return;
  apply_theme(dark != 0);
  S->dark = dark != 0;
}

EMSCRIPTEN_KEEPALIVE void gbi_set_filter(int failed_only, const char* name) {
  if (!S) return;
  S->ui.failed_only = failed_only != 0;
  snprintf(S->ui.call_filter, sizeof S->ui.call_filter, "%s", name ? name : "");
  SyscallFilter f = S->model.syscalls.filter;
  f.failed_only = S->ui.failed_only;
  f.nr = S->ui.call_filter[0] ? syscall_number(S->ui.call_filter) : -1;
  if (S->ui.call_filter[0] && f.nr < 0) f.nr = 0xffff;
  S->model.syscalls.set_filter(f);
}

// Selects a panel's tab (0 Processes, 1 System calls, 2 Files and disk, 3 Registers,
// 4 Code, 5 Memory, 6 JIT blocks) on the next frame: the test hook and keyboard shortcuts.
EMSCRIPTEN_KEEPALIVE void gbi_select_tab(int tab) {
  if (S) S->ui.want_tab = tab;
}

EMSCRIPTEN_KEEPALIVE void gbi_state(const uint8_t* bytes, uint32_t n, int purpose) {
  if (S) S->st.apply(bytes, n, purpose);
}

EMSCRIPTEN_KEEPALIVE const char* gbi_take_command(void) {
  if (!S) return "";
  S->out.clear();
  if (!S->st.commands.empty()) {
    S->out = S->st.commands.front();
    S->st.commands.erase(S->st.commands.begin());
  }
  return S->out.c_str();
}

// What the shown panel needs: memory around the chosen address (default rsp) on the
// Memory tab, the hottest blocks on the JIT blocks tab; status, registers, code always.
EMSCRIPTEN_KEEPALIVE const char* gbi_refresh_request(void) {
  if (!S) return "";
  const StateModel& st = S->st;
  uint64_t a = S->ui.mem_addr;
  if (!a && st.regs.have) a = st.regs.cur.r[4] & ~15ull;
  // a record panel shown while the machine runs: the status only (the page asks less often)
  const bool lite = S->ui.tab == 0 && !(st.have_status && st.status.halted);
  st.refresh_request(S->out, a, S->ui.tab == 3 ? 256 : 64, S->ui.tab == 4 ? 200 : 16, lite, S->ui.tab == 4 ? gb::kRegionListMax : 0);
  return S->out.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* gbi_state_json(const char* panel) {
  if (!S) return "null";
  S->out.clear();
  S->st.to_json(S->out, panel);
  return S->out.c_str();
}

// The JIT panel's hover as data: the row of the region's x86 instruction at `addr` and
// the lines highlighted with it (the wasm made from it), what hovering that row shows.
EMSCRIPTEN_KEEPALIVE const char* gbi_region_hover(const char* addr) {
  if (!S) return "null";
  S->out.clear();
  S->st.region.hover_json(strtoull(addr, nullptr, 16), S->out);
  return S->out.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* gbi_state_text(const char* panel) {
  if (!S) return "";
  S->out.clear();
  S->st.to_text(S->out, panel);
  return S->out.c_str();
}

EMSCRIPTEN_KEEPALIVE void gbi_control(const char* op) {
  if (!S || !op) return;
  if (strcmp(op, "clear") == 0) S->st.clear_breaks();
  else S->st.command(op, strcmp(op, "resume") != 0 && strcmp(op, "pause") != 0 ? S->st.status.tid : 0);
}

EMSCRIPTEN_KEEPALIVE const char* gbi_break(const char* where, const char* path) {
  if (!S) return "no inspector";
  std::string err;
  S->out.clear();
  if (where && strncmp(where, "syscall:", 8) == 0) S->st.add_syscall_break(where + 8);
  else if (!S->st.add_break(where ? where : "", path ? path : "", err)) S->out = err;
  return S->out.c_str();
}

}  // extern "C"

extern "C" {

EMSCRIPTEN_KEEPALIVE int gbi_line_view(const char* file, unsigned line) {
  if (!S || !file) return 0;
  std::string req;
  if (!S->st.line_view_request(file, line, req)) return 0;
  S->st.commands.push_back(req);
  return 1;
}

EMSCRIPTEN_KEEPALIVE const char* gbi_line_addrs(const char* file, unsigned line) {
  if (!S) return "{}";
  uint32_t used = 0;
  const std::vector<uint64_t> a = S->st.line_addresses(file ? file : "", line, &used);
  S->out = "{\"line\":" + std::to_string(used) + ",\"addrs\":[";
  char b[32];
  for (size_t i = 0; i < a.size(); i++) {
    snprintf(b, sizeof b, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)a[i]);
    S->out += b;
  }
  S->out += "]}";
  return S->out.c_str();
}

EMSCRIPTEN_KEEPALIVE int gbi_toggle_line_break(const char* path, const char* file, unsigned line) {
  if (!S || !path || !file) return 0;
  return S->st.toggle_line_break(path, file, line) ? 1 : 0;
}

// Moves whenever the breakpoints change (the break box, the gutter, Clear, a reset): the
// page then asks gbi_break_lines for the open files' dots.
EMSCRIPTEN_KEEPALIVE double gbi_breaks_version(void) {
  return S ? (double)S->st.breaks_version : 0;
}

// The lines of an editor file holding a breakpoint: "[3,7]".
EMSCRIPTEN_KEEPALIVE const char* gbi_break_lines(const char* editor_path) {
  if (!S || !editor_path) return "[]";
  S->out = "[";
  for (uint32_t l : S->st.break_lines(editor_path)) {
    if (S->out.size() > 1) S->out += ',';
    S->out += std::to_string(l);
  }
  S->out += ']';
  return S->out.c_str();
}

// "tab <n>\n" then ImGui's ini text (window sizes, table columns).
EMSCRIPTEN_KEEPALIVE const char* gbi_layout(void) {
  if (!S) return "";
  size_t n = 0;
  const char* ini = ImGui::SaveIniSettingsToMemory(&n);
  S->out = "tab " + std::to_string(S->ui.shown) + "\n";
  S->out.append(ini, n);
  ImGui::GetIO().WantSaveIniSettings = false;
  return S->out.c_str();
}

EMSCRIPTEN_KEEPALIVE void gbi_set_layout(const char* text) {
  if (!S || !text) return;
  int tab = -1;
  if (sscanf(text, "tab %d", &tab) == 1 && tab >= 0 && tab <= 6) S->ui.want_tab = tab;
  const char* ini = strchr(text, '\n');
  if (ini) ImGui::LoadIniSettingsFromMemory(ini + 1);
}

// 1 when the layout changed since the last gbi_layout (ImGui's own flag; the tab too).
EMSCRIPTEN_KEEPALIVE int gbi_layout_dirty(void) {
  if (!S) return 0;
  static int last_tab = -1;
  const bool tab = S->ui.shown != last_tab;
  last_tab = S->ui.shown;
  return ImGui::GetIO().WantSaveIniSettings || tab ? 1 : 0;
}

}  // extern "C"
