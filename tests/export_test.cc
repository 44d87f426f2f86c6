// `mfrec export`: .npy files that read back (and that numpy loads, where numpy is installed).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "mfrec/export.h"
#include "model/export_io.h"
#include "test_util.h"

namespace mfrec {
namespace {

TEST(Export, NpyRoundTripAndHeaderLayout) {
  const std::string dir = test::scratch_dir("npy");
  const std::vector<float> v = {1.5f, -2, 3.25f, 0, 7, 8};
  write_npy(dir + "/a.npy", v.data(), {2, 3});
  std::vector<size_t> shape;
  EXPECT_EQ(read_npy(dir + "/a.npy", &shape), v);
  EXPECT_EQ(shape, (std::vector<size_t>{2, 3}));
  const std::string bytes = test::read_file(dir + "/a.npy");
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header = 10 + (uint8_t(bytes[8]) | size_t(uint8_t(bytes[9])) << 8);
  EXPECT_EQ(header % 64, 0u);
  EXPECT_EQ(bytes[header - 1], '\n');
  EXPECT_NE(bytes.find("'shape': (2, 3), }"), std::string::npos);
  write_npy(dir + "/b.npy", v.data(), {6});
  EXPECT_NE(test::read_file(dir + "/b.npy").find("'shape': (6,), }"), std::string::npos);
  EXPECT_EQ(read_npy(dir + "/b.npy", &shape).size(), 6u);
  test::write_file(dir, "bad.npy", "not numpy");
  EXPECT_THROW(read_npy(dir + "/bad.npy"), DataError);
}

TEST(Export, CsvFieldsAreQuotedWhenNeeded) {
  EXPECT_EQ(csv_field("Toy Story (1995)"), "Toy Story (1995)");
  EXPECT_EQ(csv_field("American President, The (1995)"), "\"American President, The (1995)\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(Export, ModelTablesMatchTheModel) {
  const std::string dir = test::scratch_dir("export");
  const Dataset d = load_dataset({.path = test::small_synthetic()});
  const Split s = make_split(d.ratings, {});
  TrainOptions o;
  o.epochs = 2;
  o.threads = 2;
  o.precision = Precision::bf16;  // exported as float32 all the same
  FitResult fr = fit(d, s, o);
  const Model m = fr.model;
  test::write_file(dir, "model.keep", "");
  const auto files = export_model(m, dir + "/out");
  EXPECT_EQ(files.size(), 8u);
  std::vector<size_t> shape;
  const auto P = read_npy(dir + "/out/user_factors.npy", &shape);
  EXPECT_EQ(shape, (std::vector<size_t>{m.n_users(), m.dim}));
  const auto Q = read_npy(dir + "/out/item_factors.npy", &shape);
  EXPECT_EQ(shape, (std::vector<size_t>{m.n_items(), m.dim}));
  for (uint32_t i = 0; i < m.n_items(); i += 7)
    for (uint32_t c = 0; c < m.dim; ++c) EXPECT_EQ(Q[size_t(i) * m.dim + c], m.Q.get(i, c));
  EXPECT_EQ(read_npy(dir + "/out/item_bias.npy", &shape), m.item_bias);
  EXPECT_EQ(read_npy(dir + "/out/user_bias.npy"), m.user_bias);
  EXPECT_EQ(read_npy(dir + "/out/user_mean.npy"), m.user_mean);
  // A prediction from the exported tables is the model's.
  const uint32_t u = 4, i = 9;
  float pred = m.user_mean[u] + m.user_bias[u] + m.item_bias[i];
  for (uint32_t c = 0; c < m.dim; ++c) pred += P[size_t(u) * m.dim + c] * Q[size_t(i) * m.dim + c];
  EXPECT_NEAR(pred, m.predict_raw(u, i), 1e-4);
  const std::string users = test::read_file(dir + "/out/users.csv");
  EXPECT_EQ(users.rfind("index,id\n0," + m.users.external(0) + "\n", 0), 0u);
  const std::string items = test::read_file(dir + "/out/items.csv");
  EXPECT_EQ(items.rfind("index,id,title,genres\n0," + m.items.external(0) + "," + csv_field(m.catalog.titles[0]), 0), 0u);
  EXPECT_EQ(nlohmann::json::parse(test::read_file(dir + "/out/model.json"))["dim"], m.dim);
}

TEST(Export, CommandWritesFilesNumpyLoads) {
  const std::string dir = test::scratch_dir("export-cli");
  auto r = test::run_cli("train --data_path " + test::small_synthetic() + " --output " + dir + " --epochs 2 --quiet --dim 8");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = test::run_cli("export --model " + dir + "/model.mfrec --out " + dir + "/npy");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("item_factors.npy"), std::string::npos);
  r = test::run_cli("export --model " + dir + "/nothing.mfrec --out " + dir + "/npy2");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  std::string python;
  for (const char* candidate : {"python3", "/usr/bin/python3"})
    if (python.empty() && std::system((std::string(candidate) + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0)
      python = candidate;
  if (python.empty()) GTEST_SKIP() << "numpy is not installed: the files were checked by the reader above, not by numpy";
  const std::string script = "import numpy as np, csv, sys; d = sys.argv[1]; "
                             "P = np.load(d + '/user_factors.npy'); Q = np.load(d + '/item_factors.npy'); "
                             "b = np.load(d + '/item_bias.npy'); rows = list(csv.reader(open(d + '/items.csv'))); "
                             "assert P.dtype == np.float32 and P.shape == (300, 8), P.shape; "
                             "assert Q.shape == (len(rows) - 1, 8) and b.shape == (Q.shape[0],); print('numpy ok')";
  FILE* p = ::popen((python + " -c \"" + script + "\" " + dir + "/npy 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096] = {};
  const size_t n = fread(buf, 1, sizeof buf - 1, p);
  EXPECT_EQ(::pclose(p), 0) << std::string(buf, n);
  EXPECT_NE(std::string(buf, n).find("numpy ok"), std::string::npos) << std::string(buf, n);
}

}  // namespace
}  // namespace mfrec
