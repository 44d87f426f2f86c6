// The facade (mfrec/mf.h) and what it stands on: data from arrays, load_split, train options from
// JSON, a callback that stops training, checkpoints in memory, cross-validation.
#include <gtest/gtest.h>

#include <cmath>

#include "mfrec/mfrec.h"
#include "test_util.h"

namespace mfrec {
namespace {

SplitData small_split(SplitKind kind = SplitKind::temporal) {
  ReadOptions r;
  r.path = test::small_synthetic();
  SplitOptions o;
  o.kind = kind;
  return load_split(r, o);
}

TrainOptions als(uint32_t epochs = 3) {
  TrainOptions o;
  o.optimizer = "als", o.dim = 8, o.epochs = epochs, o.threads = 1, o.seed = 1;
  return o;
}

TEST(Facade, FitsAsFitDoesAndAnswersEveryQuery) {
  const SplitData s = small_split();
  MF mf(als());
  EXPECT_FALSE(mf.fitted());
  EXPECT_THROW(mf.model(), UsageError);
  const FitResult& r = mf.fit(s.data, s.split);
  const FitResult plain = fit(s.data, s.split, als());
  EXPECT_EQ(r.test.rmse, plain.test.rmse);  // the same model as fit() for the same options
  EXPECT_EQ(test::largest_difference(mf.model(), plain.model), 0.0);

  const uint32_t u = mf.user_index(mf.model().users.external(0));
  EXPECT_EQ(u, 0u);
  EXPECT_THROW(mf.user_index("no-such-user"), UnknownIdError);
  try {
    mf.item_index("nope");
  } catch (const UnknownIdError& e) {
    EXPECT_EQ(e.id(), "nope");
    EXPECT_NE(std::string(e.what()).find("\"nope\""), std::string::npos);
  }

  const std::vector<uint32_t> us{0, 1, Model::npos}, is{0, 1, 2};
  const std::vector<float> p = mf.predict(us, is);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], mf.model().predict(0, 0));
  EXPECT_EQ(p[2], mf.model().predict_any(Model::npos, 2));
  EXPECT_THROW(mf.predict(us, std::vector<uint32_t>{0}), UsageError);

  const auto top = mf.recommend(u, 10);
  ASSERT_EQ(top.size(), 10u);
  const std::vector<uint32_t> exclude{top[0].index, top[2].index};
  const auto fewer = mf.recommend(u, 10, false, exclude);
  for (const Scored& x : fewer) EXPECT_TRUE(x.index != top[0].index && x.index != top[2].index);
  EXPECT_EQ(fewer[0].index, top[1].index);
  const std::vector<uint32_t> many{0, 1, 2};
  const auto lists = mf.recommend(many, 10);
  EXPECT_EQ(lists[0].size(), 10u);
  EXPECT_EQ(lists[0][0].index, top[0].index);
  const std::vector<FoldInRating> liked{{top[0].index, 5.0f}, {top[1].index, 4.0f}};
  const auto fresh = mf.recommend_new(liked, 5);
  ASSERT_EQ(fresh.size(), 5u);
  for (const Scored& x : fresh) EXPECT_TRUE(x.index != top[0].index && x.index != top[1].index);
  const std::vector<FoldInRating> out_of_range{{0, 50.0f}};
  EXPECT_THROW(mf.recommend_new(out_of_range, 5), UsageError);
  EXPECT_EQ(mf.similar_items(0, 5).size(), 5u);
  EXPECT_EQ(mf.similar_users(0, 5).size(), 5u);
  EXPECT_THROW(mf.similar_items(uint32_t(mf.model().n_items()), 5), UsageError);

  const Evaluation e = mf.evaluate(s.data, s.split);
  EXPECT_EQ(e.error.rmse, r.test.rmse);
  EXPECT_GT(e.ranking.users, 0u);
  EXPECT_TRUE(e.to_json().contains("ranking"));

  const std::string dir = test::scratch_dir("facade");
  mf.save(dir + "/m.mfrec");
  const MF back = MF::load(dir + "/m.mfrec");
  EXPECT_EQ(test::largest_difference(back.model(), mf.model()), 0.0);
  EXPECT_EQ(back.recommend(u, 10)[3].index, top[3].index);
  EXPECT_FALSE(mf.export_to(dir + "/export").empty());
}

TEST(Facade, ResumesFromItsOwnModel) {
  const SplitData s = small_split();
  MF mf(als(2));
  EXPECT_THROW(mf.fit(s.data, s.split, {}, true), UsageError);
  mf.fit(s.data, s.split);
  const double fresh_first_loss = mf.result().train.history[0].loss;
  mf.fit(s.data, s.split, {}, true);
  EXPECT_EQ(mf.model().meta.value("epochs_done", 0), 4);
  EXPECT_LT(mf.result().train.history[0].loss, fresh_first_loss);  // it went on from the trained rows
}

// What the front ends use beside: a fold-in kept to print, every user's list, a model resumed under
// other options, and metadata recorded before save.
TEST(Facade, FoldsInListsEveryUserAndRecordsMeta) {
  const SplitData s = small_split();
  MF mf(als(2));
  mf.fit(s.data, s.split);
  const auto top = mf.recommend(0, 5);
  const std::vector<FoldInRating> liked{{top[0].index, 5.0f}, {top[1].index, 4.0f}};
  const FoldedUser f = mf.fold_in(liked);
  EXPECT_EQ(f.rated.size(), 2u);
  EXPECT_EQ(mf.recommend(f, 5)[0].index, mf.recommend_new(liked, 5)[0].index);
  const std::vector<FoldInRating> out_of_range{{0, 50.0f}};
  EXPECT_THROW(mf.fold_in(out_of_range), UsageError);
  const auto all = mf.recommend_all(5);
  ASSERT_EQ(all.size(), mf.model().n_users());
  EXPECT_EQ(all[0][0].index, top[0].index);
  mf.meta()["note"] = "kept";
  const std::string path = test::scratch_dir("facade-meta") + "/m.mfrec";
  mf.save(path);
  EXPECT_EQ(MF::load(path).model().meta.value("note", ""), "kept");
  MF more(load_model(path), als(3));
  more.fit(s.data, s.split, {}, true);
  EXPECT_EQ(more.model().meta.value("epochs_done", 0), 5);
  EXPECT_THROW(MF().meta(), UsageError);
}

TEST(Facade, ACallbackThatReturnsFalseStopsTraining) {
  const SplitData s = small_split();
  TrainOptions o;
  o.epochs = 50, o.threads = 1;
  MF mf(o);
  int calls = 0;
  const FitResult& r = mf.fit(s.data, s.split, [&](const EpochStats& st) { return ++calls < 3; });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r.train.history.size(), 3u);
  EXPECT_TRUE(r.train.stopped);
  EXPECT_GE(r.train.best_epoch, 1u);
  EXPECT_TRUE(std::isfinite(r.test.rmse));
  int seen = 0;
  mf.fit(s.data, s.split, [&](const EpochStats&) { ++seen; });  // a void callable never stops it
  EXPECT_EQ(seen, 50);
}

TEST(Facade, CrossValidatesEveryFold) {
  const SplitData whole = [] {
    ReadOptions r;
    r.path = test::small_synthetic();
    SplitData d;
    d.data = load_dataset(r);
    return d;
  }();
  const CrossValidation cv = cross_validate(als(2), whole.data, 3);
  ASSERT_EQ(cv.folds.size(), 3u);
  EXPECT_GT(cv.rmse_mean, 0.5);
  EXPECT_LT(cv.rmse_mean, 1.3);
  EXPECT_GT(cv.rmse_std, 0.0);
  EXPECT_NE(cv.folds[0].error.rmse, cv.folds[1].error.rmse);
  EXPECT_THROW(cross_validate(als(), whole.data, 1), UsageError);
}

TEST(DatasetBuilder, InternsIdsAndKeepsTheLastOfARepeatedPair) {
  DatasetBuilder b("frame");
  b.add("u1", "a", 1);
  b.add("u2", "b", 2);
  b.add("u1", "a", 5);
  b.set_title("b", "Bee", "Drama");
  const Dataset d = std::move(b).finish();
  EXPECT_EQ(d.users.size(), 2u);
  EXPECT_EQ(d.items.size(), 2u);
  ASSERT_EQ(d.ratings.size(), 2u);
  EXPECT_EQ(d.report.duplicates, 1u);
  EXPECT_EQ(d.ratings.value[1], 5.0f);
  EXPECT_EQ(d.catalog.titles[*d.items.find("b")], "Bee");
  EXPECT_EQ(d.rating_min, 2.0f);
  EXPECT_EQ(d.rating_max, 5.0f);
  EXPECT_FALSE(d.ratings.has_time());
}

TEST(DatasetBuilder, NamesTheRowOfBadInput) {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([] {
              DatasetBuilder b("df");
              b.add("u", "i", 1);
              b.add("u", "j", NAN);
            }),
            "df: row 1: the rating is nan, not a finite number");
  EXPECT_EQ(message([] {
              DatasetBuilder b("df");
              b.add("", "i", 1);
            }),
            "df: row 0: the user id is empty");
  EXPECT_EQ(message([] { DatasetBuilder("df").finish(); }), "df: no ratings");
  EXPECT_EQ(message([] {
              DatasetBuilder b("df");
              b.add("u", "i", 1);
              b.add("u", "j", 1, 7);
            }),
            "df: row 1: a timestamp where the rows before have none");
  EXPECT_EQ(message([] {
              DatasetBuilder b("df");
              b.add("u", "i", 1, 7);
              b.add("u", "j", 1);
              (void)std::move(b).finish();
            }),
            "df: row 1: no timestamp where the rows before have one");
}

TEST(LoadSplit, ReadsTheFilesSplitIntoOneIdSpace) {
  MFREC_REQUIRE_DATA(dir, "ml-100k");
  ReadOptions r;
  r.path = dir;
  SplitOptions o;
  o.kind = SplitKind::files;
  const SplitData s = load_split(r, o, "u1.base", "u1.test");
  EXPECT_EQ(s.split.train.size() + s.split.val.size(), 80000u);
  EXPECT_EQ(s.split.test.size(), 20000u);
  EXPECT_EQ(s.data.users.size(), 943u);
  EXPECT_EQ(s.split.kind, SplitKind::files);
  EXPECT_THROW(load_split(r, o, "u1.base"), UsageError);
}

TEST(LoadSplit, ChecksTheFoldInTheLibrarysWords) {
  ReadOptions r;
  r.path = test::small_synthetic();
  SplitOptions o;
  o.kind = SplitKind::kfold;
  o.folds = 5;
  o.fold = 5;
  try {
    load_split(r, o);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("`fold` from 0 to folds - 1"), std::string::npos) << e.what();
  }
  o.fold = 4;
  EXPECT_GT(load_split(r, o).split.test.size(), 0u);
}

TEST(TrainOptionsJson, ReadsTheCliNamesAndNamesWhatIsWrong) {
  const TrainOptions o = TrainOptions::from_json(
      {{"optimizer", "ials"}, {"dim", 64}, {"alpha", 8.5}, {"keep", "last"}, {"confidence", "log"}, {"seed", 7},
       {"reg_bias", nullptr}, {"epochs", 12.0}});
  EXPECT_EQ(o.optimizer, "ials");
  EXPECT_EQ(o.dim, 64u);
  EXPECT_EQ(o.alpha, 8.5f);
  EXPECT_FALSE(o.keep_best);
  EXPECT_EQ(o.confidence, Confidence::log);
  EXPECT_EQ(o.epochs, 12u);
  auto message = [](const nlohmann::json& j) {
    try {
      TrainOptions::from_json(j);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({{"dim", "big"}}), "`dim` must be a non-negative integer (32 bits), not \"big\"");
  EXPECT_EQ(message({{"dim", -3}}), "`dim` must be a non-negative integer (32 bits), not -3");
  EXPECT_EQ(message({{"lr", true}}), "`lr` must be a number, not true");
  EXPECT_EQ(message({{"nonesuch", 1}}), "unknown train option `nonesuch`");
  EXPECT_EQ(message({{"keep", "first"}}), "`keep` must be \"best\" or \"last\", not \"first\"");
  EXPECT_EQ(message({{"dim", 0}}), "`dim` must be between 1 and 4096");
  // What to_json writes, from_json reads back.
  TrainOptions t;
  t.optimizer = "sgd", t.dim = 20, t.threads = 2;
  const TrainOptions back = TrainOptions::from_json(t.to_json());
  EXPECT_EQ(back.to_json(), t.to_json());
}

TEST(Checkpoint, EncodesInMemoryAsOnDisk) {
  const Model m = load_model(test::small_model());
  const std::string bytes = encode_model(m);
  const Model back = decode_model(bytes);
  EXPECT_EQ(test::largest_difference(m, back), 0.0);
  EXPECT_EQ(bytes, test::read_file(test::small_model()));
  EXPECT_THROW(decode_model(bytes.substr(0, bytes.size() / 2)), DataError);
  EXPECT_THROW(decode_model("not a model"), DataError);
}

}  // namespace
}  // namespace mfrec
