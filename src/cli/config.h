#pragma once
// `--config FILE`: a JSON object of option values (e.g. {"optimizer": "sgd", "dim": 64}) read as if
// they stood on the command line before the other options, so the command line overrides them.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mfrec::cli {

// argv[1..] with each --config file expanded. Each key must be an option of the command (argv[1])
// and its value of the option's type: a flag takes true or false, a number option a number, a text
// option a string or a number. Throws UsageError naming the file, the key and the expected type.
std::vector<std::string> expand_config(const CLI::App& app, int argc, char** argv);

}  // namespace mfrec::cli
