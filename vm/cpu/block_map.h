// vm/cpu/block_map.h — the block cache's map from a block's start address to the block
// it owns: open addressing with linear probing over one array of slots.
//
// Why not std::unordered_map: a lookup there is a modulo by a prime bucket count, a load
// of the bucket, then of a node elsewhere in memory, and every insert allocates a node.
// On cold code (python's start-up, cc1) BlockCache::get_slow looks blocks up a few
// hundred thousand times and inserts tens of thousands, and those loads missed the cache
// (docs/jit.md, "The block map"). Here a lookup is a multiplicative hash and, at a load
// of at most 1/2, one or two adjacent slots.
//
// A slot is 8 bytes in wasm: the low 32 bits of the start and the Block, whose own
// `start` settles a match (the caller reads the block next anyway, so the load costs no
// extra miss; starts 4 GiB apart share a low half and take the next slot). 36,000 blocks
// (python's start-up) fill 128 K slots: 1 MiB where (start, Block*) pairs took 2 MiB,
// and each doubling's fresh array is first-touched page by page (docs/jit.md, "Cold
// code's memory"). This header needs Block complete: interp.h includes it after Block.
//
// Deletion shifts the following slots of the run back (no tombstones), so a lookup stops
// at the first empty slot. Iteration order is the slot order: callers that need an order
// sort (BlockCache::hot_entries does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace gb {

class BlockMap {
 public:
  struct Slot {
    uint32_t start_lo = 0;   // (uint32_t)block->start
    Block* block = nullptr;  // owned; null: the slot is empty
  };

  BlockMap() = default;
  BlockMap(const BlockMap&) = delete;
  BlockMap& operator=(const BlockMap&) = delete;
  ~BlockMap() { clear_into(nullptr); }

  size_t size() const { return n_; }

  Block* find(uint64_t start) const { return slots_.empty() ? nullptr : slots_[locate(start)].block; }

  // Takes b (none may be at start yet).
  void insert(uint64_t start, std::unique_ptr<Block> b) {
    if ((n_ + 1) * 2 > slots_.size()) grow();
    slots_[locate(start)] = Slot{(uint32_t)start, b.release()};
    n_++;
  }

  // Gives up the block at start (null if none).
  std::unique_ptr<Block> take(uint64_t start) {
    if (slots_.empty()) return nullptr;
    size_t i = locate(start);
    if (!slots_[i].block) return nullptr;
    std::unique_ptr<Block> out(slots_[i].block);
    slots_[i] = Slot{};
    n_--;
    // Backward shift: move each later slot of the run whose home is not in (i, j] into
    // the hole, so every remaining entry stays reachable from its home.
    for (size_t j = (i + 1) & mask(); slots_[j].block; j = (j + 1) & mask()) {
      const size_t h = home(slots_[j].block->start);
      const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      slots_[j] = Slot{};
      i = j;
    }
    return out;
  }

  // Every block moves to `out` (or is freed when out is null); the map is empty after.
  void clear_into(std::vector<std::unique_ptr<Block>>* out);

  template <class F>
  void for_each(F&& f) const {  // f(start, const Block&)
    for (const Slot& s : slots_)
      if (s.block) f(s.block->start, *s.block);
  }

 private:
  size_t mask() const { return slots_.size() - 1; }  // (the size is a power of two)
  size_t home(uint64_t start) const { return (size_t)((start * 0x9e3779b97f4a7c15ull) >> shift_); }
  // The slot holding start, else the empty slot that ends the run from its home (where it
  // would go). slots_ must not be empty; the load of at most 1/2 guarantees an empty slot.
  size_t locate(uint64_t start) const {
    size_t i = home(start);
    const uint32_t lo = (uint32_t)start;
    while (slots_[i].block && (slots_[i].start_lo != lo || slots_[i].block->start != start)) i = (i + 1) & mask();
    return i;
  }
  void grow();
  std::vector<Slot> slots_;
  size_t n_ = 0;
  unsigned shift_ = 64;  // 64 - log2(slots_.size())
};

}  // namespace gb
