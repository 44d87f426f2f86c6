#include "cli/app.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>

#include "cli/config.h"
#include "cli/suggest.h"
#include "common/isa.h"
#include "mfrec/error.h"

namespace mfrec::cli {
namespace {

// The library names options in backquotes (`dim`); on the command line they are flags (--dim).
// Only a backquoted option name is mapped; other backquotes (in data a DataError quotes) stay.
std::string in_flags(std::string_view message) {
  std::string out;
  size_t at = 0;
  for (size_t open; (open = message.find('`', at)) != std::string_view::npos;) {
    const size_t close = message.find('`', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view name = message.substr(open + 1, close - open - 1);
    const bool option = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    out.append(message.substr(at, open - at));
    out += option ? "--" + std::string(name) : "`";
    at = option ? close + 1 : open + 1;
  }
  out.append(message.substr(at));
  return out;
}

std::vector<CLI::App*> commands(CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::string command_names(CLI::App& app) {
  std::string names;
  for (const auto* c : commands(app)) names += (names.empty() ? "" : ", ") + c->get_name();
  return names;
}

// `--config FILE` is read before parsing (config.cc); this puts it in each command's --help.
void document_config(CLI::App& app) {
  for (CLI::App* c : commands(app)) {
    const auto opts = option_names(*c);
    if (std::find(opts.begin(), opts.end(), "--config") != opts.end()) continue;
    c->add_option("--config", "a JSON object of option values, e.g. {\"dim\": 64}, read as if typed first: "
                              "the options typed override it")
        ->type_name("FILE");
  }
}

// The command is the first argument; an unknown one is named (CLI11 would only say that a
// subcommand is required).
void check_command(CLI::App& app, const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("give a command: " + command_names(app) + " (mfrec --help)");
  const std::string& first = args.front();
  if (first.empty() || first[0] == '-') return;
  std::vector<std::string> names;
  for (const auto* c : commands(app)) names.push_back(c->get_name());
  if (std::find(names.begin(), names.end(), first) != names.end()) return;
  const std::string near = closest(first, names);
  throw UsageError(fmt::format("unknown command '{}'{}; the commands are {}", first,
                               near.empty() ? "" : " (did you mean " + near + "?)", command_names(app)));
}

const ConfigEntry* config_entry(const ExpandedArgs& ex, const std::string& arg) {
  for (const auto& e : ex.from_config)
    if (e.arg == arg) return &e;
  return nullptr;
}

// Arguments no option took: the first is named, with the nearest option when it looks like a typo.
std::string extras_message(CLI::App& app, const ExpandedArgs& ex) {
  CLI::App* cmd = &app;
  for (CLI::App* c : app.get_subcommands())
    if (!c->remaining(false).empty()) cmd = c;
  const auto left = cmd->remaining(false);
  const std::string who = cmd == &app ? "mfrec" : "mfrec " + cmd->get_name();
  if (left.empty()) return "unexpected arguments (" + who + " --help)";
  const std::string& arg = left.front();
  if (arg.size() < 2 || arg[0] != '-') {
    return fmt::format("{} takes no argument '{}' here: every value follows its option, e.g. --model FILE ({} --help)",
                       who, arg, who);
  }
  const std::string name = arg.substr(0, arg.find('='));
  const std::string near = closest(name, option_names(*cmd));
  const std::string hint = near.empty() ? fmt::format(" ({} --help lists them)", who) : " (did you mean " + near + "?)";
  if (const ConfigEntry* e = config_entry(ex, arg))
    return fmt::format("{}: unknown key \"{}\": {} has no option {}{}", e->file, e->key, who, name, hint);
  return fmt::format("unknown option {} for {}{}", name, who, hint);
}

// CLI11's message, and where an option's value came from a config file, which file and key.
std::string parse_message(CLI::App& app, const CLI::ParseError& e, const ExpandedArgs& ex) {
  std::string what = e.what();
  // CLI11 says "Could not convert: --dim = abc".
  if (const std::string head = "Could not convert: "; what.rfind(head, 0) == 0 && what.find(" = ") != std::string::npos) {
    const size_t eq = what.find(" = ");
    what = fmt::format("{}: '{}' is not a valid value", what.substr(head.size(), eq - head.size()), what.substr(eq + 3));
  }
  for (const auto& c : ex.from_config)
    if (what.find("--" + c.key) != std::string::npos)
      return fmt::format("{} (\"{}\" in {})", what, c.key, c.file);
  std::string who = "mfrec";
  for (CLI::App* c : app.get_subcommands()) who += " " + c->get_name();
  return fmt::format("{} ({} --help)", what, who);
}

}  // namespace

void configure(CLI::App& app) {
  app.require_subcommand(1);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", "mfrec 0.1.0, " + isa_summary());
}

int run_app(CLI::App& app, int argc, char** argv) {
  ExpandedArgs ex;
  try {
    document_config(app);
    check_command(app, std::vector<std::string>(argv + std::min(argc, 1), argv + argc));  // before the config is read for it
    ex = expand_config(app, argc, argv);  // --config FILE -> options, checked against the command's
    check_command(app, ex.args);
    std::vector<std::string> args = ex.args;
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return 0;
  } catch (const CLI::ExtrasError&) {
    fmt::print(stderr, "mfrec: error: {}\n", extras_message(app, ex));
    return 2;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    fmt::print(stderr, "mfrec: error: {}\n", parse_message(app, e, ex));
    return 2;
  } catch (...) {
    return report_error(std::current_exception());
  }
}

int error_code(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const ConfigError&) {
    return 2;
  } catch (const UsageError&) {
    return 2;
  } catch (...) {
    return 1;
  }
}

int report_error(const std::exception_ptr& error, const std::string& where) {
  try {
    std::rethrow_exception(error);
  } catch (const ConfigError& e) {  // names the file and the key as they are written
    fmt::print(stderr, "mfrec: error: {}{}\n", where, e.what());
    return 2;
  } catch (const UsageError& e) {
    fmt::print(stderr, "mfrec: error: {}{}\n", where, in_flags(e.what()));
    return 2;
  } catch (const DataError& e) {
    fmt::print(stderr, "mfrec: error: {}{}\n", where, in_flags(e.what()));
    return 1;
  } catch (const std::bad_alloc&) {
    // What sizes memory is the data and a few options; say which to lower instead of "std::bad_alloc".
    fmt::print(stderr, "mfrec: error: {}out of memory: lower the options that size memory (--dim, --batch_size, "
                       "--blocks, --threads, -k, --users/--items/--ratings) or use a smaller data set\n", where);
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "mfrec: error: {}{}: {}\n", where, e.path1().string(), e.code().message());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mfrec: error: {}{}\n", where, e.what());
    return 1;
  }
}

}  // namespace mfrec::cli
