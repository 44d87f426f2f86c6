#pragma once
// Each command of the `mfrec` program lives in a file of its own and registers itself here.
#include <CLI/CLI.hpp>

namespace mfrec::cli {

// Each add_* declares a subcommand; its callback does the work and may throw DataError/UsageError.
void add_train(CLI::App& app);
void add_eval(CLI::App& app);
void add_synth(CLI::App& app);
void add_recommend(CLI::App& app);
void add_similar(CLI::App& app);
void add_export(CLI::App& app);
void add_serve(CLI::App& app);
void add_tune(CLI::App& app);
void add_split(CLI::App& app);
void add_predict(CLI::App& app);
void add_info(CLI::App& app);
void add_items(CLI::App& app);
void add_convert(CLI::App& app);

}  // namespace mfrec::cli
