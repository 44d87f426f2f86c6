#include "cli/config.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "mfrec/error.h"

namespace mfrec::cli {

ExpandedArgs expand_config(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ExpandedArgs out;
  for (size_t k = 0; k < args.size(); ++k) {
    std::string file;
    if (args[k] == "--config" && k + 1 < args.size()) file = args[++k];
    else if (args[k] == "--config") throw UsageError("--config needs a file: --config FILE (a JSON object of option values)");
    else if (args[k].rfind("--config=", 0) == 0) file = args[k].substr(9);
    else {
      out.args.push_back(args[k]);
      continue;
    }
    std::ifstream in(file);
    if (!in) throw UsageError("--config: cannot read " + file);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw UsageError("--config " + file + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw UsageError("--config " + file + ": expected a JSON object of option values");
    // Insert right after the subcommand (the first argument), before everything else the user typed.
    std::vector<std::string> opts;
    for (const auto& [key, value] : j.items()) {
      if (key.rfind("_", 0) == 0) continue;  // "_comment" and the like
      if (value.is_object() || value.is_array() || value.is_null())
        throw UsageError(file + ": the value of \"" + key + "\" must be a number, a string or true/false");
      std::string arg;
      if (value.is_boolean()) {
        if (!value.get<bool>()) continue;
        arg = "--" + key;
      } else {
        arg = "--" + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
      }
      opts.push_back(arg);
      out.from_config.push_back({arg, file, key});
    }
    const size_t at = out.args.empty() ? 0 : 1;
    out.args.insert(out.args.begin() + ptrdiff_t(at), opts.begin(), opts.end());
  }
  return out;
}

}  // namespace mfrec::cli
