// `mfrec eval`: a saved model against the test part of a data set, split as at training time.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "mfrec/mfrec.h"

namespace mfrec::cli {
namespace {

struct Args {
  DataArgs data;
  std::string model;
  uint64_t seed = 0;
  bool json = false;
};

void run(Args& a) {
  const Model model = load_model(a.model);
  // The split must be the one the model was trained with: same seed unless told otherwise.
  a.data.split_options.seed = a.seed;
  Dataset data;
  Split split;
  a.data.load(data, split);
  const Ratings test = to_model_ids(model, split.test, data.users, data.items);
  const ErrorMetrics m = evaluate(model, test);
  if (a.json) {
    fmt::print("{}\n", nlohmann::json{{"rmse", m.rmse}, {"mae", m.mae}, {"count", m.count}, {"cold", m.cold},
                                      {"split", a.data.split}, {"model", a.model}}.dump(2));
  } else {
    fmt::print("test RMSE {:.4f}  MAE {:.4f}  over {} ratings ({} cold: user or item not in training)\n", m.rmse,
               m.mae, m.count, m.cold);
  }
}

}  // namespace

void add_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "evaluate a saved model on a data set's test split");
  auto args = std::make_shared<Args>();
  cmd->add_option("--model", args->model, "model file (model.mfrec)")->required();
  args->data.add(*cmd, true);
  cmd->add_option("--seed", args->seed, "split seed (as at training)")->capture_default_str();
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args] { run(*args); });
}

}  // namespace mfrec::cli
