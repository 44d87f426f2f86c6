// mfrec-serve: the `serve` command as a program of its own (`mfrec serve ...` runs it).
#include "cli/app.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"mfrec serve: the model over HTTP/JSON", "mfrec"};
  mfrec::cli::configure(app);
  mfrec::cli::add_serve(app);
  return mfrec::cli::run_app(app, argc, argv);
}
