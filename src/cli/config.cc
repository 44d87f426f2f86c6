#include "cli/config.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/suggest.h"
#include "common/json_io.h"
#include "mfrec/error.h"

namespace fs = std::filesystem;

namespace mfrec::cli {
namespace {

constexpr uintmax_t kMaxConfigBytes = 1 << 20;

// The file's text; a folder, a FIFO (which would block) or a device is refused before opening.
std::string read_config(const std::string& file) {
  auto bad = [&](const std::string& what) { throw ConfigError("--config " + file + ": " + what); };
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  if (!fs::exists(st)) bad(ec && ec != std::errc::no_such_file_or_directory ? "cannot read: " + ec.message() : "no such file");
  if (fs::is_directory(st)) bad("is a folder, not a JSON file");
  if (!fs::is_regular_file(st)) bad("not a regular file (a JSON file was expected)");
  if (fs::file_size(file, ec) > kMaxConfigBytes) bad("larger than 1 MB: not a file of option values");
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) bad("cannot read: " + std::string(std::strerror(errno)));
  return text;
}

const char* json_kind(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_null()) return "null";
  return v.is_array() ? "an array" : "an object";
}

// The command-line words for one key, checked against the option it names.
std::vector<std::string> option_words(const std::string& file, const CLI::App* cmd, const std::string& key,
                                      const nlohmann::json& value) {
  auto bad = [&](const std::string& what) { throw ConfigError(fmt::format("--config {}: \"{}\" {}", file, key, what)); };
  const CLI::Option* opt = cmd ? cmd->get_option_no_throw("--" + key) : nullptr;
  if (!cmd) bad("cannot be checked: --config goes after the command");
  if (!opt || key == "config" || key == "help") {
    const std::string near = closest("--" + key, option_names(*cmd));
    bad(fmt::format("is not an option of `{}`{}", cmd->get_name(),
                    near.empty() ? fmt::format(" (mfrec {} --help lists them)", cmd->get_name()) : " (did you mean " + near + "?)"));
  }
  const bool flag = opt->get_expected_max() == 0;  // add_flag sets expected(0)
  if (flag) {
    if (!value.is_boolean()) bad(fmt::format("is a flag: expected true or false, not {}", json_kind(value)));
    return value.get<bool>() ? std::vector<std::string>{"--" + key} : std::vector<std::string>{};
  }
  const std::string type = opt->get_type_name();
  const bool integer = type.find("INT") != std::string::npos, number = integer || type.find("FLOAT") != std::string::npos;
  if (integer && !value.is_number_integer())
    bad(fmt::format("expects an integer, not {}", value.is_number() ? value.dump() : json_kind(value)));
  if (number && !value.is_number()) bad(fmt::format("expects a number, not {}", json_kind(value)));
  if (!number && !value.is_string() && !value.is_number()) bad(fmt::format("expects a string, not {}", json_kind(value)));
  // "--key=value" in one word: a value that starts with '-' is never taken for an option.
  return {"--" + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump())};
}

}  // namespace

// Every spelling of every option of `cmd`: "--dim", "-k", ...
std::vector<std::string> option_names(const CLI::App& cmd) {
  std::vector<std::string> out;
  for (const CLI::Option* o : cmd.get_options()) {
    for (const auto& n : o->get_lnames()) out.push_back("--" + n);
    for (const auto& n : o->get_snames()) out.push_back("-" + n);
  }
  return out;
}

ExpandedArgs expand_config(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ExpandedArgs out;
  const CLI::App* cmd = nullptr;
  if (!args.empty()) {
    const auto found = app.get_subcommands([&](const CLI::App* s) { return s->check_name(args[0]); });
    if (!found.empty()) cmd = found.front();
  }
  for (size_t k = 0; k < args.size(); ++k) {
    std::string file;
    if (args[k] == "--config" && k + 1 < args.size()) file = args[++k];
    else if (args[k] == "--config") throw ConfigError("--config needs a file: --config FILE (a JSON object of option values)");
    else if (args[k].rfind("--config=", 0) == 0) file = args[k].substr(9);
    else {
      out.args.push_back(args[k]);
      continue;
    }
    nlohmann::json j;
    try {
      j = parse_json(read_config(file));
    } catch (const JsonError& e) {
      throw ConfigError("--config " + file + ": " + e.what());
    }
    if (!j.is_object()) throw ConfigError("--config " + file + ": expected a JSON object of option values");
    // Insert right after the subcommand (the first argument), before everything else the user typed.
    std::vector<std::string> opts;
    for (const auto& [key, value] : j.items()) {
      if (key.rfind("_", 0) == 0) continue;  // "_comment" and the like
      for (auto& w : option_words(file, cmd, key, value)) {
        out.from_config.push_back({w, file, key});
        opts.push_back(std::move(w));
      }
    }
    const size_t at = out.args.empty() ? 0 : 1;
    out.args.insert(out.args.begin() + ptrdiff_t(at), opts.begin(), opts.end());
  }
  return out;
}

}  // namespace mfrec::cli
