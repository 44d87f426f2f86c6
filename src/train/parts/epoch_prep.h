#pragma once
// Making an epoch's order (shuffle.h) and gradient slots (batch_slots.h) as a list of small tasks that
// threads take in turn whenever they would otherwise wait. The Adam engine's threads wait for each
// other at every batch: the next epoch's tasks fill that time, instead of delaying the epoch's start
// (BENCHMARKS.md). Every task is a function of the seed and of its index, so the order and the slots
// do not depend on which thread took which task.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

#include "train/parts/batch_slots.h"
#include "train/parts/samples.h"
#include "train/parts/shuffle.h"

namespace mfrec {

// A spinning thread's pause; after many in a row, the rest of its time slice instead: on a busy
// machine the thread it waits for may need the core. This count did best with a core busy (against
// yielding sooner or later, or OpenMP's barrier), and the same when idle (BENCHMARKS.md).
inline void wait_a_moment(uint32_t& spins) {
  if (++spins < (1u << 10)) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    std::this_thread::yield();
  }
}

template <typename S>
class EpochPrep {
 public:
  // For up to `threads` threads taking tasks, on data of `users` x `items` in batches of `batch`.
  EpochPrep(size_t threads, size_t users, size_t items, size_t batch) {
    for (size_t t = 0; t < threads; ++t) {
      users_.emplace_back(users, batch);
      items_.emplace_back(items, batch);
    }
  }

  // Starts making `out`, the samples of `in` in an order drawn from `seed`, and their `slots`. On one
  // thread, with no task of an earlier start still running.
  void begin(std::span<const S> in, S* out, uint64_t seed, BatchSlots& slots) {
    out_ = out, slots_ = &slots;
    // The shuffle's passes in at most 8 cuts (finer cuts are slower, their data colder), and the
    // slots one batch a task.
    const size_t cuts = std::clamp<size_t>(in.size() / 4096, 1, 8);
    shuffle_.begin(in, out, seed, cuts);
    const size_t tasks[kSteps] = {cuts, 1, cuts, std::min(cuts, shuffle_.buckets()), slots.batches()};
    size_t end = 0;
    for (size_t s = 0; s < kSteps; ++s) step_begins_[s] = end, end += tasks[s];
    step_begins_[kSteps] = end;
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_release);
  }

  // Runs the next task, as thread `t`, if its step can start; false when none can now.
  bool run_one(size_t t) {
    size_t task = next_.load(std::memory_order_relaxed);
    if (task == step_begins_[kSteps]) return false;
    size_t step = 0;
    while (task >= step_begins_[step + 1]) ++step;
    // Tasks are taken in order, so the earlier steps are all done once done_ reaches this step's start.
    if (done_.load(std::memory_order_acquire) < step_begins_[step]) return false;
    if (!next_.compare_exchange_strong(task, task + 1, std::memory_order_acquire)) return true;
    run(step, task - step_begins_[step], t);
    done_.fetch_add(1, std::memory_order_acq_rel);
    return true;
  }
  bool done() const { return done_.load(std::memory_order_acquire) == step_begins_[kSteps]; }
  // Takes tasks as thread `t` until `ready()`, waiting a moment whenever none can start.
  template <typename Ready>
  void work_until(Ready ready, size_t t) {
    for (uint32_t spins = 0; !ready();)
      if (!run_one(t)) wait_a_moment(spins);
  }
  // Takes tasks as thread `t` until all are done, by any thread.
  void finish(size_t t) {
    work_until([this] { return done(); }, t);
  }

 private:
  // The steps, in order, each of tasks that need all of the previous step's done.
  enum Step : size_t { kCount, kPrefix, kPlace, kShuffle, kSlots, kSteps };
  // Task k of `step`, on thread t.
  void run(size_t step, size_t k, size_t t) {
    switch (step) {
      case kCount: return shuffle_.count(k);
      case kPrefix: return shuffle_.prefix();
      case kPlace: return shuffle_.place(k);
      case kShuffle: return shuffle_.shuffle_buckets(k, step_begins_[kSlots] - step_begins_[kShuffle]);
      default:  // one batch
        slots_->assign(out_, k, k + 1, users_[t], items_[t], [](const S& x) { return x.user; },
                       [](const S& x) { return item_of(x); });
    }
  }

  StreamShuffle<S> shuffle_;
  S* out_ = nullptr;
  BatchSlots* slots_ = nullptr;
  std::vector<SlotTable> users_, items_;  // per thread
  size_t step_begins_[kSteps + 1] = {};   // each step's first task, then the end
  alignas(64) std::atomic<size_t> next_{0};  // the next task to take
  alignas(64) std::atomic<size_t> done_{0};  // tasks done
};

}  // namespace mfrec
