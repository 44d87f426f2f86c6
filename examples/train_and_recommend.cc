// mfrec as a library: load (or generate) a data set, split it, train, save the model, load it back
// and print one user's top 5.
//   train_and_recommend [DATA [EPOCHS [USERS]]]   DATA: a ratings file or folder; none: generated
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "mfrec/mfrec.h"

int main(int argc, char** argv) try {
  namespace fs = std::filesystem;
  const fs::path work = fs::temp_directory_path() / "mfrec-example";
  mfrec::ReadOptions read;
  if (argc > 1 && std::string(argv[1]) != "-") {
    read.path = argv[1];
  } else {  // a small MovieLens-shaped data set in the ml-1m layout
    mfrec::SynthOptions synth;
    synth.users = argc > 3 ? std::stoul(argv[3]) : 300;
    synth.items = 200;
    synth.ratings = 20 * uint64_t(synth.users);
    mfrec::write_synthetic((work / "data").string(), synth);
    read.path = (work / "data").string();
  }
  const mfrec::Dataset data = mfrec::load_dataset(read);
  const mfrec::Split split = mfrec::make_split(data.ratings, mfrec::SplitOptions{});

  mfrec::TrainOptions options;  // Adam on a biased model, the defaults but for these
  options.dim = 16;
  options.lr = 0.01f;
  options.epochs = argc > 2 ? std::stoul(argv[2]) : 5;
  const mfrec::FitResult result = mfrec::fit(data, split, options);
  const mfrec::Model& trained = result.model;
  std::printf("%zu ratings, %zu users, %zu items; test RMSE %.4f\n", data.ratings.size(),
              data.users.size(), data.items.size(), result.test.rmse);

  const std::string path = (work / "model.mfrec").string();
  mfrec::save_model(trained, path);
  const mfrec::Recommender rec(mfrec::load_model(path));
  const mfrec::Model& model = rec.model();

  const uint32_t user = 0;
  std::printf("top 5 for user %s:\n", model.users.external(user).c_str());
  for (const mfrec::Scored& s : rec.top_k(user, 5)) {
    const std::string title = s.index < model.catalog.titles.size() ? model.catalog.titles[s.index] : "";
    std::printf("  %-8s %.3f  %s\n", model.items.external(s.index).c_str(), s.score, title.c_str());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "train_and_recommend: %s\n", e.what());
  return 1;
}
