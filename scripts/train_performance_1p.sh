#!/usr/bin/env bash
# Throughput run: the recipe's settings for a few epochs, as the model zoo's train_performance_1p.sh.
# Usage: scripts/train_performance_1p.sh --data_path=/path/to/ml-1m [mfrec train options...]
source "$(dirname "$0")/model_zoo.sh"
run_case perf --epochs 5
