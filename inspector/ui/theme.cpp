// inspector/ui/theme.cpp — see theme.h. The values are ide/src/styles.css's; change both.
#include "inspector/ui/theme.h"

namespace gbi {

namespace {

ImVec4 rgb(unsigned v, float a = 1.0f) {
  return ImVec4((float)((v >> 16) & 255) / 255.0f, (float)((v >> 8) & 255) / 255.0f, (float)(v & 255) / 255.0f, a);
}
ImVec4 with_alpha(ImVec4 c, float a) { return ImVec4(c.x, c.y, c.z, a); }

// html[data-theme='dark']
const Palette kDark = {
    rgb(0x111318), rgb(0x171a20), rgb(0x15181d), rgb(0x1a1d23), rgb(0x232831), rgb(0x2b3240), rgb(0x24344d),  // --bg .. --bg-selected
    rgb(0x262b34), rgb(0x323945), rgb(0xd7dae0), rgb(0x8b93a1), rgb(0x5d6573),                             // --border .. --fg-faint
    rgb(0x6aa9ff), rgb(0x0d1420), rgb(0x7fcf8a), rgb(0xe5c07b), rgb(0xff7b86)};                           // --accent .. --err
// html[data-theme='light']
const Palette kLight = {
    rgb(0xeef0f3), rgb(0xf7f8fa), rgb(0xf6f7f9), rgb(0xffffff), rgb(0xe6e9ee), rgb(0xdde3ec), rgb(0xd6e4f8),
    rgb(0xdcdfe5), rgb(0xc8ccd4), rgb(0x1f2328), rgb(0x5c6470), rgb(0x9aa1ab),
    rgb(0x0969da), rgb(0xffffff), rgb(0x1a7f37), rgb(0x9a6700), rgb(0xcf222e)};

bool g_dark = true;

}  // namespace

const Palette& palette() { return g_dark ? kDark : kLight; }
bool theme_dark() { return g_dark; }

void apply_theme(bool dark) {
  g_dark = dark;
  const Palette& p = palette();
  ImGuiStyle& st = ImGui::GetStyle();
  if (dark) ImGui::StyleColorsDark(&st);  // (a base for the colours not set below)
  else ImGui::StyleColorsLight(&st);
  ImVec4* c = st.Colors;
  c[ImGuiCol_Text] = p.fg;
  c[ImGuiCol_TextDisabled] = p.fg_faint;
  c[ImGuiCol_WindowBg] = p.bg_pane;
  c[ImGuiCol_ChildBg] = p.bg_pane;
  c[ImGuiCol_PopupBg] = p.bg_raised;
  c[ImGuiCol_Border] = p.border;
  c[ImGuiCol_BorderShadow] = ImVec4(0, 0, 0, 0);
  c[ImGuiCol_FrameBg] = p.bg_editor;
  c[ImGuiCol_FrameBgHovered] = p.bg_hover;
  c[ImGuiCol_FrameBgActive] = p.bg_active;
  c[ImGuiCol_TitleBg] = p.bg_raised;
  c[ImGuiCol_TitleBgActive] = p.bg_raised;
  c[ImGuiCol_TitleBgCollapsed] = p.bg_raised;
  c[ImGuiCol_MenuBarBg] = p.bg_raised;
  c[ImGuiCol_ScrollbarBg] = p.bg_pane;
  c[ImGuiCol_ScrollbarGrab] = p.border_strong;
  c[ImGuiCol_ScrollbarGrabHovered] = p.fg_faint;
  c[ImGuiCol_ScrollbarGrabActive] = p.fg_muted;
  c[ImGuiCol_CheckMark] = p.accent;
  c[ImGuiCol_SliderGrab] = p.accent;
  c[ImGuiCol_SliderGrabActive] = p.accent;
  c[ImGuiCol_Button] = p.bg_hover;
  c[ImGuiCol_ButtonHovered] = p.bg_active;
  c[ImGuiCol_ButtonActive] = p.bg_selected;
  c[ImGuiCol_Header] = p.bg_selected;
  c[ImGuiCol_HeaderHovered] = p.bg_hover;
  c[ImGuiCol_HeaderActive] = p.bg_active;
  c[ImGuiCol_Separator] = p.border_strong;
  c[ImGuiCol_SeparatorHovered] = p.accent;
  c[ImGuiCol_SeparatorActive] = p.accent;
  c[ImGuiCol_ResizeGrip] = with_alpha(p.border_strong, 0.5f);
  c[ImGuiCol_ResizeGripHovered] = p.accent;
  c[ImGuiCol_ResizeGripActive] = p.accent;
  c[ImGuiCol_Tab] = p.bg_raised;          // the IDE's tabs: raised, the active one as the editor
  c[ImGuiCol_TabHovered] = p.bg_hover;
  c[ImGuiCol_TabActive] = p.bg_editor;
  c[ImGuiCol_TabUnfocused] = p.bg_raised;
  c[ImGuiCol_TabUnfocusedActive] = p.bg_editor;
  c[ImGuiCol_PlotLines] = p.accent;
  c[ImGuiCol_PlotHistogram] = p.accent;
  c[ImGuiCol_TableHeaderBg] = p.bg_raised;
  c[ImGuiCol_TableBorderStrong] = p.border_strong;
  c[ImGuiCol_TableBorderLight] = p.border;
  c[ImGuiCol_TableRowBg] = ImVec4(0, 0, 0, 0);
  c[ImGuiCol_TableRowBgAlt] = with_alpha(p.bg_hover, 0.45f);
  c[ImGuiCol_TextSelectedBg] = with_alpha(p.accent, 0.35f);
  c[ImGuiCol_NavHighlight] = p.accent;
  c[ImGuiCol_ModalWindowDimBg] = ImVec4(0, 0, 0, dark ? 0.5f : 0.2f);
  st.WindowRounding = 0;
  st.FrameRounding = 4;  // (--radius is 6 px at the IDE's larger controls)
  st.TabRounding = 4;
  st.ScrollbarRounding = 6;
  st.GrabRounding = 4;
}

}  // namespace gbi
