#!/usr/bin/env bash
# The one command for a fresh machine: install the dependencies, build, and run the main job
# (`mfrec train` with the recipe's defaults on the embedded default data set, a generated
# MovieLens-1M-shaped set: MovieLens itself may not be redistributed). Arguments go to `mfrec train`.
# It also installs the Python package for /usr/bin/python3 (`import mfrec` from any folder).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
cmake --install build --component python >/dev/null
build/mfrec train "$@"
