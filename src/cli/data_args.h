#pragma once
// The options that say where the ratings are and how to split them, shared by train, eval and tune.
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "mfrec/dataset.h"
#include "mfrec/split.h"

namespace mfrec::cli {

struct DataArgs {
  ReadOptions read;
  std::string split = "temporal", val_split = "random";
  SplitOptions split_options;
  std::string train_file, test_file;  // --split files
  bool has_header = false, no_header = false;
  bool keep_time = false;  // the split keeps the timestamps (an engine reads them: ials --recency)

  void add(CLI::App& cmd, bool data_required);
  // Only the options that say where the ratings are and how to read them (convert, info).
  void add_read(CLI::App& cmd, bool data_required);
  // `read` with --header/--no_header applied.
  ReadOptions read_options() const;
  // Reads the data (for --split files, the two files into one id space) and splits it; the ratings
  // end up in the split alone (data.ratings is left empty).
  void load(Dataset& data, Split& split_out);
  // The split as the checkpoint keeps it and `mfrec info` shows it (folds counted from 1), and back
  // (eval re-makes the training split from it).
  nlohmann::json describe() const;
  void from_description(const nlohmann::json& j);
};

// The embedded default: a generated MovieLens-1M-shaped set under `dir`, made once.
std::string ensure_default_data(const std::string& dir);

}  // namespace mfrec::cli
