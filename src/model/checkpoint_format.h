#pragma once
// The framing of the model file (magic number, checksum), shared by the writer, the reader and the
// tests that forge files with a valid checksum around impossible contents.
#include <cstddef>
#include <cstdint>

namespace mfrec::checkpoint {

inline constexpr char kMagic[8] = {'M', 'F', 'R', 'E', 'C', '\x89', '\r', '\n'};

// 64-bit checksum over the bytes before it (a multiply-rotate hash; detects truncation, bit flips).
uint64_t checksum(const char* p, size_t n);

}  // namespace mfrec::checkpoint
