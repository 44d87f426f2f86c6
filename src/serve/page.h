#pragma once
// The self-contained web page the server sends for `/` (defined in serve/page.cc).
#include <string_view>

namespace mfrec {

std::string_view page_html();

}  // namespace mfrec
