// vm/linux/code_pool.cpp — see code_pool.h.
#include "vm/linux/code_pool.h"

#include <algorithm>

#include "vm/mem/address_space.h"

namespace gb {

uint64_t CodePool::bytes() const {
  uint64_t n = 0;
  for (const Entry& e : entries_) n += e.bc->bytes();
  return n;
}

void CodePool::discard(std::unique_ptr<BlockCache> bc) {
  bc->clear();  // (its regions go as "process gone")
  dead_.push_back(std::move(bc));
}

void CodePool::drop_front() {
  if (BlockCache& bc = *entries_.front().bc; bc.counters) bc.counters->code_caches_dropped++;
  discard(std::move(entries_.front().bc));
  entries_.erase(entries_.begin());
}

void CodePool::put(const std::string& key, std::unique_ptr<BlockCache> bc, AddressSpace& mem) {
  if (!enabled || key.empty()) {
    discard(std::move(bc));
    return;
  }
  // An older run of the program (this one is newer), or an older program at the same
  // path (rebuilt since: `gcc -o hello` again), goes.
  const std::string path = key.substr(0, key.find('|'));
  for (size_t i = 0; i < entries_.size();)
    if (entries_[i].key.compare(0, entries_[i].key.find('|'), path) == 0) {
      discard(std::move(entries_[i].bc));
      entries_.erase(entries_.begin() + (long)i);
    } else {
      i++;
    }
  bc->retire(mem);
  if (bc->live_blocks() == 0 || bc->bytes() > kMaxBytes) {
    discard(std::move(bc));
    return;
  }
  entries_.push_back(Entry{key, std::move(bc)});
  while (entries_.size() > kMaxCaches || bytes() > kMaxBytes) drop_front();
  peak_bytes_ = std::max(peak_bytes_, bytes());
}

std::unique_ptr<BlockCache> CodePool::take(const std::string& key) {
  for (size_t i = entries_.size(); i-- > 0;)
    if (entries_[i].key == key) {
      std::unique_ptr<BlockCache> bc = std::move(entries_[i].bc);
      entries_.erase(entries_.begin() + (long)i);
      bc->adopt();
      return bc;
    }
  return nullptr;
}

void CodePool::collect() { dead_.clear(); }

CodePool::~CodePool() {
  while (!entries_.empty()) drop_front();
}

}  // namespace gb
