// The --config reader: expand_config on `train --config FILE` with the input as FILE, against a
// command with options of each kind (integer, number, text, flag), then a parse of the expanded
// words. A bad file must end in ConfigError (a UsageError) or a CLI11 parse error, nothing else.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/config.h"

namespace mfrec::fuzz {

void config_one(const uint8_t* data, size_t size) {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("mfrec-fuzz-config-" + std::to_string(getpid()) + ".json")).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  CLI::App app("fuzz");
  CLI::App* train = app.add_subcommand("train");
  int dim = 0;
  size_t epochs = 0;
  float lr = 0;
  double reg = 0;
  std::string output, optimizer;
  bool quiet = false;
  train->add_option("--dim,-k", dim);
  train->add_option("--epochs", epochs);
  train->add_option("--lr", lr);
  train->add_option("--reg", reg);
  train->add_option("--output,-o", output);
  train->add_option("--optimizer", optimizer);
  train->add_flag("--quiet,-q", quiet);
  std::string argv0 = "mfrec", cmd = "train", opt = "--config", last = "--dim=3";
  char* argv[] = {argv0.data(), cmd.data(), opt.data(), const_cast<char*>(path.c_str()), last.data()};
  try {
    cli::ExpandedArgs expanded = cli::expand_config(app, 5, argv);
    std::vector<std::string> words(expanded.args.rbegin(), expanded.args.rend());  // CLI11 takes them reversed
    app.parse(words);
  } catch (const UsageError&) {
  } catch (const CLI::Error&) {
  }
}

}  // namespace mfrec::fuzz

#ifndef MFREC_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mfrec::fuzz::config_one(data, size);
  return 0;
}
#endif
