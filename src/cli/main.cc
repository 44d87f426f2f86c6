// mfrec: a thin command line over the library. Exit codes: 0 ok, 1 bad data, 2 bad usage.
// `mfrec serve` runs the program mfrec-serve beside this one, so that only the server loads the HTTP
// and TLS libraries (OpenSSL is megabytes of resident memory); `mfrec train --distributed` runs
// mfrec-mpi, so that only it needs MPI.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/commands.h"

namespace {

// Runs the program `name` built beside this one with the same arguments.
int exec_beside(char** argv, const std::string& name, const std::string& hint) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string program = (ec ? std::filesystem::path(argv[0]) : self).parent_path() / name;
  argv[0] = const_cast<char*>(program.c_str());
  ::execv(program.c_str(), argv);
  fmt::print(stderr, "mfrec: error: cannot run {}: {} ({})\n", program, std::strerror(errno), hint);
  return 1;
}

// `mfrec train --distributed ...`: the same command in mfrec-mpi, so that only it links MPI.
bool distributed_train(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "train") return false;
  for (int k = 2; k < argc; ++k)
    if (std::string(argv[k]) == "--distributed") return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "serve") return exec_beside(argv, "mfrec-serve", "it is built beside mfrec");
  if (distributed_train(argc, argv))
    return exec_beside(argv, "mfrec-mpi", "it is built beside mfrec where MPI is found: apt-get install libopenmpi-dev "
                                          "openmpi-bin, then build again");
  CLI::App app{"mfrec: matrix-factorization recommender (train, evaluate, recommend, serve)", "mfrec"};
  mfrec::cli::configure(app);
  using namespace mfrec::cli;
  add_train(app);
  add_eval(app);
  add_synth(app);
  add_tune(app);
  add_split(app);
  add_convert(app);
  add_recommend(app);
  add_similar(app);
  add_predict(app);
  add_info(app);
  add_items(app);
  add_export(app);
  app.add_subcommand("serve", "serve the model over HTTP/JSON, with a web page at / (mfrec serve --help)");
  return run_app(app, argc, argv);
}
