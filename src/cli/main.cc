// mfrec: a thin command line over the library. Exit codes: 0 ok, 1 bad data, 2 bad usage.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "cli/config.h"
#include "mfrec/error.h"

int main(int argc, char** argv) {
  CLI::App app{"mfrec: matrix-factorization recommender (train, evaluate, recommend, serve)", "mfrec"};
  app.require_subcommand(1);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", "mfrec 0.1.0");
  using namespace mfrec::cli;
  add_train(app);
  add_eval(app);
  add_synth(app);
  add_tune(app);
  add_recommend(app);
  add_similar(app);
  add_export(app);
  add_serve(app);
  try {
    std::vector<std::string> args = expand_config(argc, argv);  // --config FILE -> options
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return 0;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const mfrec::UsageError& e) {
    fmt::print(stderr, "mfrec: error: {}\n", e.what());
    return 2;
  } catch (const mfrec::DataError& e) {
    fmt::print(stderr, "mfrec: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mfrec: error: {}\n", e.what());
    return 1;
  }
}
