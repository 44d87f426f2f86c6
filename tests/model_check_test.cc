// Model::check: a model refuses its own broken invariants, whoever built it, before scoring
// indexes its tables unchecked; the loader, decode_model and the facade all check.
#include <gtest/gtest.h>

#include <functional>

#include "mfrec/engines.h"
#include "mfrec/mfrec.h"
#include "test_util.h"

namespace mfrec {
namespace {

const Model& good_model() {
  static const Model m = load_model(test::small_model());
  return m;
}

void expect_broken(const std::function<void(Model&)>& spoil, const std::string& words) {
  Model m = good_model();
  spoil(m);
  EXPECT_NE(m.inconsistency().find(words), std::string::npos) << m.inconsistency();
  try {
    m.check();
    ADD_FAILURE() << "check() passed a broken model: " << words;
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("the model is inconsistent (", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
  EXPECT_THROW(MF{m}, DataError);  // the facade refuses it too
  // Saved as it is (the writer does not check), it is refused on load and in memory.
  EXPECT_THROW(decode_model(encode_model(m)), DataError);
}

TEST(ModelCheck, ACompleteModelPasses) {
  EXPECT_EQ(good_model().inconsistency(), "");
  EXPECT_NO_THROW(good_model().check());
  EXPECT_NO_THROW(MF{good_model()});
}

TEST(ModelCheck, DimAndTableSizes) {
  expect_broken([](Model& m) { m.dim = 0; }, "dim is 0");
  expect_broken([](Model& m) { m.user_mean.pop_back(); }, "user means");
  expect_broken([](Model& m) { m.P = FactorMatrix(m.n_users() + 1, m.dim, m.precision()); }, "factor table size");
  expect_broken([](Model& m) { m.Q = FactorMatrix(m.n_items(), m.dim + 1, m.precision()); }, "factor table size");
  expect_broken([](Model& m) { m.catalog.titles.pop_back(); }, "titles or genres");
  expect_broken([](Model& m) { std::swap(m.rating_min, m.rating_max); }, "rating range");
}

TEST(ModelCheck, BiasesAndIdsFollowTheCounts) {
  // n_users() is the user biases' count: one fewer bias disagrees with every other table.
  Model m = good_model();
  m.user_bias.pop_back();
  EXPECT_FALSE(m.inconsistency().empty());
  m = good_model();
  m.item_bias.push_back(0);
  EXPECT_FALSE(m.inconsistency().empty());
  m = good_model();
  m.users = IdMap::from_names({"only"});
  EXPECT_NE(m.inconsistency().find("user ids"), std::string::npos) << m.inconsistency();
}

TEST(ModelCheck, SeenItems) {
  expect_broken([](Model& m) { m.seen.offsets.pop_back(); }, "seen items: ");
  expect_broken([](Model& m) { m.seen.items[0] = uint32_t(m.n_items()); }, "seen items: user 0 has item");
  expect_broken([](Model& m) { m.seen.offsets[1] = m.seen.items.size() + 1; }, "seen items: user 0's offset");
  expect_broken([](Model& m) { std::swap(m.seen.items[0], m.seen.items[1]); }, "not sorted");
}

TEST(ModelCheck, FitMakesACompleteModel) {
  ReadOptions r;
  r.path = test::small_synthetic();
  const SplitData s = load_split(r, SplitOptions{});
  for (const EngineInfo& e : engines()) {
    TrainOptions o;
    o.optimizer = e.name, o.dim = 4, o.epochs = 3, o.burn_in = 1, o.threads = 1;
    EXPECT_EQ(fit(s.data, s.split, o).model.inconsistency(), "") << e.name;
  }
}

}  // namespace
}  // namespace mfrec
