#include "dist/driver.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <cmath>
#include <exception>
#include <stdexcept>

#include "mfrec/engines.h"
#include "mfrec/error.h"
#include "train/engine.h"
#include "train/parts/ials_row.h"

namespace mfrec::dist {
namespace {

enum class Command : int32_t { setup = 1, epoch, gather, release, report, finish };

struct Message {
  int32_t command = 0, arg = 0;
};

struct State {
  const IdMap* users = nullptr;
  const IdMap* items = nullptr;
  bool busy = false;
  RunReport report;
  uint32_t checkpoint_every = 0;
  std::function<void(const Model&, uint32_t)> write_checkpoint;
};
State& state() {
  static State s;
  return s;
}

// The non-blocking form on every rank (a blocking and a non-blocking broadcast do not match). The
// waiting ranks sleep between tests, so that they leave the cores to rank 0 while it validates,
// evaluates and writes.
void broadcast(Message& m) {
  MPI_Request request;
  MPI_Ibcast(&m, 2, MPI_INT32_T, 0, MPI_COMM_WORLD, &request);
  if (Comm::world().rank() == 0) {
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    return;
  }
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    const timespec pause{0, 500000};
    nanosleep(&pause, nullptr);
  }
}

// Rank 0: a command to every rank; the caller then takes its own part in it.
void command(Command c, int32_t arg = 0) {
  if (state().busy) throw std::logic_error("distributed training: a command was sent while another was under way");
  Message m{int32_t(c), arg};
  state().busy = true;
  broadcast(m);
}

// Rank 0: the command's collective part is over (not reached when it throws: the job is aborted).
void done() { state().busy = false; }

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

// The most this rank held after an epoch: what training needs, without the load's peak (every
// rank reads the whole file before it keeps its share).
double& training_mb() {
  static double mb = 0;
  return mb;
}

void note_training_memory() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  training_mb() = std::max(training_mb(), double(resident) * double(sysconf(_SC_PAGESIZE)) / 1048576.0);
}

MemoryReport gather_memory(Comm& comm) {
  const double mine[2] = {peak_rss_mb(), training_mb()};
  std::vector<double> all(2 * size_t(comm.size()));
  MPI_Gather(mine, 2, MPI_DOUBLE, all.data(), 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MemoryReport m;
  for (size_t r = 0; r < all.size() / 2; ++r) m.peak_mb.push_back(all[2 * r]), m.training_mb.push_back(all[2 * r + 1]);
  return m;
}

// Runs one epoch on this rank and brings the ranks' traffic during it to rank 0.
double counted_epoch(Comm& comm, Solver& solver, uint32_t epoch, EpochTraffic* out) {
  const Traffic before = comm.traffic();
  const double loss = solver.epoch(epoch);
  note_training_memory();
  const Traffic delta = comm.traffic() - before;
  const uint64_t mine[2] = {delta.sent, delta.received};
  std::vector<uint64_t> all(2 * size_t(comm.size()));
  MPI_Gather(mine, 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  if (out)
    for (int r = 0; r < comm.size(); ++r) {
      const uint64_t s = all[2 * size_t(r)], g = all[2 * size_t(r) + 1];
      out->max_sent = std::max(out->max_sent, s), out->max_received = std::max(out->max_received, g);
      out->total_sent += s, out->total_received += g;
    }
  return loss;
}

// Rank 0's engine: every step a command, then rank 0's own part of it.
class DriverEngine final : public Engine {
 public:
  DriverEngine(Model& model, const Ratings& train, const TrainOptions& o) : Engine(model), o_(o) {
    Comm& comm = Comm::world();
    command(Command::setup);
    const Traffic before = comm.traffic();
    solver_ = make_solver(comm, SharedData{&train, state().users, state().items, train.size(), false}, o, &model);
    uint64_t sent = (comm.traffic() - before).sent, all = 0;
    MPI_Reduce(&sent, &all, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    state().report = RunReport{};
    state().report.setup_sent = all;
    done();
  }
  ~DriverEngine() override {
    if (std::uncaught_exceptions() || state().busy) return;  // the error's handler ends the job
    command(Command::release);
    done();
  }

  double run_epoch(uint32_t epoch) override {
    command(Command::epoch, int32_t(epoch));
    EpochTraffic t;
    const double loss = counted_epoch(Comm::world(), *solver_, epoch, &t);
    state().report.epochs.push_back(t);
    stale_ = true;
    done();
    if (state().checkpoint_every && epoch % state().checkpoint_every == 0 && std::isfinite(loss)) {
      sync();
      state().write_checkpoint(model_, epoch);
    }
    return loss;
  }

  void sync() override {
    if (!stale_) return;
    command(Command::gather);
    const uint64_t before = Comm::world().traffic().received;
    solver_->gather(&model_);
    state().report.gathers++;
    state().report.gather_received += Comm::world().traffic().received - before;
    stale_ = false;
    done();
  }

  double rmse(const Ratings& ratings) override {
    if (const auto own = solver_->rmse(model_, ratings)) return *own;
    sync();
    return Engine::rmse(ratings);
  }

  bool burning_in() const override { return solver_->burning_in(); }

  FoldInPrior prior(const TrainOptions& o) const override {
    if (o.optimizer == "ials") return ials_prior(o);
    if (o.optimizer == "mcmc") {  // as mcmc.cc's: a Gaussian prior, its ridge from the rating noise
      FoldInPrior p;
      p.kind = FoldInPrior::Kind::gaussian;
      p.noise_variance = model_.meta.value("noise_variance", 1.0);
      return p;
    }
    return Engine::prior(o);
  }

 private:
  TrainOptions o_;
  std::unique_ptr<Solver> solver_;
  bool stale_ = false;  // the model's rows are older than the ranks'
};

std::unique_ptr<Engine> make_driver(Model& model, const Ratings& train, const TrainOptions& o) {
  return std::make_unique<DriverEngine>(model, train, o);
}

}  // namespace

void use_distributed_engines(const IdMap& users, const IdMap& items) {
  state().users = &users;
  state().items = &items;
  for (const char* name : {"als", "ials", "mcmc", "sgd"}) {
    EngineInfo e = engine_info(name);
    e.make = make_driver;
    e.make_in_place = nullptr;  // the ranks hold their shares: nothing to build in place here
    register_engine(e);
  }
}

const RunReport& run_report() { return state().report; }

void checkpoint_every(uint32_t every, std::function<void(const Model&, uint32_t)> write) {
  state().checkpoint_every = every;
  state().write_checkpoint = std::move(write);
}

MemoryReport memory_report() {
  command(Command::report);
  MemoryReport m = gather_memory(Comm::world());
  done();
  return m;
}

bool idle() { return !state().busy; }

void finish(int code) {
  command(Command::finish, code);
  done();
}

int follow(Comm& comm, const SharedData& data, const TrainOptions& o, const std::function<void()>& release) {
  std::unique_ptr<Solver> solver;
  bool released = false;
  for (;;) {
    Message m;
    broadcast(m);
    switch (Command(m.command)) {
      case Command::setup: {
        if (released) throw std::logic_error("distributed training: set up twice");
        const Traffic before = comm.traffic();
        solver = make_solver(comm, data, o, nullptr);
        uint64_t sent = (comm.traffic() - before).sent;
        MPI_Reduce(&sent, nullptr, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
        release();
        released = true;
        break;
      }
      case Command::epoch: counted_epoch(comm, *solver, uint32_t(m.arg), nullptr); break;
      case Command::gather: solver->gather(nullptr); break;
      case Command::release: solver.reset(); break;
      case Command::report: gather_memory(comm); break;
      case Command::finish: return m.arg;
      default: throw std::logic_error("distributed training: an unknown command from rank 0");
    }
  }
}

}  // namespace mfrec::dist
