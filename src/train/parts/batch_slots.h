#pragma once
// Where each rating of an epoch adds its gradients: the slot of its user and of its item among the
// rows its batch touches (numbered in first-touch order), and how many users and items each batch
// touches. The Adam engine works them out once per epoch, when the epoch's order is made (on the idle
// core with one thread), instead of every thread looking them up at every rating of every batch.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mfrec {

// Row -> slot for the batch being assigned; one per thread that assigns, on cache lines of its own
// (so that no line written while assigning bounces between cores).
class alignas(64) SlotTable {
 public:
  // For `rows` rows and batches of up to `batch` ratings.
  SlotTable(size_t rows, size_t batch) : slot_(rows, -1), touched_(std::min(rows, batch) + 1) {}
  // The row's slot in this batch, a new one on its first touch. Without a branch: whether a row is
  // new is a coin toss the predictor loses, and its misses would take much of assigning the slots.
  uint32_t claim(uint32_t row) {
    const int32_t at = slot_[row];
    const uint32_t fresh = uint32_t(at >> 31);  // all ones on a first touch (at is -1), else zero
    touched_[count_] = row;                      // kept only when fresh (touched_ has room for one more)
    const uint32_t slot = (uint32_t(at) & ~fresh) | (count_ & fresh);
    slot_[row] = int32_t(slot);
    count_ -= fresh;  // + 1 when fresh
    return slot;
  }
  size_t touched() const { return count_; }
  void clear() {
    for (size_t s = 0; s < count_; ++s) slot_[touched_[s]] = -1;
    count_ = 0;
  }

 private:
  std::vector<int32_t> slot_;      // -1 when untouched
  std::vector<uint32_t> touched_;  // in first-touch order: the first count_
  uint32_t count_ = 0;
};

class BatchSlots {
 public:
  // Slots are 16 bits: a batch touches at most min(batch, users) users and min(batch, items) items.
  static bool fits(size_t batch, size_t users, size_t items) {
    return std::min(batch, std::max(users, items)) <= 65536;
  }
  BatchSlots(size_t n, size_t batch) : batch_(batch), pairs_(n), touched_(2 * ((n + batch - 1) / batch)) {}

  size_t batches() const { return touched_.size() / 2; }
  // Assigns the slots of batches [first, last) of `ratings` (the epoch's order), where `user(x)` and
  // `item(x)` read a rating's rows.
  template <typename S, typename User, typename Item>
  void assign(const S* ratings, size_t first, size_t last, SlotTable& users, SlotTable& items, User user,
              Item item) {
    const size_t n = pairs_.size();
    for (size_t b = first; b < last; ++b) {
      const size_t begin = b * batch_, end = std::min(n, begin + batch_);
      for (size_t j = begin; j < end; ++j)
        pairs_[j] = users.claim(user(ratings[j])) | items.claim(item(ratings[j])) << 16;
      touched_[2 * b] = uint32_t(users.touched());
      touched_[2 * b + 1] = uint32_t(items.touched());
      users.clear();
      items.clear();
    }
  }
  // Batch b's slot pairs, one per rating (user_slot / item_slot decode one).
  const uint32_t* batch(size_t b) const { return pairs_.data() + b * batch_; }
  static uint32_t user_slot(uint32_t pair) { return pair & 0xffff; }
  static uint32_t item_slot(uint32_t pair) { return pair >> 16; }
  size_t users_touched(size_t b) const { return touched_[2 * b]; }
  size_t items_touched(size_t b) const { return touched_[2 * b + 1]; }

 private:
  size_t batch_;
  std::vector<uint32_t> pairs_;    // user slot | item slot << 16, in the epoch's order
  std::vector<uint32_t> touched_;  // per batch: users touched, items touched
};

}  // namespace mfrec
