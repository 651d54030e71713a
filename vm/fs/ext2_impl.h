// vm/fs/ext2_impl.h — ext2 internals shared by ext2.cpp, ext2_file.cpp, ext2_dir.cpp.
// Not part of the interface: include vm/fs/ext2.h instead.
//
// On-disk facts used here (ext2 revision 0/1, little endian):
//   superblock at byte 1024 (1024 bytes); group descriptor table (32-byte entries) in the
//   block after the superblock's; per group: block bitmap, inode bitmap, inode table;
//   inode: mode, uid, size, times, gid, links, blocks (512-byte units), flags,
//   block[15] (12 direct, indirect, double, triple), generation, file_acl, size_high;
//   directory entry: inode u32, rec_len u16, name_len u8, file_type u8 (or name_len u16
//   without the filetype feature), name.
#pragma once
#include <cstdint>
#include <cerrno>
#include <cstring>
#include <new>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "vm/fs/ext2.h"

namespace gb::fs {
namespace e2 {

// features
constexpr uint32_t COMPAT_DIR_PREALLOC = 0x1, COMPAT_IMAGIC_INODES = 0x2, COMPAT_HAS_JOURNAL = 0x4,
                   COMPAT_EXT_ATTR = 0x8, COMPAT_RESIZE_INODE = 0x10, COMPAT_DIR_INDEX = 0x20;
constexpr uint32_t INCOMPAT_FILETYPE = 0x2;
constexpr uint32_t RO_COMPAT_SPARSE_SUPER = 0x1, RO_COMPAT_LARGE_FILE = 0x2;
constexpr uint32_t SUPPORTED_INCOMPAT = INCOMPAT_FILETYPE;
constexpr uint32_t SUPPORTED_RO_COMPAT = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE;

// inode flags
constexpr uint32_t FL_INDEX = 0x1000;  // hashed directory

// modes
constexpr uint32_t S_IFMT_ = 0170000, S_IFSOCK_ = 0140000, S_IFLNK_ = 0120000, S_IFREG_ = 0100000,
                   S_IFBLK_ = 0060000, S_IFDIR_ = 0040000, S_IFCHR_ = 0020000, S_IFIFO_ = 0010000;
inline bool is_dir(uint32_t m) { return (m & S_IFMT_) == S_IFDIR_; }
inline bool is_reg(uint32_t m) { return (m & S_IFMT_) == S_IFREG_; }
inline bool is_lnk(uint32_t m) { return (m & S_IFMT_) == S_IFLNK_; }

// on-disk directory file types
enum : uint8_t { FT_UNKNOWN = 0, FT_REG = 1, FT_DIR = 2, FT_CHR = 3, FT_BLK = 4, FT_FIFO = 5, FT_SOCK = 6,
                 FT_LNK = 7 };
uint8_t mode_to_ft(uint32_t mode);
uint8_t ft_to_dt(uint8_t ft);

constexpr uint32_t kLinkMax = 32000;
constexpr uint32_t kNameMax = 255;

inline uint16_t get16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline void put16(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}

// An error unwinding to the public call, which returns -code.
struct Error {
  int code;
};

}  // namespace e2

struct Ext2::Impl {
  // ---------------------------------------------------------------- state
  BlockDevice* dev = nullptr;
  Ext2Options opt;
  bool ro = false;

  uint8_t sb[1024];  // the superblock as read; fields we change are written into it
  uint32_t bs = 0, log_bs = 0;
  uint32_t rev = 0;
  uint32_t first_data_block = 0;
  uint32_t blocks_count = 0, inodes_count = 0;
  uint32_t free_blocks = 0, free_inodes = 0, r_blocks = 0;
  uint32_t bpg = 0, ipg = 0;
  uint32_t inode_size = 128, first_ino = 11;
  uint32_t compat = 0, incompat = 0, ro_compat = 0;
  uint32_t ngroups = 0;
  uint32_t gdt_block = 0, gdt_blocks = 0;
  uint32_t inode_table_blocks = 0;  // per group
  uint32_t addr_per_block = 0;
  uint64_t max_lblk = 0;            // number of addressable logical blocks
  bool sb_dirty = false;
  uint32_t generation = 0;

  struct Group {
    uint32_t block_bitmap, inode_bitmap, inode_table;
    uint32_t free_blocks, free_inodes, used_dirs;
  };
  std::vector<Group> groups;
  std::vector<uint8_t> gdt_raw;
  std::vector<bool> gdt_dirty;  // per GDT block

  // ---------------------------------------------------------------- buffer cache
  struct Buf {
    uint32_t blk = 0;
    std::vector<uint8_t> data;
    bool dirty = false;
    Ext2ReadKind kind = Ext2ReadKind::Data;  // what it holds (a write-back's trace event)
    uint32_t ino = 0;
    int pins = 0;
    std::list<Buf*>::iterator lru;
  };
  std::unordered_map<uint32_t, std::unique_ptr<Buf>> bufs;
  std::list<Buf*> lru;  // front = most recent

  class Ref {  // a pinned buffer
   public:
    Ref() = default;
    explicit Ref(Buf* b) : b_(b) {
      if (b_) b_->pins++;
    }
    Ref(const Ref& o) : Ref(o.b_) {}
    Ref& operator=(const Ref& o) {
      if (this != &o) {
        if (b_) b_->pins--;
        b_ = o.b_;
        if (b_) b_->pins++;
      }
      return *this;
    }
    ~Ref() {
      if (b_) b_->pins--;
    }
    uint8_t* data() const { return b_->data.data(); }
    void dirty() const { b_->dirty = true; }
    uint32_t blk() const { return b_->blk; }
    explicit operator bool() const { return b_ != nullptr; }

   private:
    Buf* b_ = nullptr;
  };

  // ---------------------------------------------------------------- inodes
  struct Inode {
    uint32_t ino = 0;
    uint32_t mode = 0, uid = 0, gid = 0, links = 0;
    uint64_t size = 0;
    int64_t atime = 0, ctime = 0, mtime = 0;
    uint32_t dtime = 0;
    uint32_t blocks = 0;  // 512-byte units
    uint32_t flags = 0;
    uint32_t block[15] = {};
    uint32_t generation = 0;
    uint32_t file_acl = 0;
  };

  std::unordered_map<uint32_t, int> refs;
  struct RaState {
    uint64_t next = 0;    // logical block a sequential reader asks for next
    uint64_t window = 0;  // blocks prefetched ahead of it
    uint64_t ahead = 0;   // first logical block not yet prefetched
    bool whole = false;   // the whole file was prefetched
  };
  std::unordered_map<uint32_t, RaState> ra;

  Ext2TraceFn trace;
  Counters ctr;
  std::string last_error;

  // ---------------------------------------------------------------- ext2.cpp
  int64_t now() const;
  [[noreturn]] void corrupt(const std::string& what);
  [[noreturn]] static void fail(int code) { throw e2::Error{code}; }
  void need_rw() const {
    if (ro) fail(LX_EROFS);
  }
  bool valid_block(uint64_t b) const { return b >= first_data_block && b < blocks_count; }
  void check_block(uint64_t b, const char* what);

  Ref bread(uint32_t blk, Ext2ReadKind kind, uint32_t ino = 0, uint64_t lblk = 0);
  Ref bnew(uint32_t blk, Ext2ReadKind kind, uint32_t ino);  // a freshly allocated metadata block: zeroed, dirty, not read
  void bforget(uint32_t blk);    // the block was freed: drop it (even if dirty)
  void trim_cache();
  int write_back(Buf* b);
  void emit(const Ext2TraceEvent& ev) {
    if (trace) trace(ev);
  }
  // The trace event of a device write of nblocks blocks from pblk.
  void emit_write(Ext2ReadKind kind, uint32_t ino, uint64_t lblk, uint64_t pblk, uint32_t nblocks) {
    if (!trace) return;
    Ext2TraceEvent ev;
    ev.write = true;
    ev.kind = kind;
    ev.ino = ino;
    ev.lblk = lblk;
    ev.pblk = pblk;
    ev.nblocks = nblocks;
    ev.chunk = dev->chunk_of(pblk * bs);
    trace(ev);
  }

  void read_inode(uint32_t ino, Inode* in);
  void write_inode(const Inode& in);
  void check_ino(uint32_t ino);

  uint32_t alloc_block(uint32_t goal);
  void free_block(uint32_t blk);
  uint32_t alloc_inode(uint32_t dir_ino, bool is_dir);
  void free_inode(uint32_t ino, bool was_dir);
  void release_xattr(uint32_t blk);
  bool group_has_super(uint32_t g) const;
  bool is_group_metadata(uint32_t blk) const;
  uint32_t inode_group_goal(uint32_t ino) const;

  // ---------------------------------------------------------------- ext2_file.cpp
  // logical -> physical; 0 for a hole. Throws on corrupt pointers.
  uint32_t bmap(const Inode& in, uint64_t lblk);
  // as bmap, allocating (data and indirect blocks) when missing; *fresh: data block new
  uint32_t bmap_alloc(Inode& in, uint64_t lblk, uint32_t goal, bool* fresh);
  void free_blocks_from(Inode& in, uint64_t first_lblk);  // frees blocks >= first_lblk
  bool free_tree(uint32_t blk, int level, uint64_t base, uint64_t first, Inode& in);
  void zero_tail(Inode& in, uint64_t size);
  int64_t do_read(Inode& in, uint64_t off, uint8_t* buf, uint64_t len, Ext2ReadKind kind);
  int64_t do_write(Inode& in, uint64_t off, const uint8_t* buf, uint64_t len);
  void do_truncate(Inode& in, uint64_t size);
  void readahead(Inode& in, uint64_t first_lblk, uint64_t nblocks);
  void prefetch_lblks(Inode& in, uint64_t from, uint64_t count);
  void release_inode(Inode& in);  // links == 0 and no refs: free everything
  uint64_t max_file_size() const;

  // ---------------------------------------------------------------- ext2_dir.cpp
  struct Slot {
    uint64_t lblk = 0;
    uint32_t pblk = 0;
    uint32_t off = 0;    // of the entry inside the block
    uint32_t prev = UINT32_MAX;  // previous entry in the block (for removal), or none
    uint32_t ino = 0;
    uint8_t ft = 0;
  };
  uint64_t dir_blocks(const Inode& dir);
  Ref dir_block(const Inode& dir, uint64_t lblk, uint32_t* pblk);
  void check_dir_block(const uint8_t* b, uint32_t ino, uint64_t lblk);
  bool find_entry(const Inode& dir, std::string_view name, Slot* slot);
  void add_entry(Inode& dir, std::string_view name, uint32_t ino, uint32_t mode);
  void remove_entry(Inode& dir, const Slot& s);
  void set_entry_ino(Inode& dir, const Slot& s, uint32_t ino, uint32_t mode);
  bool dir_empty(const Inode& dir);
  void dir_modified(Inode& dir);
  void check_name(std::string_view name) const;
  uint32_t name_len_of(const uint8_t* e) const {
    return (incompat & e2::INCOMPAT_FILETYPE) ? e[6] : e2::get16(e + 6);
  }
  uint32_t new_inode(uint32_t dir, uint32_t mode, uint32_t uid, uint32_t gid, Inode* out);
  void drop_link(Inode& in);  // links--, free when unreferenced
};

}  // namespace gb::fs

namespace gb::fs::e2 {
// Runs a public call: e2::Error becomes -code; the cache is trimmed afterwards.
template <class F>
auto guard(Ext2::Impl* p, F f) -> decltype(f()) {
  try {
    auto r = f();
    p->trim_cache();
    return r;
  } catch (const Error& e) {
    try {
      p->trim_cache();
    } catch (const Error&) {
    }
    return -e.code;
  } catch (const std::bad_alloc&) {
    return -LX_ENOMEM;
  }
}
}  // namespace gb::fs::e2
