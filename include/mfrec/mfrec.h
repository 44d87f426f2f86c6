#pragma once
// The whole public API.
#include "mfrec/autotune.h"
#include "mfrec/checkpoint.h"
#include "mfrec/dataset.h"
#include "mfrec/error.h"
#include "mfrec/fit.h"
#include "mfrec/metrics.h"
#include "mfrec/model.h"
#include "mfrec/split.h"
#include "mfrec/synth.h"
#include "mfrec/train.h"
