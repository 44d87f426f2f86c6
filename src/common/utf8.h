#pragma once
// UTF-8 validation for the text mfrec writes: ids and titles are any bytes (a ratings file need not
// be UTF-8), but JSON must be valid UTF-8, so invalid sequences are replaced by U+FFFD there.
#include <cstddef>
#include <cstdint>

namespace mfrec {

inline constexpr char kReplacementChar[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The length of the valid UTF-8 sequence at p (1 to 4), or 0 when the bytes there are not one:
// a stray continuation byte, a truncated or overlong sequence, a surrogate, or above U+10FFFF.
inline size_t utf8_sequence(const unsigned char* p, size_t left) {
  const unsigned c = p[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (n > left) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace mfrec
