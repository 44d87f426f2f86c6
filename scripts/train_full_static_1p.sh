#!/usr/bin/env bash
# The model zoo's train_full_static_1p.sh: there, static means static input shapes (a fixed batch shape).
# mfrec has no such choice: every epoch's last mini-batch is as large as what is left (neither
# dropped nor padded) and its loss is the mean over its own ratings, on the CPU and the GPU alike,
# so the static and dynamic scripts run exactly what train_full_1p.sh runs; only the case name
# (MF_mfrec_bs512_1p_static_acc) differs.
# Usage: scripts/train_full_static_1p.sh [--data_path DIR] [--output DIR] [mfrec train options...]
source "$(dirname "$0")/model_zoo.sh"
run_case static_acc ""
