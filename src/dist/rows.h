#pragma once
// Factor rows between rank 0's model and the ranks that own them: sent out once when training
// starts (the initial or resumed rows), gathered back whenever rank 0 needs the model (validation,
// keeping the best epoch, the checkpoint). A row travels as `dim` floats and, when `biased`, its
// bias after them.
#include <vector>

#include "dist/comm.h"
#include "dist/partition.h"
#include "mfrec/factors.h"

namespace mfrec::dist {

// Rank 0 passes its table and biases; every rank gets its own rows, packed, in local order.
std::vector<float> scatter_side(Comm& comm, const Ownership& own, const FactorMatrix* table,
                                const std::vector<float>* bias, int dim, bool biased);

// Every rank passes its rows packed in local order; rank 0 writes them into its table and biases.
void gather_side(Comm& comm, const Ownership& own, const float* packed, FactorMatrix* table,
                 std::vector<float>* bias, int dim, bool biased);

// The same for a rank that keeps its rows as a table in the model's precision and biases apart:
// `rows` and `bias` become its own rows (a row arrives in the stored precision: kept unchanged).
void scatter_side(Comm& comm, const Ownership& own, const FactorMatrix* table, const std::vector<float>* table_bias,
                  int dim, bool biased, Precision precision, FactorMatrix& rows, std::vector<float>& bias);
void gather_side(Comm& comm, const Ownership& own, const FactorMatrix& rows, const std::vector<float>& bias,
                 bool biased, FactorMatrix* table, std::vector<float>* table_bias);

}  // namespace mfrec::dist
