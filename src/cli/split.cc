// `mfrec split`: the train, validation and test parts a split makes, as CSV files with external
// ids, so that another program (a peer, a notebook) can be trained and evaluated on exactly them.
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "common/atomic_file.h"
#include "mfrec/mfrec.h"

namespace fs = std::filesystem;

namespace mfrec::cli {
namespace {

// A CSV field: quoted when it holds a comma, a quote or a line end.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_part(const fs::path& path, const Ratings& r, const Dataset& d) {
  std::string out = "user,item,rating,timestamp\n";
  out.reserve(r.size() * 24);
  for (size_t k = 0; k < r.size(); ++k)
    out += fmt::format("{},{},{},{}\n", field(d.users.external(r.user[k])), field(d.items.external(r.item[k])), r.value[k],
                       r.has_time() ? std::to_string(r.time[k]) : std::string());
  write_file_atomically(path.string(), out);
}

}  // namespace

void add_split(CLI::App& app) {
  auto* cmd = app.add_subcommand("split", "write a split's train, validation and test parts as CSV (train.csv, val.csv, test.csv)");
  auto data = std::make_shared<DataArgs>();
  auto out = std::make_shared<std::string>();
  data->add(*cmd, true);
  cmd->add_option("--out", *out, "output folder")->required();
  cmd->callback([data, out] {
    data->keep_time = true;
    Dataset d;
    Split s;
    data->load(d, s);
    fs::create_directories(*out);
    write_part(fs::path(*out) / "train.csv", s.train, d);
    write_part(fs::path(*out) / "val.csv", s.val, d);
    write_part(fs::path(*out) / "test.csv", s.test, d);
    fmt::print("split {} of {}: train {}, validation {}, test {} ratings; wrote {}/train.csv, val.csv, test.csv\n",
               data->split, d.source.ratings_file, s.train.size(), s.val.size(), s.test.size(), *out);
  });
}

}  // namespace mfrec::cli
