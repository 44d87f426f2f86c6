// The model file: a round trip keeps everything; damage of any kind is detected, never loaded.
#include <gtest/gtest.h>

#include <filesystem>
#include <cstring>
#include <fstream>

#include "test_util.h"

namespace mfrec {
namespace {

Model trained(Precision p) {
  static const Dataset d = load_dataset({.path = test::small_synthetic()});
  static const Split s = make_split(d.ratings, {.seed = 1});
  TrainOptions o;
  o.epochs = 2, o.threads = 1, o.precision = p;
  return fit(d, s, o).model;
}

TEST(Checkpoint, RoundTripKeepsEverything) {
  for (Precision p : {Precision::fp32, Precision::bf16, Precision::fp16}) {
    const Model m = trained(p);
    const std::string path = test::scratch_dir("rt") + "/model.mfrec";
    save_model(m, path);
    const Model l = load_model(path);
    EXPECT_EQ(l.precision(), p);
    EXPECT_EQ(l.dim, m.dim);
    EXPECT_EQ(std::memcmp(l.P.raw(), m.P.raw(), m.P.bytes()), 0);
    EXPECT_EQ(std::memcmp(l.Q.raw(), m.Q.raw(), m.Q.bytes()), 0);
    EXPECT_EQ(l.user_bias, m.user_bias);
    EXPECT_EQ(l.item_bias, m.item_bias);
    EXPECT_EQ(l.user_mean, m.user_mean);
    EXPECT_EQ(l.users.names(), m.users.names());
    EXPECT_EQ(l.items.names(), m.items.names());
    EXPECT_EQ(l.catalog.titles, m.catalog.titles);
    EXPECT_EQ(l.seen.items, m.seen.items);
    EXPECT_EQ(l.meta, m.meta);
    EXPECT_EQ(l.predict(3, 5), m.predict(3, 5));
    EXPECT_EQ(*l.items.find(m.items.external(7)), 7u);
  }
}

void expect_load_error(const std::string& path, const std::string& words) {
  try {
    load_model(path);
    FAIL() << "loaded a damaged model";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, DamageIsDetected) {
  const Model m = trained(Precision::fp32);
  const std::string dir = test::scratch_dir("damage");
  save_model(m, dir + "/good.mfrec");
  const std::string bytes = test::read_file(dir + "/good.mfrec");

  test::write_file(dir, "truncated.mfrec", bytes.substr(0, bytes.size() / 2));
  expect_load_error(dir + "/truncated.mfrec", "checksum");
  std::string flipped = bytes;
  flipped[flipped.size() / 3] ^= 0x10;
  test::write_file(dir, "flipped.mfrec", flipped);
  expect_load_error(dir + "/flipped.mfrec", "corrupted");
  test::write_file(dir, "other.mfrec", "not a model at all\n");
  expect_load_error(dir + "/other.mfrec", "not an mfrec model");
  std::string future = bytes;
  future[8] = 9;  // the format version follows the 8-byte magic
  test::write_file(dir, "future.mfrec", future);
  expect_load_error(dir + "/future.mfrec", "format version 9");
  test::write_file(dir, "empty.mfrec", "");
  expect_load_error(dir + "/empty.mfrec", "not an mfrec model");
  expect_load_error(dir + "/missing.mfrec", "cannot open");
  expect_load_error(dir, "not a regular file");
  EXPECT_THROW(load_model("/dev/zero"), DataError);  // endless: must not hang
}

TEST(Checkpoint, WritesAtomically) {
  const Model m = trained(Precision::fp32);
  const std::string dir = test::scratch_dir("atomic");
  save_model(m, dir + "/model.mfrec");
  save_model(m, dir + "/model.mfrec");  // replacing an existing file
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "model.mfrec");
  }
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";
  EXPECT_THROW(save_model(m, dir + "/no/such/folder/model.mfrec"), DataError);
}

}  // namespace
}  // namespace mfrec
