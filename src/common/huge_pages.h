#pragma once
// Zeroed memory for a training loop's hot tables, on 2 MiB pages where the kernel allows it
// (transparent huge pages in "madvise" mode, the usual default). Rows picked at random from a few
// MiB then cost no TLB miss each: on 4 KiB pages nearly every row is on another page, and a page
// walk costs more still under virtualisation. The last page is whole too: up to 2 MiB more memory
// than asked. Falls back to ordinary pages silently.
#include <cstddef>

namespace mfrec {

// Asks for 2 MiB pages under the whole huge pages inside [p, p + bytes) (memory not yet touched, such
// as a vector's reserved capacity): one page fault per 2 MiB instead of per 4 KiB. Advice only.
void advise_huge_pages(void* p, size_t bytes);

class HugePageBuffer {
 public:
  HugePageBuffer() = default;
  explicit HugePageBuffer(size_t bytes);
  ~HugePageBuffer();
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  std::byte* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* map_ = nullptr;  // what mmap returned, with room to align
  size_t map_size_ = 0;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mfrec
