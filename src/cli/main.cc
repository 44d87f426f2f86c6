// mfrec: a thin command line over the library. Exit codes: 0 ok, 1 bad data, 2 bad usage.
// `mfrec serve` runs the program mfrec-serve beside this one, so that only the server loads the HTTP
// and TLS libraries (OpenSSL is megabytes of resident memory).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/commands.h"

namespace {

int exec_server(char** argv) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string server = (ec ? std::filesystem::path(argv[0]) : self).parent_path() / "mfrec-serve";
  argv[0] = const_cast<char*>(server.c_str());
  ::execv(server.c_str(), argv);
  fmt::print(stderr, "mfrec: error: cannot run {}: {} (it is built beside mfrec)\n", server, std::strerror(errno));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "serve") return exec_server(argv);
  CLI::App app{"mfrec: matrix-factorization recommender (train, evaluate, recommend, serve)", "mfrec"};
  mfrec::cli::configure(app);
  using namespace mfrec::cli;
  add_train(app);
  add_eval(app);
  add_synth(app);
  add_tune(app);
  add_split(app);
  add_recommend(app);
  add_similar(app);
  add_predict(app);
  add_info(app);
  add_items(app);
  add_export(app);
  app.add_subcommand("serve", "serve the model over HTTP/JSON, with a web page at / (mfrec serve --help)");
  return run_app(app, argc, argv);
}
