#include "cli/learning_curve.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace mfrec::cli {
namespace {

constexpr double kW = 640, kH = 360, kLeft = 70, kRight = 70, kTop = 40, kBottom = 50;

struct Series {
  std::string name, color;
  std::vector<double> y;  // NaN where there is none
  bool any() const { return std::any_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); }); }
};

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return o;
}

// The series as a polyline on its own scale, with its axis (left or right) labelled at both ends.
std::string draw(const Series& s, size_t epochs, bool right) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : s.y)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(hi > lo)) hi = lo + 1e-9;
  auto x = [&](size_t e) { return kLeft + (kW - kLeft - kRight) * (epochs > 1 ? double(e) / double(epochs - 1) : 0.5); };
  auto y = [&](double v) { return kTop + (kH - kTop - kBottom) * (1 - (v - lo) / (hi - lo)); };
  std::string pts;
  for (size_t e = 0; e < s.y.size(); ++e)
    if (std::isfinite(s.y[e])) pts += fmt::format("{:.1f},{:.1f} ", x(e), y(s.y[e]));
  const double ax = right ? kW - kRight : kLeft;
  const char* anchor = right ? "start" : "end";
  const double tx = right ? ax + 6 : ax - 6;
  return fmt::format(
      "<polyline fill=\"none\" stroke=\"{0}\" stroke-width=\"2\" points=\"{1}\"/>\n"
      "<text x=\"{2:.0f}\" y=\"{3:.0f}\" fill=\"{0}\" text-anchor=\"{4}\">{5:.4g}</text>\n"
      "<text x=\"{2:.0f}\" y=\"{6:.0f}\" fill=\"{0}\" text-anchor=\"{4}\">{7:.4g}</text>\n",
      s.color, pts, tx, kTop + 4, anchor, hi, kH - kBottom, lo);
}

}  // namespace

std::string learning_curve_svg(const std::vector<EpochStats>& history, bool ranking, const std::string& title) {
  Series train{ranking ? "training loss" : "training RMSE", "#1f77b4", {}};
  Series val{ranking ? "validation NDCG@10" : "validation RMSE", "#d62728", {}};
  for (const EpochStats& s : history) {
    train.y.push_back(ranking ? s.loss : s.train_rmse);
    val.y.push_back(ranking ? s.val_ndcg : s.val_rmse);
  }
  const size_t n = history.size();
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2:.0f}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{3}</text>\n"
      "<rect x=\"{4:.0f}\" y=\"{5:.0f}\" width=\"{6:.0f}\" height=\"{7:.0f}\" fill=\"none\" stroke=\"#999\"/>\n"
      "<text x=\"{4:.0f}\" y=\"{8:.0f}\">epoch 1</text>\n"
      "<text x=\"{9:.0f}\" y=\"{8:.0f}\" text-anchor=\"end\">epoch {10}</text>\n",
      kW, kH, kW / 2, escape(title), kLeft, kTop, kW - kLeft - kRight, kH - kTop - kBottom, kH - kBottom + 16,
      kW - kRight, n);
  double legend_x = kLeft;
  for (const Series* s : {&train, &val}) {
    if (!s->any()) continue;
    svg += draw(*s, n, s == &val);
    svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" fill=\"{}\">{}</text>\n", legend_x, kH - 12, s->color, s->name);
    legend_x += 200;
  }
  return svg + "</svg>\n";
}

}  // namespace mfrec::cli
