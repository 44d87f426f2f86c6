#!/usr/bin/env bash
# Full training with the recipe's defaults (Adam, lr 0.001, batch 512, 100 epochs, dim 32, L2 1e-4,
# per-user temporal 80/20 split, 10% validation), as the model zoo's train_full_1p.sh. Writes
# output/<id>/ under the current folder (see model_zoo.sh).
# Usage: scripts/train_full_1p.sh [--data_path DIR] [--output DIR] [mfrec train options...]
source "$(dirname "$0")/model_zoo.sh"
run_case acc ""
