// `mfrec info`: what a model file holds: what it was trained on and how, its sizes and metrics; or
// what a data set holds (--data_path) and how long it takes to load.
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "cli/plural.h"
#include "common/json_io.h"
#include "mfrec/checkpoint.h"
#include "mfrec/dataset.h"
#include "mfrec/error.h"

namespace mfrec::cli {
namespace {

struct Args {
  std::string model;
  DataArgs data;
  bool json = false;
};

// A JSON value as a person reads it: strings bare, numbers as stored (the options are stored as
// typed, 0.001 not 0.0010000000474974513).
std::string plain(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return json_text(v);
}

std::string file_size(uintmax_t bytes) {
  if (bytes >= (1u << 20)) return fmt::format("{:.1f} MB", double(bytes) / double(1u << 20));
  if (bytes >= (1u << 10)) return fmt::format("{:.1f} KB", double(bytes) / double(1u << 10));
  return count_of(bytes, "byte");
}

nlohmann::json describe(const Model& m, const std::string& path) {
  const auto& meta = m.meta;
  nlohmann::json j = {{"model", path},
                      {"file_bytes", std::filesystem::file_size(path)},
                      {"kind", model_kind_name(m.kind)},
                      {"users", m.n_users()},
                      {"items", m.n_items()},
                      {"dim", m.dim},
                      {"precision", precision_name(m.precision())},
                      {"ratings_seen", m.seen.items.size()},
                      {"rating_min", m.rating_min},
                      {"rating_max", m.rating_max},
                      {"global_mean", m.global_mean}};
  for (const char* key : {"data", "options", "epochs_done", "best_epoch"})
    if (meta.contains(key)) j[key] = meta[key];
  nlohmann::json metrics = meta.contains("metrics") ? meta["metrics"] : nlohmann::json::object();
  if (meta.contains("test_rmse") && !metrics.contains("test_rmse")) metrics["test_rmse"] = meta["test_rmse"];
  j["metrics"] = metrics;
  return j;
}

void print(const nlohmann::json& j) {
  fmt::print("model       {} ({})\n", plain(j["model"]), file_size(j["file_bytes"].get<uintmax_t>()));
  const nlohmann::json data = j.value("data", nlohmann::json::object());
  if (data.contains("source")) {
    fmt::print("trained on  {} (layout {})\n", plain(data["source"]), plain(data.value("layout", "?")));
    if (data.contains("split")) {
      std::string split;
      for (const auto& [k, v] : data["split"].items()) split += (split.empty() ? "" : ", ") + k + " " + plain(v);
      fmt::print("split       {}\n", split);
    }
  } else {
    fmt::print("trained on  (not recorded in this model file)\n");
  }
  fmt::print("sizes       {}, {}, dim {}, {} seen in training, {} {}\n", count_of(j["users"].get<size_t>(), "user"),
             count_of(j["items"].get<size_t>(), "item"), plain(j["dim"]), count_of(j["ratings_seen"].get<size_t>(), "rating"),
             plain(j["kind"]), "model");
  fmt::print("precision   {} (factors as stored)\n", plain(j["precision"]));
  fmt::print("ratings     {} to {}, global mean {:.4f}\n", plain(j["rating_min"]), plain(j["rating_max"]),
             j["global_mean"].get<double>());
  if (j.contains("epochs_done"))
    fmt::print("epochs      {} done, parameters of epoch {}\n", plain(j["epochs_done"]), plain(j.value("best_epoch", nlohmann::json("?"))));
  if (j.contains("options")) {
    std::string opts;
    for (const auto& [k, v] : j["options"].items()) opts += (opts.empty() ? "" : ", ") + k + " " + plain(v);
    fmt::print("options     {}\n", opts);
  }
  std::string metrics;
  for (const auto& [k, v] : j["metrics"].items())
    metrics += (metrics.empty() ? "" : ", ") + k + " " + (v.is_number_float() ? fmt::format("{:.4f}", v.get<double>()) : plain(v));
  fmt::print("metrics     {}\n", metrics.empty() ? "(none recorded)" : metrics);
}

// The data set as loaded: what the commands that take --data_path would see, and the time it took.
nlohmann::json describe(const Dataset& d) {
  // Bytes of the file itself (a binary file's report keeps the size of the text it came from).
  std::error_code ec;
  uintmax_t bytes = std::filesystem::is_regular_file(d.source.ratings_file, ec) ? std::filesystem::file_size(d.source.ratings_file, ec) : 0;
  if (ec) bytes = 0;
  return {{"data", d.source.ratings_file},
          {"layout", d.source.layout.name},
          {"catalog", d.source.items_file},
          {"ratings", d.ratings.size()},
          {"users", d.users.size()},
          {"items", d.items.size()},
          {"timestamps", d.ratings.has_time()},
          {"duplicates", d.report.duplicates},
          {"rating_min", d.rating_min},
          {"rating_max", d.rating_max},
          {"fingerprint", fmt::format("{:016x}", d.fingerprint)},
          {"file_bytes", bytes},
          {"load_seconds", d.load_seconds}};
}

void print_data(const nlohmann::json& j) {
  const double seconds = j["load_seconds"].get<double>(), mb = double(j["file_bytes"].get<uintmax_t>()) / 1e6;
  fmt::print("data        {} (layout {})\n", plain(j["data"]), plain(j["layout"]));
  fmt::print("catalog     {}\n", j["catalog"].get<std::string>().empty() ? "(none)" : plain(j["catalog"]));
  fmt::print("sizes       {}, {}, {}, {}\n", count_of(j["ratings"].get<size_t>(), "rating"),
             count_of(j["users"].get<size_t>(), "user"), count_of(j["items"].get<size_t>(), "item"),
             j["timestamps"].get<bool>() ? "with timestamps" : "no timestamps");
  fmt::print("ratings     {} to {}, {} dropped as repeated pairs\n", plain(j["rating_min"]), plain(j["rating_max"]),
             plain(j["duplicates"]));
  fmt::print("fingerprint {}\n", plain(j["fingerprint"]));
  fmt::print("loaded in   {:.3f} s ({:.1f} MB, {:.0f} MB/s)\n", seconds, mb, seconds > 0 ? mb / seconds : 0.0);
}

}  // namespace

void add_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "what a model file holds (data, split, options, sizes, metrics), or a data set (--data_path)");
  auto a = std::make_shared<Args>();
  auto* model = cmd->add_option("--model", a->model, "model file (model.mfrec)");
  a->data.add_read(*cmd, false);
  cmd->get_option("--data_path")->excludes(model);
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->callback([a] {
    const bool data = !a->data.read.path.empty();
    if (a->model.empty() && !data) throw UsageError("info needs --model FILE or --data_path PATH");
    const nlohmann::json j = data ? describe(load_dataset(a->data.read_options())) : describe(load_model(a->model), a->model);
    if (a->json) fmt::print("{}\n", json_text(j, 2));
    else if (data) print_data(j);
    else print(j);
  });
}

}  // namespace mfrec::cli
