#include "mfrec/factors.h"

#include "model/kernels.h"

namespace mfrec {

FactorMatrix::FactorMatrix(size_t rows, size_t cols, Precision precision)
    : rows_(rows), cols_(cols), precision_(precision) {
  switch (precision) {
    case Precision::bf16: b16_.assign(rows * cols, bf16{0}); break;
    case Precision::fp16: h16_.assign(rows * cols, fp16{0}); break;
    default: f32_.assign(rows * cols, 0.0f);
  }
}

float FactorMatrix::get(size_t r, size_t c) const {
  return visit([&](const auto* d) { return to_float(d[r * cols_ + c]); });
}

void FactorMatrix::set(size_t r, size_t c, float v) {
  visit([&](auto* d) { d[r * cols_ + c] = to_storage<std::remove_cvref_t<decltype(*d)>>(v); });
}

void FactorMatrix::read_row(size_t r, float* out) const {
  visit([&](const auto* d) { kernels::load(d + r * cols_, out, uint32_t(cols_)); });
}

void FactorMatrix::write_row(size_t r, const float* in) {
  visit([&](auto* d) { kernels::store(in, d + r * cols_, uint32_t(cols_)); });
}

void FactorMatrix::zero_row(size_t r) {
  visit([&](auto* d) {
    using T = std::remove_cvref_t<decltype(*d)>;
    for (size_t c = 0; c < cols_; ++c) d[r * cols_ + c] = to_storage<T>(0.0f);
  });
}

}  // namespace mfrec
