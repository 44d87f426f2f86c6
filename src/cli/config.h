#pragma once
// `--config FILE`: a JSON object of option values (e.g. {"optimizer": "sgd", "dim": 64}) read as if
// they stood on the command line before the other options, so the command line overrides them.
#include <string>
#include <vector>

namespace mfrec::cli {

// An option that came from a config file, so that an error about it can name the file and the key.
struct ConfigEntry {
  std::string arg;  // as inserted, e.g. "--dim=64"
  std::string file, key;
};

struct ExpandedArgs {
  std::vector<std::string> args;  // argv[1..] with the files expanded
  std::vector<ConfigEntry> from_config;
};

ExpandedArgs expand_config(int argc, char** argv);

}  // namespace mfrec::cli
