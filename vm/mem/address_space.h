// vm/mem/address_space.h — one process's guest address space.
//
// Index
//   1. GuestFault: the exception a bad access throws
//   2. Frame and FramePool: 4 KiB host frames, reference counted (for COW fork)
//   3. Vma: a mapping as mmap created it (range, protection, backing)
//   4. SharedPageCache (MAP_SHARED pages, as mappings and read()/write()/fsync see them)
//      and PhysMem (a machine's frames + cache)
//   5. AddressSpace: VMAs + page table + direct-mapped TLB; read/write/fetch helpers
//
// Design notes
//   * Linux model: VMAs say what may be mapped, frames are allocated on first touch
//     (demand paging); a PROT_NONE reservation of a gigabyte costs nothing.
//   * The TLB is direct mapped (TLB_SIZE entries) with separate read and write tags.
//     A write tag is absent for read-only pages, copy-on-write pages and pages that
//     hold decoded code, so those writes take the slow path: that is how COW breaks
//     and how self-modifying code invalidates the block cache (CodeWatcher).
//   * Accessors throw GuestFault before changing anything.
//   * File-backed private mappings read their page from a FileBacking when touched.
//   * MAP_SHARED pages live in one cache per machine (PhysMem), a frame per (backing key,
//     page offset), shared by every mapping in every process of that machine, and held only while some mapping maps them.
//     A store to a file page marks its frame dirty (the first store takes the slow path:
//     no write tag until then). Dirty frames are written to the file by msync, fsync,
//     and when the last mapping goes (munmap, exit, exec). read() and write() go through
//     the cache (section 5), so the file and its mappings agree at every moment, as they
//     do with Linux's unified page cache.
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vm/base/counters.h"
#include "vm/base/lxerrno.h"

namespace gb {

constexpr uint64_t PAGE = 4096;
constexpr uint64_t PAGE_MASK = ~(PAGE - 1);
inline uint64_t page_down(uint64_t a) { return a & PAGE_MASK; }
inline uint64_t page_up(uint64_t a) { return (a + PAGE - 1) & PAGE_MASK; }

enum Prot : uint32_t { PROT_R = 1, PROT_W = 2, PROT_X = 4 };

struct GuestFault {
  uint64_t addr;
  bool write;
  bool mapped;  // true: protection violation (SEGV_ACCERR); false: nothing there (SEGV_MAPERR)
  bool bus = false;  // SIGBUS: file mapping past end of file
  bool oom = false;  // no frame for a mapped page: the machine's memory budget is spent
};

struct FrameSlab;
// A 4 KiB host page. Shared between address spaces after fork (refs > 1 => COW).
struct Frame {
  uint8_t* data;
  uint32_t refs;
  bool dirty;  // MAP_SHARED file page stored to since it was read (sticky)
  bool code;   // MAP_SHARED page that some mapping holds decoded code in (PhysMem::code_*)
  FrameSlab* slab;  // the run of frames it was carved from
};

// The frames of one machine (PhysMem below).
// The pool is the machine's guest memory: `limit` frames at most (the total guest-memory
// budget, --mem-limit). alloc_* return null when the budget is spent or the host has no
// memory left (the page fault then becomes the OOM killer's business, never an abort).
// Frames are carved from slabs of kSlabFrames pages (one page-aligned allocation each:
// an aligned_alloc per page costs glibc two pages); a slab whose frames are all free
// goes back to the host, except one kept for the next fault.
class FramePool {
 public:
  FramePool() = default;
  FramePool(const FramePool&) = delete;
  ~FramePool();
  Frame* alloc_zero();
  Frame* alloc_copy(const Frame* f);
  void ref(Frame* f) { f->refs++; }
  void unref(Frame* f);
  uint64_t in_use() const { return in_use_; }
  void set_limit_bytes(uint64_t bytes) { limit_ = bytes / PAGE; }
  uint64_t limit_bytes() const { return limit_ * PAGE; }
  // The default budget: 2 GiB in wasm (the module's heap is at most 4 GiB), natively
  // half the host's RAM, at most 16 GiB.
  static uint64_t default_limit_bytes();
  static constexpr uint32_t kSlabFrames = 64;
 private:
  std::vector<FrameSlab*> partial_;  // slabs with free frames
  FrameSlab* spare_ = nullptr;       // one wholly free slab kept
  uint64_t in_use_ = 0;
  uint64_t limit_ = default_limit_bytes() / PAGE;
};

class SharedPageCache;

// Where a file-backed mapping gets its bytes. Implemented by the VFS layer.
class FileBacking {
 public:
  virtual ~FileBacking() = default;
  // Fill `dst` (4096 bytes) from file offset `off`; bytes past EOF are zero. `cache` is
  // the faulting machine's MAP_SHARED cache (a private copy sees shared stores).
  // Returns the number of bytes that were inside the file (0 => SIGBUS if off >= size).
  virtual int64_t read_page(uint64_t off, uint8_t* dst, SharedPageCache& cache) = 0;
  virtual std::string name() const = 0;
  // What MAP_SHARED mappings of this object have in common: their pages are one set of
  // frames per (key, offset), in every address space (fork, or two mmaps of one file).
  virtual const void* share_key() const { return this; }
  // MAP_SHARED stores reach the object: write_page is called for dirty pages.
  virtual bool writes_back() const { return false; }
  // Writes the page at file offset `off` back, clipped to the object's size (a mapping
  // never extends a file). Returns 0 or -errno (Linux's numbers, LX_E*).
  virtual int write_page(uint64_t off, const uint8_t* src) { return 0; }
};

struct Vma {
  uint64_t start, end;  // [start, end), page aligned
  uint32_t prot;
  bool shared = false;
  bool stack = false;
  bool heap = false;
  std::shared_ptr<FileBacking> file;
  uint64_t file_off = 0;  // file offset of `start`
  std::string name;       // for /proc/pid/maps: [heap], [stack], a path
  // MAP_SHARED of a file (stores are written back) / of anonymous memory.
  bool shared_file() const { return shared && file && file->writes_back(); }
  bool shared_anon() const { return shared && file && !file->writes_back(); }
};

struct Pte {
  Frame* frame;
  uint32_t prot;
  bool code = false;  // holds decoded guest code: writes go through the slow path
};

// ---- 4. the shared page cache and a machine's physical memory -------------------------
// MAP_SHARED pages: one frame per (backing key, file offset) for every mapping of one
// machine, so a page first touched after fork is still shared (POSIX semaphores in
// /dev/shm, shared anonymous memory). The cache holds one reference to each frame.
//   * File pages (writes_back()) are held while some mapping maps them: when the last
//     one goes, a dirty frame is written to the file and dropped. The entry holds the
//     backing, so its key (the file) cannot die and be reused while the entry exists.
//   * Anonymous pages live as long as their backing (every mapping made from one mmap
//     call holds it), even when no page table maps them (MADV_DONTNEED). The entry holds
//     the backing weakly; an expired entry is stale (its key may be a new object's).
//     A backing dies only when its last VMA goes (unmap, exit), and those sweep.
// So the cache holds what guest mappings hold, and needs no size bound of its own.
// The file syscalls' view (read/write/truncate/fsync): `key` is a FileBacking's
// share_key() (for files: the Inode); cheap when nothing of the file is mapped shared.
struct PhysMem;
class AddressSpace;
class SharedPageCache {
 public:
  SharedPageCache(FramePool& frames, PhysMem* phys) : frames_(frames), phys_(phys) {}
  SharedPageCache(const SharedPageCache&) = delete;
  ~SharedPageCache();
  // After write(2) of [off, off+n): the mapped pages take the new bytes.
  void written(const void* key, uint64_t off, const void* data, uint64_t n);
  // After read(2) of [off, off+n) into `data`: bytes of dirty mapped pages replace the
  // file's (stores through a mapping are visible to read before any msync).
  void read(const void* key, uint64_t off, void* data, uint64_t n);
  // After truncate to `size`: mapped bytes past the end become zero.
  void truncated(const void* key, uint64_t size);
  // fsync: writes the file's dirty mapped pages. 0 or the first error (-errno).
  int sync(const void* key);
  size_t pages() const { return map_.size(); }

 private:
  friend class AddressSpace;
  struct Page {
    Frame* frame;
    std::shared_ptr<FileBacking> file;  // file pages
    std::weak_ptr<FileBacking> anon;    // anonymous pages
  };
  using Key = std::pair<const void*, uint64_t>;
  using Map = std::map<Key, Page>;
  static int write_back(const Key& k, const Page& p);
  // Drops the entry if nothing needs it any more (see above); returns the next one.
  Map::iterator maybe_release(Map::iterator it);
  void sweep();
  template <class F> void for_pages(const void* key, uint64_t off, uint64_t n, F fn);
  FramePool& frames_;
  PhysMem* phys_;  // its machine (code held in a page that write() or truncate change)
  Map map_;
};

// What one machine's address spaces draw on: its frames and its shared page cache.
// Two machines in one process have one each and share nothing.
//
// Code in MAP_SHARED pages. Code marks are per page table entry (one address space's
// view), but a shared frame can change under another view: a store through a second
// mapping of the same file or memfd (RW next to RX, a JIT's usual trick), in this process
// or another, or write()/truncate on the file. So a shared frame that some mapping
// fetched code from carries Frame::code; while it does, no address space's TLB holds a
// write tag for it (every store takes the slow path), and a change to it through any
// path drops the code of every mapping of it, in every address space of the machine
// (code_frame_written: a scan, paid only when such a page changes).
struct PhysMem {
  FramePool frames;
  SharedPageCache shared{frames, this};
  Counters* counters = nullptr;  // the machine's (page faults, COW copies); none: not counted
  std::vector<AddressSpace*> spaces;  // every address space drawing on it (registered by each)
  void code_frame_marked(Frame* f);   // f now holds code: no more write tags for it anywhere
  void code_frame_written(Frame* f);  // f changed: every mapping's code in it is dropped
};

// Called when a page holding decoded code is written or unmapped.
using CodeWatcher = std::function<void(uint64_t page)>;

class AddressSpace {
 public:
  static constexpr int TLB_BITS = 12;  // 4096 pages = 16 MiB reach (python's heap missed at 1024)
  static constexpr int TLB_SIZE = 1 << TLB_BITS;

  // `phys`: the machine's frames and shared page cache (clones share it). Without one
  // the space has a PhysMem of its own (unit tests, tools).
  AddressSpace();
  explicit AddressSpace(std::shared_ptr<PhysMem> phys);
  ~AddressSpace();
  PhysMem& phys() const { return *phys_; }
  AddressSpace(const AddressSpace&) = delete;
  // fork(): copy of the VMAs, frames shared copy-on-write.
  std::unique_ptr<AddressSpace> clone_cow();

  // ---- mapping (the syscalls' view; errors are -errno, Linux's numbers: LX_E*) ----
  // Returns the address or -errno. hint/fixed follow mmap(2). `file` may be null.
  int64_t map(uint64_t addr, uint64_t len, uint32_t prot, bool fixed, bool noreplace,
              bool shared, std::shared_ptr<FileBacking> file, uint64_t off, const std::string& name);
  int unmap(uint64_t addr, uint64_t len);
  int protect(uint64_t addr, uint64_t len, uint32_t prot);
  int64_t remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, bool may_move, bool fixed, uint64_t new_addr);
  int advise_dontneed(uint64_t addr, uint64_t len);
  // msync: writes the dirty MAP_SHARED file pages of [addr, addr+len) to their files.
  // Returns 0 or the first error of FileBacking::write_page (-LX_E*).
  int sync(uint64_t addr, uint64_t len);
  // Find a free range of `len` bytes at or below mmap_base (top-down, like Linux).
  uint64_t find_free(uint64_t len, uint64_t hint);
  const std::map<uint64_t, Vma>& vmas() const { return vmas_; }
  const Vma* vma_at(uint64_t addr) const;
  // Whether every page of [start, end) is inside some VMA.
  bool range_mapped(uint64_t start, uint64_t end) const;

  // brk
  uint64_t brk_start = 0, brk_cur = 0;
  uint64_t mmap_base = 0x7f0000000000ull;
  int64_t set_brk(uint64_t want);

  // ---- access --------------------------------------------------------------------
  // The hit test compares the tag with the page of the access's last byte: an access that
  // crosses a page has its last byte in the next page, which the first byte's entry never
  // holds (it indexes the next entry), so one compare also rules out the crossing
  // (vm/jit's inline probe is the same test).
  template <class T> __attribute__((always_inline)) T read(uint64_t a) {
    const TlbEntry& e = tlb_[(a >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e.rtag == ((a + (sizeof(T) - 1)) & PAGE_MASK), 1)) {
      T v; memcpy(&v, (const uint8_t*)(uintptr_t)(a + e.delta), sizeof(T)); return v;
    }
    T v; read_slow(a, &v, sizeof(T)); return v;
  }
  template <class T> __attribute__((always_inline)) void write(uint64_t a, T v) {
    const TlbEntry& e = tlb_[(a >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e.wtag == ((a + (sizeof(T) - 1)) & PAGE_MASK), 1)) {
      memcpy((uint8_t*)(uintptr_t)(a + e.delta), &v, sizeof(T)); return;
    }
    write_slow(a, &v, sizeof(T));
  }
  // Checks that [a, a+n) is writable without writing (for instructions that must not
  // half-complete, e.g. push of several bytes spanning pages). A range inside one page
  // whose TLB entry already allows stores is writable: the same one compare as write()
  // (a read-modify-write of memory probes before its flags change: `shrq (m)` in
  // python's bigint code called resolve() every time).
  __attribute__((always_inline)) void probe_write(uint64_t a, uint64_t n) {
    const TlbEntry& e = tlb_[(a >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(n - 1 < PAGE && e.wtag == ((a + (n - 1)) & PAGE_MASK), 1)) return;
    probe_write_slow(a, n);
  }
  void read_bytes(uint64_t a, void* dst, uint64_t n) { read_slow(a, dst, n); }
  void write_bytes(uint64_t a, const void* src, uint64_t n) { write_slow(a, src, n); }
  // Instruction fetch: needs PROT_X; marks the page as holding code.
  void fetch_bytes(uint64_t a, uint8_t* dst, uint64_t n);
  // The page at `page` as instruction fetch sees it (PROT_X; marked as holding code, as
  // fetch_bytes marks it), or null where a fetch would fault. Never throws: the block
  // cache reads a whole page it inherited from another process (BlockCache::check_page).
  const uint8_t* fetch_page(uint64_t page);
  // Host pointer to the page containing `a` for reading, or null if not readable.
  // Never throws; used by syscalls copying user memory.
  const uint8_t* host_read_ptr(uint64_t a);
  uint8_t* host_write_ptr(uint64_t a);
  // Copy helpers for syscalls: return false on fault instead of throwing.
  bool copy_in(void* dst, uint64_t src, uint64_t n);
  bool copy_out(uint64_t dst, const void* src, uint64_t n);
  bool read_cstr(uint64_t a, std::string& out, size_t max = 1 << 20);

  void set_code_watcher(CodeWatcher w) { watcher_ = std::move(w); }
  void flush_tlb();
  uint64_t resident_pages() const { return ptes_.size(); }
  // Bytes of all mappings (RLIMIT_AS counts these), and whether a private writable
  // anonymous mapping of `len` more bytes fits (Linux's heuristic overcommit refuses a
  // single request larger than the machine's memory).
  uint64_t mapped_bytes() const;
  // Drops every mapping (a process that ended: its zombie holds no memory, as on Linux).
  void release_all();

 private:
  friend struct JitLayout;  // vm/jit reads tlb_ from compiled code (entry: rtag, wtag, delta)
  friend struct PhysMem;    // code in shared frames (drop_write_tags, drop_code_of)
  void drop_write_tags(const Frame* f);
  void drop_code_of(const Frame* f);
  struct alignas(32) TlbEntry {  // (32 bytes: the index is a shift and a mask, no multiply)
    uint64_t rtag = 1, wtag = 1;  // page address, or 1 (never matches) when invalid
    uint64_t delta = 0;           // host address - guest page address (mod 2^64)
  };
  TlbEntry tlb_[TLB_SIZE];
  std::shared_ptr<PhysMem> phys_;
  std::map<uint64_t, Vma> vmas_;  // key: start
  std::map<uint64_t, Pte> ptes_;  // key: page address
  CodeWatcher watcher_;

  Pte* resolve(uint64_t addr, bool write, bool exec);  // demand-pages; throws GuestFault{addr}
  void tlb_fill(uint64_t page, Pte* p);
  void tlb_drop(uint64_t page);
  void read_slow(uint64_t a, void* dst, uint64_t n);
  void probe_write_slow(uint64_t a, uint64_t n);
  void write_slow(uint64_t a, const void* src, uint64_t n);
  void drop_ptes(uint64_t start, uint64_t end);
  void split_at(uint64_t addr);  // split the VMA containing addr so that one starts there
  bool range_free(uint64_t start, uint64_t end) const;
  void drop_pte(std::map<uint64_t, Pte>::iterator it);
};

}  // namespace gb
