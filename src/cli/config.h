#pragma once
// `--config FILE`: a JSON object of option values (e.g. {"optimizer": "sgd", "dim": 64}) read as if
// they stood on the command line before the other options, so the command line overrides them.
#include <string>
#include <vector>

namespace mfrec::cli {

std::vector<std::string> expand_config(int argc, char** argv);  // argv[1..] with the file expanded

}  // namespace mfrec::cli
