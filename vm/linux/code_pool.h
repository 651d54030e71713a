// vm/linux/code_pool.h — decoded code kept from one process of a program for the next.
//
// A student runs the same programs again and again in one machine: gcc (and cc1, as,
// collect2, ld behind it), python3, their own ./a.out. Each run used to decode its code
// again and interpret it until its blocks were hot enough to compile. Now, when the last
// task of an address space goes (exit, or execve replacing it), its block cache (the
// decoded blocks, their run counts and the JIT's compiled regions) is kept here under
// the program's identity, and the next execve of the same program starts with it.
//
// Nothing is trusted by address: BlockCache::retire hashes every page that holds blocks
// while the old address space is still mapped, and the new process sees a page's
// blocks only once the same page of its own memory fetches and hashes the same
// (BlockCache::check_page, at the first block run there). A program rebuilt in place,
// a library mapped elsewhere, a page patched at run time: its pages differ, their blocks
// are dropped and decoded again. So the key only chooses which cache to try.
//
// Bounds: kMaxCaches programs and kMaxBytes of decoded blocks, oldest dropped first
// (their compiled regions go too, counted in the JIT's code cache as before). Only one
// process owns a cache at a time: a second process of the program running at the same
// time starts empty.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vm/cpu/interp.h"

namespace gb {

class AddressSpace;

class CodePool {
 public:
  static constexpr size_t kMaxCaches = 16;           // programs (a gcc run alone is five)
  static constexpr uint64_t kMaxBytes = 64ull << 20;  // decoded blocks, all caches
  bool enabled = true;  // KernelOptions::reuse_code

  // Keys are "path|identity" (kernel.cpp code_key): one entry per path.
  // The address space `mem` of program `key` is going; `bc` was its cache. Kept (after
  // retire) unless disabled, empty or too big (then cleared, freed at collect()); the
  // oldest go past the bounds. Call take() for a new image before put() of the old
  // one: a taken cache is never one a run loop is still inside.
  void put(const std::string& key, std::unique_ptr<BlockCache> bc, AddressSpace& mem);
  // The cache a process of `key` left (adopted: ready for a new run), or null.
  std::unique_ptr<BlockCache> take(const std::string& key);
  // Frees the caches let go since the last call; only where no run loop is running
  // (Task::run_slice, after run() returned).
  void collect();
  size_t size() const { return entries_.size(); }
  uint64_t bytes() const;
  uint64_t peak_bytes() const { return peak_bytes_; }
  ~CodePool();

 private:
  struct Entry {
    std::string key;
    std::unique_ptr<BlockCache> bc;
  };
  std::vector<Entry> entries_;  // oldest first
  uint64_t peak_bytes_ = 0;
  // Caches refused or let go (cleared), alive until collect(): put() is called from the
  // exit or execve syscall of a task whose run loop is still inside its cache, and one
  // exit can end other tasks (a tracer's PTRACE_O_EXITKILL, a thread group), whose puts
  // may push out a cache a run loop on the stack is still inside.
  std::vector<std::unique_ptr<BlockCache>> dead_;
  void discard(std::unique_ptr<BlockCache> bc);
  void drop_front();
};

}  // namespace gb
