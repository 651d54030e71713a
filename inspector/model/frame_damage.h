// inspector/model/frame_damage.h — which part of the canvas a frame changes, so that a
// frame redraws only that rectangle (or nothing).
//
// Why: with software WebGL (SwiftShader, what a machine without a GPU has, and what the CI's
// headless Chromium has), rasterising the inspector's canvas costs ~10 ms of CPU a frame,
// on the cores the engine's worker needs (docs/inspector.md, "Cost"). While gcc runs, most
// of a frame's triangles are the ones the frame before drew: the same rows, the same
// labels; what moves is a counter, a CPU time, the end of a timeline bar, a new row.
//
// How: a frame's draw data, in draw order, is a stream of triangles (three vertices with
// position, uv and colour, the command's clip rectangle and texture). Each draw list (one
// per ImGui window) is compared with its stream of the frame before: the triangles common
// to both ends are trimmed; what is left in the middle is compared pairwise when both
// middles have the same length (a number whose digits changed), else taken whole (a row
// added). The damage is the changed triangles' bounds (old and new, each cut by its clip
// rectangle made one unit larger: the renderer's scissor is the clip truncated to whole
// pixels, and a bound that only touches the clip still counts), kept as up to four rectangles (a counter at the top and a column of
// the table below are two small ones, not one covering the rows between). A pixel outside
// them is covered by the same triangles in the same order as before, so it keeps its
// colour: redrawing everything once per rectangle, with every clip rectangle cut to it
// (and the clear scissored to it), gives the same picture.
// A change in the lists themselves (a window opened, closed or raised), in the display
// size or an explicit invalidate() damages everything.
//
// No ImGui here (the page module feeds the triangles; the unit tests feed their own): see
// inspector/web/inspector_web.cpp for the glue. Buffers are reused: no allocation once
// the first frames have sized them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gbi {

struct DamageRect {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};

// One triangle as the renderer will draw it: 3 vertices of 20 bytes (ImDrawVert: x, y,
// u, v as floats, colour as u32), the clip rectangle (x0, y0, x1, y1) and the texture.
struct DamageTri {
  float v[3][5];  // x, y, u, v, colour bits
  float clip[4];
  uint32_t tex;
};

class FrameDamage {
 public:
  // A frame of w x h (display units). A new size damages everything.
  void begin(float w, float h);
  // The next draw list, identified by something stable across frames (ImGui: the list's
  // address); then its triangles in order.
  void list(uint64_t id);
  void tri(const DamageTri& t) { cur_.push_back(t); }
  // The frame's damage: the number of rectangles (0: the frame changes no pixel), each
  // rounded out to whole units and cut to the display, read with rect(i). The frame
  // becomes the one the next is compared with.
  int end();
  const DamageRect& rect(int i) const { return rects_[i]; }
  static constexpr int kMaxRects = 4;
  // The next frame damages everything (the canvas was resized, the context restored).
  void invalidate() { full_ = true; }

  // Figures (for the cost counters): frames that changed pixels, and the share of the
  // display they covered.
  uint64_t frames = 0, painted = 0;
  double painted_area = 0;  // sum over painted frames of damaged area / display area

 private:
  void add(const DamageTri& t);
  void diff_list(size_t a0, size_t a1, size_t b0, size_t b1);
  std::vector<DamageTri> prev_, cur_;
  std::vector<uint64_t> prev_ids_, cur_ids_;
  std::vector<uint32_t> prev_starts_, cur_starts_;  // first triangle of each list
  float w_ = 0, h_ = 0;
  bool full_ = true;
  DamageRect rects_[kMaxRects];
  int n_ = 0;
};

}  // namespace gbi
