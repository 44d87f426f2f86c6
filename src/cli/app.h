#pragma once
// What both programs (mfrec and mfrec-serve) do with their command line: expand --config, parse,
// run the chosen command, and turn errors into messages and exit codes (1 bad data, 2 bad usage).
#include <CLI/CLI.hpp>

namespace mfrec::cli {

void configure(CLI::App& app);  // shared option policy and --version
int run_app(CLI::App& app, int argc, char** argv);

}  // namespace mfrec::cli
