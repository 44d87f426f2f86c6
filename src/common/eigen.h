#pragma once
// Eigen as mfrec uses it: float matrices (column-major) and vectors, dense solvers.
// g++ 12 warns that the AVX-512 intrinsics under Eigen's kernels use _mm512_undefined_ps() "maybe
// uninitialized" (GCC bug 105593); silenced for the file that includes this, whose own code is not.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Cholesky>
#include <Eigen/Core>

namespace mfrec {
using Matrix = Eigen::MatrixXf;
using Vector = Eigen::VectorXf;
}  // namespace mfrec
