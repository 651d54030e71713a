// inspector/model/frame_damage.cpp — see frame_damage.h.
#include "inspector/model/frame_damage.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace gbi {

void FrameDamage::begin(float w, float h) {
  if (w != w_ || h != h_) full_ = true;
  w_ = w;
  h_ = h;
  cur_.clear();
  cur_ids_.clear();
  cur_starts_.clear();
  n_ = 0;
}

void FrameDamage::list(uint64_t id) {
  cur_ids_.push_back(id);
  cur_starts_.push_back((uint32_t)cur_.size());
}

static DamageRect unite(const DamageRect& a, const DamageRect& b) {
  return DamageRect{std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1)};
}
static float area(const DamageRect& a) { return (a.x1 - a.x0) * (a.y1 - a.y0); }

// The part of the display one triangle can touch: its bounds cut by its clip rectangle.
void FrameDamage::add(const DamageTri& t) {
  float x0 = std::min({t.v[0][0], t.v[1][0], t.v[2][0]}), x1 = std::max({t.v[0][0], t.v[1][0], t.v[2][0]});
  float y0 = std::min({t.v[0][1], t.v[1][1], t.v[2][1]}), y1 = std::max({t.v[0][1], t.v[1][1], t.v[2][1]});
  // The renderer cuts by the clip rectangle truncated to whole pixels (its scissor), which
  // can hold a pixel whose centre is just outside the clip: the clip one unit larger.
  x0 = std::max(x0, t.clip[0] - 1);
  y0 = std::max(y0, t.clip[1] - 1);
  x1 = std::min(x1, t.clip[2] + 1);
  y1 = std::min(y1, t.clip[3] + 1);
  // Clipped away only when the bounds miss it: bounds that meet it along an edge can still
  // cover the pixel whose centre lies on that edge (rounded out below, the rectangle does).
  if (x1 < x0 || y1 < y0) return;
  const DamageRect r{x0, y0, x1, y1};
  // into the rectangle it meets (or comes within a few units of), else a new one; with no
  // room left, into the one it grows least
  int best = -1;
  float best_growth = 0;
  for (int i = 0; i < n_; i++) {
    const DamageRect& q = rects_[i];
    const DamageRect u = unite(q, r);
    const float growth = area(u) - area(q);
    const bool near = r.x0 <= q.x1 + 4 && q.x0 <= r.x1 + 4 && r.y0 <= q.y1 + 4 && q.y0 <= r.y1 + 4;
    if (near) {
      rects_[i] = u;
      return;
    }
    if (best < 0 || growth < best_growth) best = i, best_growth = growth;
  }
  if (n_ < kMaxRects) rects_[n_++] = r;
  else rects_[best] = unite(rects_[best], r);
}

static bool same(const DamageTri& a, const DamageTri& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Old triangles [a0, a1) of prev_ against new [b0, b1) of cur_ (one list).
void FrameDamage::diff_list(size_t a0, size_t a1, size_t b0, size_t b1) {
  while (a0 < a1 && b0 < b1 && same(prev_[a0], cur_[b0])) a0++, b0++;
  while (a0 < a1 && b0 < b1 && same(prev_[a1 - 1], cur_[b1 - 1])) a1--, b1--;
  if (a1 - a0 == b1 - b0) {  // same length: a triangle replaced by one in its place
    for (; a0 < a1; a0++, b0++) {
      if (same(prev_[a0], cur_[b0])) continue;
      add(prev_[a0]);
      add(cur_[b0]);
    }
    return;
  }
  for (size_t i = a0; i < a1; i++) add(prev_[i]);
  for (size_t i = b0; i < b1; i++) add(cur_[i]);
}

int FrameDamage::end() {
  frames++;
  if (!full_ && cur_ids_ != prev_ids_) full_ = true;
  if (full_) {
    rects_[0] = DamageRect{0, 0, w_, h_};
    n_ = rects_[0].empty() ? 0 : 1;
  } else {
    const size_t n = cur_ids_.size();
    for (size_t l = 0; l < n; l++) {
      const size_t a1 = l + 1 < n ? prev_starts_[l + 1] : prev_.size();
      const size_t b1 = l + 1 < n ? cur_starts_[l + 1] : cur_.size();
      diff_list(prev_starts_[l], a1, cur_starts_[l], b1);
    }
    // whole units, one more on each side (edges that cover part of a pixel), in the display
    for (int i = 0; i < n_; i++) {
      DamageRect& r = rects_[i];
      r.x0 = std::max(0.0f, std::floor(r.x0) - 1);
      r.y0 = std::max(0.0f, std::floor(r.y0) - 1);
      r.x1 = std::min(w_, std::ceil(r.x1) + 1);
      r.y1 = std::min(h_, std::ceil(r.y1) + 1);
      if (r.empty()) rects_[i--] = rects_[--n_];  // off the display
    }
    // rectangles that grew into each other become one (each is drawn in a pass of its own)
    for (bool merged = true; merged;) {
      merged = false;
      for (int i = 0; i < n_ && !merged; i++)
        for (int j = i + 1; j < n_ && !merged; j++) {
          const DamageRect &a = rects_[i], &b = rects_[j];
          if (a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1) {
            rects_[i] = unite(a, b);
            rects_[j] = rects_[--n_];
            merged = true;
          }
        }
    }
  }
  full_ = false;
  prev_.swap(cur_);
  prev_ids_.swap(cur_ids_);
  prev_starts_.swap(cur_starts_);
  if (n_ > 0) {
    painted++;
    double a = 0;
    for (int i = 0; i < n_; i++) a += area(rects_[i]);
    if (w_ > 0 && h_ > 0) painted_area += a / ((double)w_ * h_);
  }
  return n_;
}

}  // namespace gbi
