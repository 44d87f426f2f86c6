// `mfrec convert`: any data mfrec reads, written in its binary format (.mfd), which every command
// that takes --data_path loads as the same data set in a fraction of the time the text takes.
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "cli/plural.h"
#include "mfrec/dataset.h"

namespace mfrec::cli {

void add_convert(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "write data in mfrec's binary format (.mfd), which loads many times faster");
  auto data = std::make_shared<DataArgs>();
  auto out = std::make_shared<std::string>();
  data->add_read(*cmd, true);
  cmd->add_option("--out", *out, "the binary file to write, e.g. data.mfd")->required();
  cmd->callback([data, out] {
    const Dataset d = load_dataset(data->read_options());
    const auto t0 = std::chrono::steady_clock::now();
    write_binary_dataset(d, *out);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("converted {} ({}): {}, {}, {}, {}, {}; read in {:.3f} s\n", d.source.ratings_file, d.source.layout.name,
               count_of(d.ratings.size(), "rating"), count_of(d.users.size(), "user"), count_of(d.items.size(), "item"),
               d.ratings.has_time() ? "timestamps" : "no timestamps",
               d.source.items_file.empty() ? "no catalog" : "a catalog", d.load_seconds);
    const auto bytes = std::filesystem::file_size(*out);
    const std::string size = bytes < 1000000 ? count_of(bytes, "byte") : fmt::format("{:.1f} MB", double(bytes) / 1e6);
    fmt::print("wrote {} ({}) in {:.3f} s\n", *out, size, seconds);
  });
}

}  // namespace mfrec::cli
