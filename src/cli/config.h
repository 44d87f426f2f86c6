#pragma once
// `--config FILE`: a JSON object of option values, expanded before parsing.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "mfrec/error.h"

namespace mfrec::cli {

// A config file that is wrong: its message names the file and the key, and is printed as it is
// (not through the `name` -> --name rewriting of the library's messages).
class ConfigError : public UsageError {
 public:
  using UsageError::UsageError;
};

// Every spelling of every option of `cmd`: "--dim", "-k", ...
std::vector<std::string> option_names(const CLI::App& cmd);

// An option that came from a config file, so that an error about it can name the file and the key.
struct ConfigEntry {
  std::string arg;  // as inserted, e.g. "--dim=64"
  std::string file, key;
};

struct ExpandedArgs {
  std::vector<std::string> args;  // argv[1..] with the files expanded
  std::vector<ConfigEntry> from_config;
};

// argv[1..] with each --config file expanded, right after the command. Each key must be an option
// of the command (argv[1]) and its value of the option's type: a flag takes true or false, a number
// option a number, a text option a string or a number; nesting is bounded. Throws ConfigError
// naming the file, the key and what was expected (with the nearest option for an unknown key).
ExpandedArgs expand_config(const CLI::App& app, int argc, char** argv);

}  // namespace mfrec::cli
