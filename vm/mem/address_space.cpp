// vm/mem/address_space.cpp — VMAs, demand paging, copy-on-write and the TLB.
// See address_space.h for the design notes.
#include "vm/mem/address_space.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <new>
#include <unistd.h>

namespace gb {

// ---- frames -----------------------------------------------------------------------

uint64_t FramePool::default_limit_bytes() {
#ifdef __EMSCRIPTEN__
  return 2ull << 30;
#else
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  const uint64_t half = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 2 : (4ull << 30);
  return std::min<uint64_t>(half, 16ull << 30);
#endif
}

struct FrameSlab {
  uint8_t* mem = nullptr;
  Frame frames[FramePool::kSlabFrames];
  std::vector<Frame*> free;
  bool listed = false;  // in partial_
};

FramePool::~FramePool() {
  // Every frame is back by now (each address space and the shared cache hold the
  // machine's PhysMem): every slab is partial_ or the spare.
  for (FrameSlab* s : partial_) { free(s->mem); delete s; }
  if (spare_) { free(spare_->mem); delete spare_; }
}

Frame* FramePool::alloc_zero() {
  if (limit_ && in_use_ >= limit_) return nullptr;
  if (partial_.empty()) {
    FrameSlab* s = spare_;
    spare_ = nullptr;
    if (!s) {
      // in wasm address 0 is writable: a failed allocation must never be used
      uint8_t* mem = (uint8_t*)aligned_alloc(PAGE, PAGE * kSlabFrames);
      if (!mem) return nullptr;
      s = new (std::nothrow) FrameSlab;
      if (!s) { free(mem); return nullptr; }
      s->mem = mem;
      s->free.reserve(kSlabFrames);
      for (uint32_t i = kSlabFrames; i-- > 0;) {
        s->frames[i] = Frame{mem + PAGE * i, 0, false, false, s};
        s->free.push_back(&s->frames[i]);
      }
    }
    s->listed = true;
    partial_.push_back(s);
  }
  FrameSlab* s = partial_.back();
  Frame* f = s->free.back();
  s->free.pop_back();
  if (s->free.empty()) { partial_.pop_back(); s->listed = false; }
  memset(f->data, 0, PAGE);
  f->refs = 1;
  f->dirty = false;
  f->code = false;
  in_use_++;
  return f;
}

Frame* FramePool::alloc_copy(const Frame* src) {
  Frame* f = alloc_zero();
  if (!f) return nullptr;
  memcpy(f->data, src->data, PAGE);
  return f;
}

void FramePool::unref(Frame* f) {
  if (--f->refs != 0) return;
  in_use_--;
  FrameSlab* s = f->slab;
  s->free.push_back(f);
  if (!s->listed) { s->listed = true; partial_.push_back(s); }
  if (s->free.size() < kSlabFrames) return;
  // Wholly free: keep one such slab, give the others back to the host.
  partial_.erase(std::find(partial_.begin(), partial_.end(), s));
  s->listed = false;
  if (!spare_) { spare_ = s; return; }
  free(s->mem);
  delete s;
}

// ---- shared pages (address_space.h, section 4) ----------------------------------------

SharedPageCache::~SharedPageCache() {
  // Every mapping is gone by now (each address space holds the PhysMem); what is left
  // is only what nobody swept.
  for (auto& kv : map_) frames_.unref(kv.second.frame);
}

int SharedPageCache::write_back(const Key& k, const Page& sp) {
  if (!sp.file || !sp.frame->dirty) return 0;
  return sp.file->write_page(k.second, sp.frame->data);
}

SharedPageCache::Map::iterator SharedPageCache::maybe_release(Map::iterator it) {
  Page& sp = it->second;
  const bool unused = sp.file ? sp.frame->refs == 1 : sp.anon.expired();
  if (!unused) return std::next(it);
  write_back(it->first, sp);
  frames_.unref(sp.frame);
  return map_.erase(it);
}

void SharedPageCache::sweep() {
  for (auto it = map_.begin(); it != map_.end();) it = maybe_release(it);
}

// Visits the cached pages of `key` that overlap file bytes [off, off+n).
template <class F> void SharedPageCache::for_pages(const void* key, uint64_t off, uint64_t n, F fn) {
  if (map_.empty() || n == 0) return;
  for (auto it = map_.lower_bound({key, page_down(off)}); it != map_.end() && it->first.first == key; ++it) {
    const uint64_t po = it->first.second;
    if (po >= off + n) break;
    const uint64_t lo = off > po ? off : po, hi = (off + n < po + PAGE) ? off + n : po + PAGE;
    if (lo < hi) fn(it->second, lo - po, lo - off, hi - lo);
  }
}

void SharedPageCache::written(const void* key, uint64_t off, const void* data, uint64_t n) {
  for_pages(key, off, n, [&](Page& sp, uint64_t in_page, uint64_t in_data, uint64_t len) {
    memcpy(sp.frame->data + in_page, (const uint8_t*)data + in_data, len);
    if (sp.frame->code && phys_) phys_->code_frame_written(sp.frame);
  });
}

void SharedPageCache::read(const void* key, uint64_t off, void* data, uint64_t n) {
  for_pages(key, off, n, [&](Page& sp, uint64_t in_page, uint64_t in_data, uint64_t len) {
    if (sp.frame->dirty) memcpy((uint8_t*)data + in_data, sp.frame->data + in_page, len);
  });
}

void SharedPageCache::truncated(const void* key, uint64_t size) {
  for_pages(key, size, UINT64_MAX - size, [&](Page& sp, uint64_t in_page, uint64_t, uint64_t len) {
    memset(sp.frame->data + in_page, 0, len);
    if (sp.frame->code && phys_) phys_->code_frame_written(sp.frame);
  });
}

int SharedPageCache::sync(const void* key) {
  int first = 0;
  for (auto it = map_.lower_bound({key, 0}); it != map_.end() && it->first.first == key; ++it) {
    const int e = write_back(it->first, it->second);
    if (e < 0 && !first) first = e;
  }
  return first;
}

namespace {

using SharedKey = std::pair<const void*, uint64_t>;

// The cache key of `page` in the shared mapping `v`.
SharedKey shared_key(const Vma& v, uint64_t page) { return {v.file->share_key(), v.file_off + (page - v.start)}; }

// Zero-filled pages for MAP_SHARED|MAP_ANONYMOUS: its own key per mmap call.
class AnonSharedBacking : public FileBacking {
 public:
  int64_t read_page(uint64_t, uint8_t* dst, SharedPageCache&) override { memset(dst, 0, 4096); return 4096; }
  std::string name() const override { return ""; }
};

}  // namespace

// ---- construction -------------------------------------------------------------------

AddressSpace::AddressSpace() : phys_(std::make_shared<PhysMem>()) { phys_->spaces.push_back(this); }
AddressSpace::AddressSpace(std::shared_ptr<PhysMem> phys) : phys_(std::move(phys)) { phys_->spaces.push_back(this); }

AddressSpace::~AddressSpace() {
  watcher_ = nullptr;  // the block cache goes with us
  auto& sp = phys_->spaces;
  sp.erase(std::remove(sp.begin(), sp.end(), this), sp.end());
  while (!ptes_.empty()) drop_pte(ptes_.begin());
  const bool had_anon = std::any_of(vmas_.begin(), vmas_.end(), [](const auto& kv) { return kv.second.shared_anon(); });
  vmas_.clear();
  if (had_anon) phys_->shared.sweep();
}

std::unique_ptr<AddressSpace> AddressSpace::clone_cow() {
  auto c = std::make_unique<AddressSpace>(phys_);
  c->vmas_ = vmas_;
  c->brk_start = brk_start;
  c->brk_cur = brk_cur;
  c->mmap_base = mmap_base;
  for (auto& [page, p] : ptes_) {
    phys_->frames.ref(p.frame);
    Pte q = p;
    q.code = false;
    c->ptes_.emplace(page, q);
  }
  flush_tlb();  // our write entries now point at shared frames
  return c;
}

// ---- VMAs -------------------------------------------------------------------------

const Vma* AddressSpace::vma_at(uint64_t addr) const {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second : nullptr;
}

void AddressSpace::split_at(uint64_t addr) {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return;
  --it;
  Vma& v = it->second;
  if (addr <= v.start || addr >= v.end) return;
  Vma hi = v;
  hi.start = addr;
  if (hi.file) hi.file_off += addr - v.start;
  v.end = addr;
  vmas_.emplace(addr, hi);
}

bool AddressSpace::range_mapped(uint64_t start, uint64_t end) const {
  for (uint64_t a = start; a < end;) {
    const Vma* v = vma_at(a);
    if (!v) return false;
    a = v->end;
  }
  return true;
}

bool AddressSpace::range_free(uint64_t start, uint64_t end) const {
  auto it = vmas_.lower_bound(end);
  if (it == vmas_.begin()) return true;
  --it;
  return it->second.end <= start;
}

uint64_t AddressSpace::find_free(uint64_t len, uint64_t hint) {
  if (hint && page_down(hint) == hint && hint + len > hint && hint + len <= mmap_base && range_free(hint, hint + len))
    return hint;
  uint64_t end = mmap_base;
  while (end >= len + 0x10000) {
    const uint64_t cand = end - len;
    auto it = vmas_.lower_bound(end);
    if (it == vmas_.begin()) return cand;
    --it;
    if (it->second.end <= cand) return cand;
    end = it->second.start;
  }
  return 0;
}

int64_t AddressSpace::map(uint64_t addr, uint64_t len, uint32_t prot, bool fixed, bool noreplace,
                          bool shared, std::shared_ptr<FileBacking> file, uint64_t off, const std::string& name) {
  if (len == 0) return -LX_EINVAL;
  len = page_up(len);
  if (len == 0) return -LX_ENOMEM;
  if (fixed) {
    if (addr & (PAGE - 1)) return -LX_EINVAL;
    if (addr + len < addr || addr + len > (1ull << 47)) return -LX_ENOMEM;
    if (noreplace && !range_free(addr, addr + len)) return -LX_EEXIST;
    unmap(addr, len);
  } else {
    addr = find_free(len, page_down(addr));
    if (!addr) return -LX_ENOMEM;
  }
  Vma v;
  v.start = addr;
  v.end = addr + len;
  v.prot = prot;
  v.shared = shared;
  if (shared && !file) file = std::make_shared<AnonSharedBacking>();
  v.file = std::move(file);
  v.file_off = off;
  v.name = name;
  vmas_.emplace(addr, std::move(v));
  return (int64_t)addr;
}

// Unmaps one page. The VMA must still exist: a MAP_SHARED file page whose last mapping
// this was is written back and leaves the cache.
void AddressSpace::drop_pte(std::map<uint64_t, Pte>::iterator it) {
  const uint64_t page = it->first;
  if (it->second.code && watcher_) watcher_(page);
  tlb_drop(page);
  Frame* f = it->second.frame;
  const Vma* v = vma_at(page);
  const bool shared_file = v && v->shared_file();
  const SharedKey key = shared_file ? shared_key(*v, page) : SharedKey{};
  ptes_.erase(it);
  phys_->frames.unref(f);
  if (shared_file) {
    auto hit = phys_->shared.map_.find(key);
    if (hit != phys_->shared.map_.end() && hit->second.frame == f) phys_->shared.maybe_release(hit);
  }
}

void AddressSpace::drop_ptes(uint64_t start, uint64_t end) {
  auto it = ptes_.lower_bound(start);
  while (it != ptes_.end() && it->first < end) {
    auto next = std::next(it);
    drop_pte(it);
    it = next;
  }
}

int AddressSpace::sync(uint64_t addr, uint64_t len) {
  const uint64_t end = page_down(addr) + page_up(len);
  int first = 0;
  for (auto it = ptes_.lower_bound(addr); it != ptes_.end() && it->first < end; ++it) {
    const Vma* v = vma_at(it->first);
    if (!v || !v->shared_file()) continue;
    auto hit = phys_->shared.map_.find(shared_key(*v, it->first));
    const int e = hit == phys_->shared.map_.end() ? 0 : SharedPageCache::write_back(hit->first, hit->second);
    if (e < 0 && !first) first = e;
  }
  return first;
}

int AddressSpace::unmap(uint64_t addr, uint64_t len) {
  if (addr & (PAGE - 1)) return -LX_EINVAL;
  len = page_up(len);
  if (len == 0) return -LX_EINVAL;
  const uint64_t end = addr + len;
  split_at(addr);
  split_at(end);
  drop_ptes(addr, end);  // while the VMAs still say what the pages were
  bool had_anon = false;
  auto it = vmas_.lower_bound(addr);
  while (it != vmas_.end() && it->first < end) {
    had_anon |= it->second.shared_anon();
    it = vmas_.erase(it);
  }
  if (had_anon) phys_->shared.sweep();  // pages of a shared anonymous object now gone
  return 0;
}

uint64_t AddressSpace::mapped_bytes() const {
  uint64_t n = 0;
  for (const auto& [start, v] : vmas_) n += v.end - v.start;
  return n;
}

void AddressSpace::release_all() {
  if (!vmas_.empty()) unmap(vmas_.begin()->first, vmas_.rbegin()->second.end - vmas_.begin()->first);
  flush_tlb();
}

int AddressSpace::protect(uint64_t addr, uint64_t len, uint32_t prot) {
  if (addr & (PAGE - 1)) return -LX_EINVAL;
  len = page_up(len);
  const uint64_t end = addr + len;
  if (!range_mapped(addr, end)) return -LX_ENOMEM;  // every page in the range must be mapped
  split_at(addr);
  split_at(end);
  for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->first < end; ++it) it->second.prot = prot;
  for (auto it = ptes_.lower_bound(addr); it != ptes_.end() && it->first < end; ++it) {
    it->second.prot = prot;
    tlb_drop(it->first);
  }
  return 0;
}

int64_t AddressSpace::remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, bool may_move, bool fixed,
                            uint64_t new_addr) {
  if (old_addr & (PAGE - 1)) return -LX_EINVAL;
  old_len = page_up(old_len);
  new_len = page_up(new_len);
  if (new_len == 0) return -LX_EINVAL;
  const Vma* v = vma_at(old_addr);
  if (!v || v->end < old_addr + old_len) return -LX_EFAULT;
  if (fixed) {
    if (!may_move || (new_addr & (PAGE - 1))) return -LX_EINVAL;
  } else if (new_len <= old_len) {
    if (new_len < old_len) unmap(old_addr + new_len, old_len - new_len);
    return (int64_t)old_addr;
  } else if (v->end == old_addr + old_len && range_free(old_addr + old_len, old_addr + new_len) &&
             old_addr + new_len <= mmap_base + (1ull << 40)) {
    // Grow in place.
    vmas_.find(v->start)->second.end = old_addr + new_len;
    return (int64_t)old_addr;
  }
  if (!may_move) return -LX_ENOMEM;
  split_at(old_addr);
  split_at(old_addr + old_len);
  Vma nv = vmas_.at(old_addr);
  if (fixed) unmap(new_addr, new_len);
  else new_addr = find_free(new_len, 0);
  if (!new_addr) return -LX_ENOMEM;
  const uint64_t moved = old_len < new_len ? old_len : new_len;
  // Move the pages.
  std::vector<std::pair<uint64_t, Pte>> pages;
  drop_ptes(old_addr + moved, old_addr + old_len);
  for (auto it = ptes_.lower_bound(old_addr); it != ptes_.end() && it->first < old_addr + moved;) {
    if (it->second.code && watcher_) watcher_(it->first);
    tlb_drop(it->first);
    pages.emplace_back(it->first - old_addr + new_addr, it->second);
    it = ptes_.erase(it);
  }
  vmas_.erase(old_addr);
  nv.start = new_addr;
  nv.end = new_addr + new_len;
  vmas_.emplace(new_addr, nv);
  for (auto& [a, p] : pages) { p.code = false; ptes_.emplace(a, p); }
  return (int64_t)new_addr;
}

int AddressSpace::advise_dontneed(uint64_t addr, uint64_t len) {
  if (addr & (PAGE - 1)) return -LX_EINVAL;
  drop_ptes(addr, addr + page_up(len));
  return 0;
}

int64_t AddressSpace::set_brk(uint64_t want) {
  if (want < brk_start) return (int64_t)brk_cur;
  const uint64_t old_top = page_up(brk_cur), new_top = page_up(want);
  if (new_top > old_top) {
    if (!range_free(old_top, new_top)) return (int64_t)brk_cur;
    // Extend the heap VMA if it ends where we start, else create it.
    const Vma* v = old_top > 0 ? vma_at(old_top - 1) : nullptr;
    if (v && v->heap && v->end == old_top) vmas_.find(v->start)->second.end = new_top;
    else {
      map(old_top, new_top - old_top, PROT_R | PROT_W, true, false, false, nullptr, 0, "[heap]");
      vmas_.at(old_top).heap = true;
    }
  } else if (new_top < old_top) {
    unmap(new_top, old_top - new_top);
  }
  brk_cur = want;
  return (int64_t)brk_cur;
}

// ---- paging -------------------------------------------------------------------------

Pte* AddressSpace::resolve(uint64_t addr, bool write, bool exec) {
  const uint64_t page = page_down(addr);
  auto it = ptes_.find(page);
  Pte* p;
  if (it != ptes_.end()) {
    p = &it->second;
  } else {
    const Vma* v = vma_at(page);
    if (!v) throw GuestFault{addr, write, false};
    if ((v->prot & (PROT_R | PROT_W | PROT_X)) == 0) throw GuestFault{addr, write, true};
    if (write && !(v->prot & PROT_W)) throw GuestFault{addr, write, true};
    if (exec && !(v->prot & PROT_X)) throw GuestFault{addr, write, true};
    Frame* f = nullptr;
    const uint64_t off = v->file ? v->file_off + (page - v->start) : 0;
    const bool cached = v->shared && v->file;  // MAP_SHARED: the page is in the cache
    const SharedKey key = cached ? shared_key(*v, page) : SharedKey{};
    if (cached) {
      auto hit = phys_->shared.map_.find(key);
      if (hit != phys_->shared.map_.end() && !hit->second.file && hit->second.anon.expired()) {
        phys_->shared.maybe_release(hit);  // stale: a dead object's pages, its address reused
      } else if (hit != phys_->shared.map_.end()) {
        f = hit->second.frame;
        phys_->frames.ref(f);
      }
    }
    if (!f) {
      if (phys_->counters) phys_->counters->page_faults++;
      f = phys_->frames.alloc_zero();
      if (!f) throw GuestFault{addr, write, true, false, true};
      if (v->file && v->file->read_page(off, f->data, phys_->shared) <= 0) {
        phys_->frames.unref(f);
        throw GuestFault{addr, write, true, true};
      }
      if (cached) {
        phys_->frames.ref(f);  // the cache's reference
        SharedPageCache::Page sp{f, nullptr, {}};
        if (v->shared_file()) sp.file = v->file;
        else sp.anon = v->file;
        phys_->shared.map_[key] = std::move(sp);
      }
    }
    p = &ptes_.emplace(page, Pte{f, v->prot}).first->second;
  }
  if ((p->prot & (PROT_R | PROT_W | PROT_X)) == 0) throw GuestFault{addr, write, true};
  if (write && !(p->prot & PROT_W)) throw GuestFault{addr, write, true};
  if (exec && !(p->prot & PROT_X)) throw GuestFault{addr, write, true};
  if (write) {
    const Vma* v = vma_at(page);
    if (v->shared_file()) p->frame->dirty = true;
    if (p->frame->refs > 1 && !v->shared) {
      if (phys_->counters) phys_->counters->cow_copies++;
      Frame* copy = phys_->frames.alloc_copy(p->frame);
      if (!copy) throw GuestFault{addr, write, true, false, true};
      phys_->frames.unref(p->frame);
      p->frame = copy;
    }
    if (p->code) {
      p->code = false;
      if (watcher_) watcher_(page);
    }
    if (p->frame->code) phys_->code_frame_written(p->frame);  // code of another mapping of it
  }
  return p;
}

void AddressSpace::tlb_fill(uint64_t page, Pte* p) {
  TlbEntry& e = tlb_[(page >> 12) & (TLB_SIZE - 1)];
  e.delta = (uint64_t)(uintptr_t)p->frame->data - page;
  e.rtag = page;
  bool shared_ok = p->frame->refs == 1;
  if (!shared_ok) {
    const Vma* v = vma_at(page);
    // a clean MAP_SHARED file page: the first store must mark it dirty (slow path)
    shared_ok = v->shared && (p->frame->dirty || !v->shared_file());
  }
  e.wtag = ((p->prot & PROT_W) && shared_ok && !p->code && !p->frame->code) ? page : 1;
}

// ---- code in shared frames (PhysMem's notes) ----
void PhysMem::code_frame_marked(Frame* f) {
  for (AddressSpace* as : spaces) as->drop_write_tags(f);
}

void PhysMem::code_frame_written(Frame* f) {
  f->code = false;
  // (a watcher may run guest-visible work: take the list as it is now)
  const std::vector<AddressSpace*> now = spaces;
  for (AddressSpace* as : now) as->drop_code_of(f);
}

void AddressSpace::drop_write_tags(const Frame* f) {
  const uint64_t host = (uint64_t)(uintptr_t)f->data;
  for (TlbEntry& e : tlb_)
    if (e.wtag != 1 && e.wtag + e.delta == host) e.wtag = 1;
}

void AddressSpace::drop_code_of(const Frame* f) {
  for (auto& [page, pte] : ptes_) {
    if (pte.frame != f || !pte.code) continue;
    pte.code = false;
    tlb_drop(page);
    if (watcher_) watcher_(page);
  }
}

void AddressSpace::tlb_drop(uint64_t page) {
  TlbEntry& e = tlb_[(page >> 12) & (TLB_SIZE - 1)];
  if (e.rtag == page || e.wtag == page) e.rtag = e.wtag = 1;
}

void AddressSpace::flush_tlb() {
  for (auto& e : tlb_) e.rtag = e.wtag = 1;
}

void AddressSpace::read_slow(uint64_t a, void* dst, uint64_t n) {
  uint8_t* d = (uint8_t*)dst;
  while (n) {
    const uint64_t page = page_down(a), off = a - page;
    const uint64_t k = (PAGE - off) < n ? (PAGE - off) : n;
    Pte* p = resolve(a, false, false);
    memcpy(d, p->frame->data + off, k);
    tlb_fill(page, p);
    a += k; d += k; n -= k;
  }
}

void AddressSpace::probe_write_slow(uint64_t a, uint64_t n) {
  if (!n) return;
  for (uint64_t page = page_down(a); page <= page_down(a + n - 1); page += PAGE) resolve(page < a ? a : page, true, false);
}

void AddressSpace::write_slow(uint64_t a, const void* src, uint64_t n) {
  probe_write_slow(a, n);  // fault before writing anything
  const uint8_t* s = (const uint8_t*)src;
  while (n) {
    const uint64_t page = page_down(a), off = a - page;
    const uint64_t k = (PAGE - off) < n ? (PAGE - off) : n;
    Pte* p = resolve(page, true, false);
    memcpy(p->frame->data + off, s, k);
    tlb_fill(page, p);
    a += k; s += k; n -= k;
  }
}

void AddressSpace::fetch_bytes(uint64_t a, uint8_t* dst, uint64_t n) {
  while (n) {
    const uint64_t page = page_down(a), off = a - page;
    const uint64_t k = (PAGE - off) < n ? (PAGE - off) : n;
    Pte* p = resolve(a, false, true);
    if (!p->code) {
      p->code = true;
      tlb_drop(page);
      if (!p->frame->code && vma_at(page)->shared) {
        p->frame->code = true;
        phys_->code_frame_marked(p->frame);
      }
    }
    memcpy(dst, p->frame->data + off, k);
    a += k; dst += k; n -= k;
  }
}

const uint8_t* AddressSpace::fetch_page(uint64_t page) {
  try {
    uint8_t b;
    fetch_bytes(page, &b, 1);  // (the permission check and the code mark)
    return resolve(page, false, true)->frame->data;
  } catch (const GuestFault&) {
    return nullptr;
  }
}

const uint8_t* AddressSpace::host_read_ptr(uint64_t a) {
  try {
    Pte* p = resolve(a, false, false);
    return p->frame->data + (a & (PAGE - 1));
  } catch (const GuestFault&) {
    return nullptr;
  }
}

uint8_t* AddressSpace::host_write_ptr(uint64_t a) {
  try {
    Pte* p = resolve(a, true, false);
    tlb_drop(page_down(a));
    return p->frame->data + (a & (PAGE - 1));
  } catch (const GuestFault&) {
    return nullptr;
  }
}

bool AddressSpace::copy_in(void* dst, uint64_t src, uint64_t n) {
  try {
    read_slow(src, dst, n);
    return true;
  } catch (const GuestFault&) {
    return false;
  }
}

bool AddressSpace::copy_out(uint64_t dst, const void* src, uint64_t n) {
  try {
    write_slow(dst, src, n);
    return true;
  } catch (const GuestFault&) {
    return false;
  }
}

bool AddressSpace::read_cstr(uint64_t a, std::string& out, size_t max) {
  out.clear();
  while (out.size() < max) {
    const uint8_t* p = host_read_ptr(a);
    if (!p) return false;
    const size_t room = PAGE - (a & (PAGE - 1));
    const void* z = memchr(p, 0, room);
    if (z) {
      out.append((const char*)p, (const char*)z - (const char*)p);
      return true;
    }
    out.append((const char*)p, room);
    a += room;
  }
  return false;
}

}  // namespace gb
