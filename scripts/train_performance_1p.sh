#!/usr/bin/env bash
# Throughput run: the recipe's settings for a few epochs, as the model zoo's train_performance_1p.sh.
# Writes output/<id>/performance/ under the current folder, so that the full run's model stays.
# Usage: scripts/train_performance_1p.sh [--data_path DIR] [--output DIR] [mfrec train options...]
source "$(dirname "$0")/model_zoo.sh"
run_case perf performance --epochs 5
