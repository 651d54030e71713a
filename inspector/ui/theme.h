// inspector/ui/theme.h — the inspector's colours: the IDE's own (ide/src/styles.css, the
// variables of html[data-theme='dark'] and ['light']) for ImGui's style and the panels'
// highlights, so the canvas looks like the pane around it in both themes.
#pragma once
#include "imgui.h"

namespace gbi {

// The IDE's palette for one theme (the CSS variable each copies in its comment).
struct Palette {
  ImVec4 bg, bg_raised, bg_pane, bg_editor, bg_hover, bg_active, bg_selected;
  ImVec4 border, border_strong, fg, fg_muted, fg_faint, accent, accent_fg, ok, warn, err;
};
const Palette& palette();
bool theme_dark();
// ImGui's colours from the palette (gbi_set_theme: the page follows <html data-theme>).
void apply_theme(bool dark);

}  // namespace gbi
