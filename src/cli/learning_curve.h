#pragma once
// The learning curve `mfrec train` writes beside its log (learning_curve.svg): per epoch, the
// training figure and the validation figure, each on its own axis, as a self-contained SVG.
#include <string>
#include <vector>

#include "mfrec/train.h"

namespace mfrec::cli {

std::string learning_curve_svg(const std::vector<EpochStats>& history, bool ranking, const std::string& title);

}  // namespace mfrec::cli
