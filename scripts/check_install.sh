#!/usr/bin/env bash
# Checks mfrec as a library others use: installs the current build (build/, made by scripts/build.sh)
# into a temporary prefix, builds examples/ against it twice -- with CMake (find_package through
# CMAKE_PREFIX_PATH) and with pkg-config -- and runs the example on generated data. Fails on any error.
#   scripts/check_install.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/CMakeCache.txt" ] || { echo "check_install: no build in $build (run scripts/build.sh)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mfrec-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null

# The installed interface: public headers only (nothing from src/), the programs beside each other.
bad=$(grep -hE '^#include "' "$prefix"/include/mfrec/*.h | grep -v '^#include "mfrec/' || true)
[ -z "$bad" ] || { echo "check_install: installed headers include non-public headers: $bad" >&2; exit 1; }
for h in "$prefix"/include/mfrec/*.h; do
  n=$(basename "$h")
  [ "$n" = mfrec.h ] || grep -q "#include \"mfrec/$n\"" "$prefix/include/mfrec/mfrec.h" ||
    { echo "check_install: mfrec/mfrec.h does not include mfrec/$n" >&2; exit 1; }
done
"$prefix/bin/mfrec" --version >/dev/null
"$prefix/bin/mfrec-serve" --help >/dev/null
[ ! -e "$build/mfrec-mpi" ] || "$prefix/bin/mfrec-mpi" --help >/dev/null  # built where MPI was found
if grep -rqE -- '/src([/;" ]|$)' "$prefix"/lib/cmake/mfrec/; then
  echo "check_install: the exported CMake package names the source tree's src/" >&2; exit 1
fi

# CMake: find_package(mfrec CONFIG REQUIRED) -> mfrec::mfrec. An empty TMPDIR keeps the example's
# files apart from other runs.
cmake -S examples -B "$tmp/examples" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/examples" -j"$(nproc)" >/dev/null
mkdir -p "$tmp/run"
TMPDIR=$tmp/run "$tmp/examples/train_and_recommend" - 3 300 | tee "$tmp/out.txt"
grep -q '^top 5 for user' "$tmp/out.txt"
[ "$(grep -c '^  ' "$tmp/out.txt")" -eq 5 ] || { echo "check_install: expected 5 recommendations" >&2; exit 1; }

# mfrec::serve (COMPONENTS serve): a program that starts mfrec::Server on a saved model, any port.
mkdir -p "$tmp/serve_src"
cat >"$tmp/serve_src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(serve_check LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(mfrec CONFIG REQUIRED COMPONENTS serve)
add_executable(serve_check main.cc)
target_link_libraries(serve_check PRIVATE mfrec::serve)
CMAKE
cat >"$tmp/serve_src/main.cc" <<'CC'
#include <cstdio>
#include "mfrec/mfrec.h"
int main(int argc, char** argv) {
  mfrec::ServeOptions o;
  o.model_path = argv[1];
  o.port = 0;
  o.threads = 2;
  mfrec::Server server(o);
  server.start();
  std::printf("serving %zu users on port %d\n", server.recommender()->n_users(), server.port());
  server.stop();
}
CC
cmake -S "$tmp/serve_src" -B "$tmp/serve_build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/serve_build" >/dev/null
"$tmp/serve_build/serve_check" "$tmp/run/mfrec-example/model.mfrec"

# The same program through pkg-config, on a data set written by the installed `mfrec synth`.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
[ "$(pkg-config --modversion mfrec)" = "$(sed -n 's/^project(mfrec VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)" ]
pkg-config --exists --print-errors mfrec-serve
# shellcheck disable=SC2046  # pkg-config's flags are meant to be split
g++ -std=c++20 -O1 examples/train_and_recommend.cc -o "$tmp/pc_example" $(pkg-config --cflags --libs mfrec)
"$prefix/bin/mfrec" synth --out "$tmp/data" --users 200 --items 150 --ratings 4000 >/dev/null
TMPDIR=$tmp/run "$tmp/pc_example" "$tmp/data" 2 >/dev/null

# The Python package (where the build has it): installed as `cmake --install --component python` puts
# it (DESTDIR keeps the system's site-packages untouched), then imported and used from another folder.
if [ -f "$build/python/mfrec/__init__.py" ]; then
  DESTDIR=$tmp/destdir cmake --install "$build" --component python >/dev/null
  site=$(dirname "$(find "$tmp/destdir" -name __init__.py -path '*/mfrec/*' | head -1)")/..
  (cd "$tmp/run" && PYTHONPATH=$site /usr/bin/python3 -c "
import mfrec, sys
m = mfrec.load_model('$tmp/run/mfrec-example/model.mfrec')
ids, scores = m.recommend(m.user_ids[0], N=5)
assert len(ids) == 5, ids
assert mfrec.__file__.startswith('$tmp/destdir'), mfrec.__file__
print('python package: OK')")
fi
echo "check_install: OK"
