// The automatic thread count: Adam's threads wait for each other at every batch, so a busy machine
// or a tiny data set gets one thread; a count asked for is kept.
#include <gtest/gtest.h>
#include <omp.h>

#include "mfrec/train.h"

namespace mfrec {
namespace {

TEST(Threads, AdamFallsBackToOneThreadWhenBusyOrTiny) {
  if (omp_get_num_procs() < 2) GTEST_SKIP() << "one core: nothing to fall back from";
  TrainOptions o;  // adam, threads 0
  const uint32_t idle = o.threads_for(1000000, 0.1);
  EXPECT_EQ(idle, 2u);
  std::string why;
  EXPECT_EQ(o.threads_for(1000000, double(omp_get_num_procs()), &why), 1u);
  EXPECT_NE(why.find("busy"), std::string::npos) << why;
  EXPECT_EQ(o.threads_for(3, 0.0, &why), 1u);
  EXPECT_NE(why.find("small"), std::string::npos) << why;
  o.threads = 2;  // asked for: kept
  EXPECT_EQ(o.threads_for(3, 100.0), 2u);
  TrainOptions als;
  als.optimizer = "als";  // rows solved independently: no waiting, every core
  EXPECT_EQ(als.threads_for(3, 100.0), als.thread_count());
}

}  // namespace
}  // namespace mfrec
