// `mfrec export`: the model's factors and biases as .npy files and its id maps as CSV.
#include "cli/commands.h"
#include "mfrec/checkpoint.h"
#include "mfrec/export.h"

#include <fmt/format.h>

namespace mfrec::cli {

void add_export(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "write factors and biases as .npy (numpy.load) and id maps as CSV");
  auto model = std::make_shared<std::string>(), out = std::make_shared<std::string>();
  cmd->add_option("--model", *model, "model file (model.mfrec)")->required();
  cmd->add_option("--out", *out, "output folder")->required();
  cmd->callback([model, out] {
    const Model m = load_model(*model);
    const auto files = export_model(m, *out);
    fmt::print("exported {} users and {} items ({} factors, stored {}, written as float32):\n", m.n_users(),
               m.n_items(), m.dim, precision_name(m.precision()));
    for (const auto& f : files) fmt::print("  {}\n", f);
  });
}

}  // namespace mfrec::cli
