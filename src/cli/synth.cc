// `mfrec synth`: write a generated MovieLens-shaped data set in the ml-1m layout.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "mfrec/synth.h"

namespace mfrec::cli {

void add_synth(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth", "write a generated MovieLens-1M-shaped data set (ml-1m layout)");
  auto o = std::make_shared<SynthOptions>();
  auto dir = std::make_shared<std::string>();
  cmd->add_option("--out", *dir, "output folder")->required();
  cmd->add_option("--users", o->users, "users")->capture_default_str();
  cmd->add_option("--items", o->items, "items")->capture_default_str();
  cmd->add_option("--ratings", o->ratings, "ratings")->capture_default_str();
  cmd->add_option("--min_per_user", o->min_per_user, "ratings per user at least")->capture_default_str();
  cmd->add_option("--rank", o->rank, "rank of the planted structure")->capture_default_str();
  cmd->add_option("--noise", o->noise, "standard deviation of the rating noise")->capture_default_str()->check(kFiniteCheck);
  cmd->add_option("--seed", o->seed, "seed")->capture_default_str()->check(kSeedCheck);
  cmd->callback([o, dir] {
    write_synthetic(*dir, *o);
    fmt::print("wrote {} ratings of {} users on {} items to {}/ratings.dat (with movies.dat, users.dat)\n",
               o->ratings, o->users, o->items, *dir);
  });
}

}  // namespace mfrec::cli
