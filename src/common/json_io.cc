#include "common/json_io.h"

#include <fmt/format.h>

namespace mfrec {

nlohmann::json parse_json(std::string_view text, int max_depth) {
  using nlohmann::json;
  // The callback sees each value's depth as it opens; refusing there stops before any deep value exists.
  auto bound = [max_depth](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) && depth >= max_depth)
      throw JsonError(fmt::format("nested deeper than {} levels", max_depth));
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), bound);
  } catch (const json::parse_error& e) {
    // e.byte counts from 1; past the end means the text stopped too early.
    if (e.byte > text.size()) throw JsonError("not valid JSON: it ends too early");
    throw JsonError(fmt::format("not valid JSON at byte {}", e.byte));
  } catch (const json::exception&) {
    throw JsonError("not valid JSON");
  }
}

std::string json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mfrec
