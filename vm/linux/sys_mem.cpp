// vm/linux/sys_mem.cpp — memory syscalls: mmap munmap mprotect mremap madvise brk
// mincore msync mlock*.
//
// MAP_SHARED file mappings share one page cache with read()/write() and are written
// back by msync, fsync and the last unmap (see vm/mem/address_space.h).
#include "vm/linux/sys_common.h"

namespace gb {

namespace {

uint32_t to_prot(uint64_t p) {
  return ((p & LPROT_READ) ? PROT_R : 0) | ((p & LPROT_WRITE) ? PROT_W : 0) | ((p & LPROT_EXEC) ? PROT_X : 0);
}

constexpr uint64_t kUserTop = 1ull << 47;

// Whether `grow` more bytes of mappings are allowed: RLIMIT_AS (may_expand_vm), and for
// memory that needs frames of its own (private writable, shared anonymous) Linux's
// heuristic overcommit: one request larger than the machine's memory (the guest-memory
// budget) is refused. 0 or -ENOMEM.
int64_t may_expand(Task& p, uint64_t grow, bool accountable) {
  const uint64_t as = p.rlim[9].cur;
  if (as != ~0ull && p.mem->mapped_bytes() + grow > as) return -LX_ENOMEM;
  const uint64_t budget = p.k.phys->frames.limit_bytes();
  if (accountable && budget && grow > budget) return -LX_ENOMEM;
  return 0;
}

SYS(mmap) {
  uint64_t addr = a[0], len = a[1];
  const uint64_t prot = a[2], flags = a[3], off = a[5];
  const int fd = arg_int(a, 4);
  if (len == 0) return -LX_EINVAL;
  if (off & (PAGE - 1)) return -LX_EINVAL;
  if (page_up(len) == 0 || page_up(len) > kUserTop) return -LX_ENOMEM;
  const uint64_t type = flags & LMAP_TYPE;
  if (type != LMAP_SHARED && type != LMAP_PRIVATE && type != LMAP_SHARED_VALIDATE) return -LX_EINVAL;
  const bool shared = type != LMAP_PRIVATE;
  const bool fixed = (flags & (LMAP_FIXED | LMAP_FIXED_NOREPLACE)) != 0;
  const bool noreplace = (flags & LMAP_FIXED_NOREPLACE) != 0;
  if (fixed && (addr & (PAGE - 1))) return -LX_EINVAL;
  if (fixed && (addr >= kUserTop || addr + page_up(len) > kUserTop)) return -LX_ENOMEM;
  std::shared_ptr<FileBacking> backing;
  std::string name;
  if (!(flags & LMAP_ANONYMOUS)) {
    FileRef f = p.fds.get(fd);
    if (!f) return -LX_EBADF;
    if (f->flags & LO_PATH) return -LX_EBADF;
    if (!f->readable()) return -LX_EACCES;
    if (shared && (prot & LPROT_WRITE) && !f->writable()) return -LX_EACCES;
    name = f->loc.path.empty() ? f->describe() : f->loc.path;
    backing = f->node->backing(name);
    if (!backing) return -LX_ENODEV;
  } else if (shared) {
    name = "/dev/zero (deleted)";
  }
  if (!fixed && addr >= kUserTop) addr = 0;
  const bool accountable = (!shared && (prot & LPROT_WRITE)) || (shared && (flags & LMAP_ANONYMOUS));
  if (const int64_t e = may_expand(p, page_up(len), accountable)) return e;
  const int64_t r = p.mem->map(page_down(addr), len, to_prot(prot), fixed, noreplace, shared, backing,
                               (flags & LMAP_ANONYMOUS) ? 0 : off, name);
  if (r >= 0) p.cpu.stop = true;
  return r;
}

SYS(munmap) {
  if (a[0] & (PAGE - 1)) return -LX_EINVAL;
  if (a[1] == 0 || a[0] >= kUserTop) return -LX_EINVAL;
  p.cpu.stop = true;
  return p.mem->unmap(a[0], a[1]);
}

SYS(mprotect) {
  const uint64_t addr = a[0], len = page_up(a[1]);
  if (addr & (PAGE - 1)) return -LX_EINVAL;
  if (a[2] & ~(uint64_t)(LPROT_READ | LPROT_WRITE | LPROT_EXEC | LPROT_GROWSDOWN | 0x02000000)) return -LX_EINVAL;
  if (len == 0) return 0;
  if (addr + len < addr) return -LX_ENOMEM;
  const uint32_t prot = to_prot(a[2]);
  // Decoded blocks on pages losing PROT_X must not run again.
  if (!(prot & PROT_X)) {
    for (auto& [start, v] : p.mem->vmas()) {
      if (v.end <= addr || v.start >= addr + len || !(v.prot & PROT_X)) continue;
      const uint64_t s = v.start > addr ? v.start : addr, e = v.end < addr + len ? v.end : addr + len;
      for (uint64_t pg = s; pg < e; pg += PAGE) p.mm->bc->invalidate_page(pg);
    }
  }
  p.cpu.stop = true;
  return p.mem->protect(addr, len, prot);
}

SYS(mremap) {
  const uint64_t flags = a[3];
  if (flags & ~(uint64_t)(LMREMAP_MAYMOVE | LMREMAP_FIXED | LMREMAP_DONTUNMAP)) return -LX_EINVAL;
  if ((flags & LMREMAP_FIXED) && !(flags & LMREMAP_MAYMOVE)) return -LX_EINVAL;
  if (flags & LMREMAP_DONTUNMAP) return -LX_EINVAL;
  if (a[0] & (PAGE - 1)) return -LX_EINVAL;
  if (a[1] == 0) return -LX_EINVAL;  // duplicating a shared mapping is not supported
  if (page_up(a[2]) == 0) return -LX_EINVAL;
  if (page_up(a[2]) > page_up(a[1])) {
    const Vma* v = p.mem->vma_at(a[0]);
    const bool accountable = v && ((!v->shared && (v->prot & PROT_W)) || v->shared_anon());
    if (const int64_t e = may_expand(p, page_up(a[2]) - page_up(a[1]), accountable)) return e;
  }
  p.cpu.stop = true;
  return p.mem->remap(a[0], a[1], a[2], (flags & LMREMAP_MAYMOVE) != 0, (flags & LMREMAP_FIXED) != 0, a[4]);
}

SYS(madvise) {
  if (a[0] & (PAGE - 1)) return -LX_EINVAL;
  const int advice = arg_int(a, 2);
  switch (advice) {
    case 4:  // MADV_DONTNEED
    case 8:  // MADV_FREE
      for (uint64_t pg = a[0]; pg < a[0] + page_up(a[1]); pg += PAGE)
        if (!p.mem->vma_at(pg)) return -LX_ENOMEM;
      p.cpu.stop = true;
      return p.mem->advise_dontneed(a[0], a[1]);
    case 0: case 1: case 2: case 3: case 9: case 10: case 11: case 12: case 13: case 14: case 15: case 16: case 17:
    case 18: case 19: case 20: case 21: case 22: case 23: case 100: case 101:
      return 0;
    default: return -LX_EINVAL;
  }
}

SYS(brk) {  // a refused brk returns the old break, as Linux
  const uint64_t cur = page_up(p.mem->brk_cur), want = page_up(a[0]);
  if (a[0] >= p.mem->brk_start && want > cur) {
    if (may_expand(p, want - cur, true) < 0) return (int64_t)p.mem->brk_cur;
    const uint64_t data = p.rlim[2].cur;  // RLIMIT_DATA bounds the heap, as Linux's brk
    if (data != ~0ull && a[0] - p.mem->brk_start > data) return (int64_t)p.mem->brk_cur;
  }
  return p.mem->set_brk(a[0]);
}

SYS(mincore) {
  if (a[0] & (PAGE - 1)) return -LX_EINVAL;
  const uint64_t n = page_up(a[1]) / PAGE, end = a[0] + n * PAGE;
  if (end < a[0] || !p.mem->range_mapped(a[0], end)) return -LX_ENOMEM;
  // Every mapped page counts as resident; written a chunk at a time (n is the guest's).
  static const std::vector<uint8_t> ones(4096, 1);
  for (uint64_t done = 0; done < n;) {
    const uint64_t k = std::min<uint64_t>(n - done, ones.size());
    if (!p.put(a[2] + done, ones.data(), (size_t)k)) return -LX_EFAULT;
    done += k;
  }
  return 0;
}

SYS(msync) {
  if (a[0] & (PAGE - 1)) return -LX_EINVAL;
  if ((a[2] & 5) == 5) return -LX_EINVAL;  // MS_ASYNC | MS_SYNC
  if (a[2] & ~7ull) return -LX_EINVAL;
  const uint64_t end = a[0] + page_up(a[1]);
  if (end < a[0] || !p.mem->range_mapped(a[0], end)) return -LX_ENOMEM;
  // MS_ASYNC writes now too: there is no background writer to hand the pages to
  return p.mem->sync(a[0], a[1]);
}

SYS(mlock) { return 0; }

}  // namespace

void register_sys_mem(SyscallTable& t) {
  t.add(9, "mmap", sys_mmap, {P(), U(), K(A_PROT), K(A_MMAP_FLAGS), FD(), H()}, R_HEX);
  t.add(10, "mprotect", sys_mprotect, {P(), U(), K(A_PROT)});
  t.add(11, "munmap", sys_munmap, {P(), U()});
  t.add(12, "brk", sys_brk, {P()}, R_HEX);
  t.add(25, "mremap", sys_mremap, {P(), U(), U(), K(A_MREMAP_FLAGS), P()}, R_HEX);
  t.add(26, "msync", sys_msync, {P(), U(), I()});
  t.add(27, "mincore", sys_mincore, {P(), U(), P()});
  t.add(28, "madvise", sys_madvise, {P(), U(), K(A_MADVISE)});
  t.add(149, "mlock", sys_mlock, {P(), U()});
  t.add(150, "munlock", sys_mlock, {P(), U()});
  t.add(151, "mlockall", sys_mlock, {H()});
  t.add(152, "munlockall", sys_mlock, {});
  t.add(325, "mlock2", sys_mlock, {P(), U(), H()});
}

}  // namespace gb
