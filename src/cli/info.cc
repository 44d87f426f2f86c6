// `mfrec info`: what a model file holds: what it was trained on and how, its sizes and metrics.
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/plural.h"
#include "common/json_io.h"
#include "mfrec/checkpoint.h"

namespace mfrec::cli {
namespace {

struct Args {
  std::string model;
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

}  // namespace

void add_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "what a model file holds: data, split, options, sizes, metrics");
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "model file (model.mfrec)")->required();
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->callback([a] {
    const nlohmann::json j = describe(load_model(a->model), a->model);
    if (a->json) fmt::print("{}\n", json_text(j, 2));
    else print(j);
  });
}

}  // namespace mfrec::cli
