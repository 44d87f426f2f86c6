// mfrec-mpi: `train` across the ranks of an MPI job (`mpirun -np N mfrec-mpi train ...`, or
// `mpirun -np N mfrec train --distributed ...`, which runs this program), with train's options and
// outputs. Every rank reads and splits the same data, keeps its share (dist/partition.h) and drops
// the rest; rank 0 keeps the whole split too, as the one-process pipeline it runs needs it for
// validation, evaluation and the checkpoint (which holds what each user rated). Errors every rank
// meets alike (the command line, the data) are reported once, by rank 0; a rank's own are reported
// with its number.
#include <fcntl.h>
#include <mpi.h>
#include <omp.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/plural.h"
#include "cli/train_run.h"
#include "dist/comm.h"
#include "dist/driver.h"
#include "dist/share.h"
#include "mfrec/checkpoint.h"
#include "mfrec/error.h"
#include "mfrec/fit.h"

namespace fs = std::filesystem;
using namespace mfrec;
using namespace mfrec::cli;

namespace {

// The other ranks parse the same command line as rank 0 and would print the same help or error:
// their stdout and stderr go to /dev/null until it is parsed.
class Muted {
 public:
  explicit Muted(bool on) {
    if (!on) return;
    std::fflush(nullptr);
    out_ = dup(1), err_ = dup(2);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1), dup2(null, 2);
    close(null);
  }
  ~Muted() {
    if (out_ < 0) return;
    std::fflush(nullptr);
    dup2(out_, 1), dup2(err_, 2);
    close(out_), close(err_);
  }

 private:
  int out_ = -1, err_ = -1;
};

// One exit code for all: every rank's, gathered; a nonzero one wins, rank 0's first. `first` is
// the lowest rank whose code is not 0 (-1: none).
int agree(int code, int& first) {
  std::vector<int> all(size_t(dist::Comm::world().size()));
  MPI_Allgather(&code, 1, MPI_INT, all.data(), 1, MPI_INT, MPI_COMM_WORLD);
  first = -1;
  for (size_t r = 0; r < all.size() && first < 0; ++r)
    if (all[r]) first = int(r);
  return first < 0 ? 0 : all[size_t(first)];
}

std::string bytes(uint64_t b) {
  if (b < 10000) return fmt::format("{} B", b);
  if (b < 10000000) return fmt::format("{:.1f} kB", double(b) / 1e3);
  if (b < 10000000000ull) return fmt::format("{:.1f} MB", double(b) / 1e6);
  return fmt::format("{:.1f} GB", double(b) / 1e9);
}

// Checks every rank makes alike before reading anything.
void check_request(const TrainCommand& a) {
  const TrainOptions& o = a.train.options;
  if (!dist::distributable(o.optimizer))
    throw UsageError("`optimizer` " + o.optimizer + ": distributed training runs als, ials, mcmc and sgd (the others train in one "
                     "process: mfrec train)");
  if (o.device != "cpu") throw UsageError("distributed training runs on the CPU (`device` cpu)");
  if (a.data.split == "kfold" && a.data.split_options.fold < 0)
    throw UsageError("distributed training runs one fold at a time: give --fold K with --split kfold");
}

// Threads per rank when none are asked for: the cores shared by the ranks on this machine.
uint32_t threads_per_rank() {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int local = 1;
  MPI_Comm_size(node, &local);
  MPI_Comm_free(&node);
  return std::max(1u, std::thread::hardware_concurrency() / uint32_t(local));
}

// The model as it stands after `epoch`, made complete as fit() makes the final one (rows never
// trained zeroed, what each user rated, the options and data it came from), written atomically
// over the output folder's model.mfrec: what --resume continues from, with any number of ranks.
void write_checkpoint(const TrainCommand& a, const TrainingData& d, const Model& model, uint32_t epoch,
                      uint64_t epochs_before) {
  Model m = model;
  finalize_model(m, d.split);
  m.meta["options"] = d.options.to_json();
  m.meta["epochs_done"] = epochs_before + epoch;
  m.meta["best_epoch"] = epoch;
  m.meta["data"] = {{"source", d.data.source.ratings_file}, {"layout", d.data.source.layout.name},
                    {"fingerprint", fmt::format("{:016x}", d.data.fingerprint)}, {"split", d.data_args.describe()}};
  m.meta["checkpoint"] = {{"epoch", epoch}, {"final", false}};
  const fs::path path = a.out_dir() / "model.mfrec";
  save_model(m, path.string());
  fmt::print("checkpoint: epoch {} ({} in all) in {}\n", epoch, epochs_before + epoch, path.string());
}

int run_rank0(TrainCommand& a, TrainingData& d, uint32_t checkpoint_every) {
  dist::Comm& comm = dist::Comm::world();
  dist::use_distributed_engines(d.data.users, d.data.items);
  fmt::print("distributed: {}, {} each; users and items go to ranks by a hash of their ids\n",
             count_of(size_t(comm.size()), "rank"), count_of(d.options.thread_count(), "thread"));
  dist::MemoryReport memory;
  TrainHooks hooks;
  hooks.keep_split = true;  // the checkpoints (write_checkpoint) read the training part between epochs
  hooks.before_fit = [&](const Model* resume) {
    const uint64_t before = resume ? resume->meta.value("epochs_done", uint64_t(0)) : 0;
    dist::checkpoint_every(checkpoint_every, [&a, &d, before](const Model& m, uint32_t epoch) {
      write_checkpoint(a, d, m, epoch, before);
    });
  };
  hooks.epoch_note = [](const EpochStats& s) {
    const auto& epochs = dist::run_report().epochs;
    if (s.epoch == 0 || s.epoch > epochs.size()) return std::string();
    const dist::EpochTraffic& t = epochs[s.epoch - 1];
    return fmt::format(" sent {} received {} (the most by one rank)", bytes(t.max_sent), bytes(t.max_received));
  };
  hooks.metrics = [&](nlohmann::json& m) {
    const dist::RunReport& r = dist::run_report();
    dist::EpochTraffic mean;
    for (const auto& t : r.epochs)
      mean.max_sent += t.max_sent, mean.max_received += t.max_received, mean.total_sent += t.total_sent;
    const uint64_t n = std::max<uint64_t>(1, r.epochs.size());
    memory = dist::memory_report();
    m["distributed"] = {{"ranks", comm.size()}, {"threads_per_rank", d.options.thread_count()},
                        {"partition", "hash of the external id"},
                        {"bytes_per_epoch", {{"max_sent_by_a_rank", mean.max_sent / n},
                                             {"max_received_by_a_rank", mean.max_received / n},
                                             {"all_ranks", mean.total_sent / n}}},
                        {"setup_bytes", r.setup_sent}, {"gathers_to_rank0", r.gathers},
                        {"gathered_bytes", r.gather_received}, {"peak_memory_mb", memory.peak_mb},
                        {"training_memory_mb", memory.training_mb}};
  };
  int code = 0;
  try {
    train_loaded(a, d, hooks);
  } catch (...) {
    code = report_error(std::current_exception());
    if (!dist::idle()) {  // the other ranks are inside a command: no clean way out
      std::fflush(nullptr);
      MPI_Abort(MPI_COMM_WORLD, code);
    }
  }
  auto list = [](const std::vector<double>& mb) {
    std::string s;
    for (double m : mb) s += fmt::format("{}{:.0f}", s.empty() ? "" : ", ", m);
    return s;
  };
  if (!memory.peak_mb.empty())
    fmt::print("memory per rank (MB): peak {} (loading included); training {}\n", list(memory.peak_mb),
               list(memory.training_mb));
  dist::finish(code);
  return code;
}

int run(TrainCommand& a, uint32_t checkpoint_every) {
  dist::Comm& comm = dist::Comm::world();
  const bool root = comm.rank() == 0;
  std::exception_ptr error;
  // The embedded default data is written once, by rank 0, before anyone reads it.
  if (a.data.read.path.empty() && a.data.train_file.empty()) {
    a.data.read.path = (fs::path("output") / "synthetic-ml1m").string();
    if (root) try {
        ensure_default_data(a.data.read.path);
        fmt::print("no --data_path: training on the embedded default, a generated MovieLens-1M-shaped data set "
                   "({}; not MovieLens)\n", a.data.read.path);
      } catch (...) {
        error = std::current_exception();
      }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  if (a.train.options.threads == 0) a.train.options.threads = threads_per_rank();
  // Eigen's larger products (the iALS Gramian) run on OpenMP's default team, every core: with
  // several ranks on a machine those teams would crowd each other out.
  omp_set_num_threads(int(a.train.options.threads));
  TrainingData d;
  try {
    if (error) std::rethrow_exception(error);
    check_request(a);
    // Rank 0 reads the data; the others get their share of it from rank 0 (dist/share.h).
    if (root) d = load_training_data(a, true);
    else d.options = a.train.resolve();
  } catch (...) {
    error = std::current_exception();
  }
  int first = -1;
  const int code = agree(error ? error_code(error) : 0, first);
  if (code) {
    if (error && (root || first != 0)) report_error(error, root ? "" : fmt::format("rank {}: ", comm.rank()));
    return code;
  }
  dist::Share share = dist::share_data(comm, root ? &d.split.train : nullptr, root ? &d.data.users : nullptr,
                                       root ? &d.data.items : nullptr, d.options);
  if (root) return run_rank0(a, d, checkpoint_every);
  try {
    return dist::follow(comm, share.view(), d.options, [&share] {
      share = dist::Share{};
#ifdef __GLIBC__
      malloc_trim(0);  // give the freed data back, so that this rank's memory is its share
#endif
    });
  } catch (...) {
    const int c = report_error(std::current_exception(), fmt::format("rank {}: ", comm.rank()));
    std::fflush(nullptr);
    MPI_Abort(MPI_COMM_WORLD, c);
    return c;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);  // OpenMP threads compute, one calls MPI
  dist::Comm& comm = dist::Comm::world();
  CLI::App app{"mfrec-mpi: train als, ials, mcmc or sgd across the ranks of an MPI job (mpirun -np N mfrec-mpi train ...)",
               "mfrec-mpi"};
  configure(app);
  TrainCommand args;
  bool distributed = false, chosen = false;
  auto* cmd = app.add_subcommand("train", "train across the ranks, with mfrec train's options and outputs");
  add_train_options(*cmd, args);
  cmd->add_flag("--distributed", distributed, "accepted as mfrec train --distributed passes it (always distributed)");
  uint32_t checkpoint_every = 0;
  cmd->add_option("--checkpoint_every", checkpoint_every,
                  "write the output folder's model.mfrec every K epochs (the epoch's rows; --resume continues from it, "
                  "on any number of ranks; 0: at the end only)")
      ->type_name("K")
      ->capture_default_str();
  cmd->callback([&] { chosen = true; });
  int code;
  {
    Muted muted(comm.rank() != 0);
    code = run_app(app, argc, argv);
  }
  int first = -1;
  code = agree(code, first);
  if (code == 0 && chosen) {
    code = run(args, checkpoint_every);
  } else if (code && first > 0 && comm.rank() == 0) {
    fmt::print(stderr, "mfrec: error: rank {} could not read the command line (is its --config file there?)\n", first);
  }
  MPI_Finalize();
  return code;
}
