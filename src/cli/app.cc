#include "cli/app.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>

#include "cli/config.h"
#include "mfrec/error.h"

namespace mfrec::cli {

void configure(CLI::App& app) {
  app.require_subcommand(1);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", "mfrec 0.1.0");
}

int run_app(CLI::App& app, int argc, char** argv) {
  try {
    std::vector<std::string> args = expand_config(app, argc, argv);  // --config FILE -> options
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // CLI11's own text, in the form of every other error.
    fmt::print(stderr, "mfrec: error: {}\n(run with --help to see the options)\n", e.what());
    return 2;
  } catch (const UsageError& e) {
    fmt::print(stderr, "mfrec: error: {}\n", e.what());
    return 2;
  } catch (const DataError& e) {
    fmt::print(stderr, "mfrec: error: {}\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    // What sizes memory is the data and a few options; say which to lower instead of "std::bad_alloc".
    fmt::print(stderr, "mfrec: error: out of memory: lower the options that size memory (--dim, --batch_size, "
                       "--blocks, --threads, -k, --users/--items/--ratings) or use a smaller data set\n");
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "mfrec: error: {}: {}\n", e.path1().string(), e.code().message());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mfrec: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace mfrec::cli
