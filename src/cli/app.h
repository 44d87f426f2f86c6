#pragma once
// What both programs (mfrec and mfrec-serve) do with their command line: expand --config, parse,
// run the chosen command, and turn errors into messages and exit codes (1 bad data, 2 bad usage).
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

namespace mfrec::cli {

void configure(CLI::App& app);  // shared option policy and --version
int run_app(CLI::App& app, int argc, char** argv);
// Prints an error thrown by a command as run_app does ("mfrec: error: " then `where`, then the
// message) and returns its exit code.
int report_error(const std::exception_ptr& error, const std::string& where = "");
int error_code(const std::exception_ptr& error);  // the same code, nothing printed

}  // namespace mfrec::cli
