#pragma once
// A rows x cols table of latent factors stored in fp32, bf16 or fp16.
#include <cstddef>
#include <vector>

#include "mfrec/precision.h"

namespace mfrec {

class FactorMatrix {
 public:
  FactorMatrix() = default;
  FactorMatrix(size_t rows, size_t cols, Precision precision);

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  Precision precision() const { return precision_; }
  size_t bytes() const { return rows_ * cols_ * precision_bytes(precision_); }

  float get(size_t r, size_t c) const;
  void set(size_t r, size_t c, float v);
  void read_row(size_t r, float* out) const;  // converts to fp32
  void write_row(size_t r, const float* in);   // rounds to nearest
  void zero_row(size_t r);

  // Calls f(T* data) with the typed storage (T = float, bf16 or fp16): the hook for kernels that
  // are templated on the storage type.
  template <typename F>
  decltype(auto) visit(F&& f) {
    switch (precision_) {
      case Precision::bf16: return f(b16_.data());
      case Precision::fp16: return f(h16_.data());
      default: return f(f32_.data());
    }
  }
  template <typename F>
  decltype(auto) visit(F&& f) const {
    switch (precision_) {
      case Precision::bf16: return f(b16_.data());
      case Precision::fp16: return f(h16_.data());
      default: return f(f32_.data());
    }
  }
  void* raw() { return visit([](auto* p) { return static_cast<void*>(p); }); }
  const void* raw() const { return visit([](const auto* p) { return static_cast<const void*>(p); }); }

 private:
  size_t rows_ = 0, cols_ = 0;
  Precision precision_ = Precision::fp32;
  std::vector<float> f32_;
  std::vector<bf16> b16_;
  std::vector<fp16> h16_;
};

}  // namespace mfrec
