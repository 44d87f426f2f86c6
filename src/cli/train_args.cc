#include "cli/train_args.h"
#include "cli/option_checks.h"

#include "mfrec/engines.h"
#include "mfrec/error.h"

namespace mfrec::cli {

void TrainArgs::add(CLI::App& cmd) {
  TrainOptions& o = options;
  std::string engines_help = "the engine:";
  for (const EngineInfo& e : engines()) engines_help += "\n  " + e.name + ": " + e.summary;
  cmd.add_option("--optimizer", o.optimizer, engines_help)->capture_default_str();
  cmd.add_option("--model", model_kind, "biased (mu_u + b_u + b_i + p.q) | plain (p.q)")->capture_default_str();
  cmd.add_option("--dim", o.dim, "latent dimension")->capture_default_str();
  cmd.add_option("--lr", o.lr, "learning rate")->capture_default_str();
  cmd.add_option("--batch_size", o.batch_size, "mini-batch size (adam)")->capture_default_str();
  cmd.add_option("--epochs", o.epochs, "epochs (sweeps for als and mcmc)")->capture_default_str();
  cmd.add_option("--reg", o.reg, "L2 on the factors")->capture_default_str();
  cmd.add_option("--reg_bias", o.reg_bias, "L2 on the biases (default: --reg)");
  cmd.add_option("--init_std", o.init_std, "standard deviation of the initial N(0, s) parameters")->capture_default_str();
  cmd.add_option("--beta1", o.beta1, "Adam beta1")->capture_default_str();
  cmd.add_option("--beta2", o.beta2, "Adam beta2")->capture_default_str();
  cmd.add_option("--eps", o.eps, "Adam epsilon")->capture_default_str();
  cmd.add_option("--patience", o.patience, "stop after N epochs without a better validation RMSE (0: never)")->capture_default_str();
  cmd.add_option("--keep", keep, "best: the best validation epoch's parameters; last: the last epoch's (as Keras)")->capture_default_str();
  cmd.add_option("--threads", o.threads, "threads (0: all cores; adam: two at most)")->capture_default_str();
  cmd.add_option("--seed", o.seed, "seed of the split, the initialisation and the order")->capture_default_str()->check(kSeedCheck);
  cmd.add_option("--precision", precision, "storage of the factors: fp32 | bf16 | fp16")->capture_default_str();
  cmd.add_option("--device", o.device, "cpu | cuda")->capture_default_str();
  cmd.add_option("--blocks", o.blocks, "sgd: blocks per side of the rating grid (0: automatic)")->capture_default_str();
  cmd.add_option("--burn_in", o.burn_in, "mcmc: sweeps before the samples are averaged (less than --epochs)")->capture_default_str();
  cmd.add_option("--noise_precision", o.noise_precision, "mcmc: precision of the rating noise (0: sampled every sweep)")->capture_default_str();
  cmd.add_option("--schedule", o.schedule, "sgd: blocks (the FPSG grid) | hogwild")->capture_default_str();
  cmd.add_option("--alpha", o.alpha, "ials: an interaction's confidence is 1 + alpha * f(rating)")->capture_default_str();
  cmd.add_option("--confidence", confidence, "ials: f = binary (1) | linear (the rating) | log (log(1 + rating))")->capture_default_str();
  cmd.add_option("--unobserved_weight", o.unobserved_weight, "ials: weight of every pair without an interaction")->capture_default_str();
  cmd.add_option("--reg_exponent", o.reg_exponent, "ials: L2 of a row scaled by (its count + unobserved_weight * other side)^this")->capture_default_str();
  cmd.add_option("--recency", o.recency, "ials: half-life, in a user's interactions back from the latest, of an interaction's alpha term (0: off; needs timestamps)")->capture_default_str();
  cmd.add_option("--solver", o.solver, "ials: cg (conjugate gradient) | cholesky (exact)")->capture_default_str();
  cmd.add_option("--cg_steps", o.cg_steps, "ials: conjugate-gradient steps per row and sweep")->capture_default_str();
  cmd.add_option("--sampling", o.sampling, "bpr: negatives drawn uniform | popularity")->capture_default_str();
  cmd.add_option("--memory_budget_mb", o.memory_budget_mb, "ease: the most its dense item x item matrices may take")->capture_default_str();
}

TrainOptions TrainArgs::resolve() const {
  TrainOptions o = options;
  if (model_kind == "biased") o.kind = ModelKind::biased;
  else if (model_kind == "plain") o.kind = ModelKind::plain;
  else throw UsageError("--model must be biased or plain");
  o.confidence = parse_confidence(confidence);
  o.precision = parse_precision(precision);
  if (keep != "best" && keep != "last") throw UsageError("--keep must be best or last");
  o.keep_best = keep == "best";
  o.validate();
  return o;
}

}  // namespace mfrec::cli
