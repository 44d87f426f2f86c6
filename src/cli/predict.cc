// `mfrec predict`: scores for (user, item) pairs read from a file or stdin, as CSV. Unknown ids get
// the fallback of Model::predict_any and are counted; the whole input is read and written in one go
// (no per-line I/O), so millions of pairs take about a second.
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/plural.h"
#include "common/atomic_file.h"
#include "common/where.h"
#include "data/mapped_file.h"
#include "mfrec/checkpoint.h"
#include "mfrec/error.h"

namespace mfrec::cli {
namespace {

struct Args {
  std::string model, pairs, out;
};

std::string read_stdin() {
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) text.append(buf, n);
  if (std::ferror(stdin)) throw DataError("stdin: cannot read");
  return text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The separator of the first line, as the ratings reader sniffs it.
std::string_view sniff_sep(std::string_view line) {
  for (std::string_view s : {"::", "\t", ",", ";", "|"})
    if (line.find(s) != std::string_view::npos) return s;
  return " ";
}

bool is_header(std::string_view user, std::string_view item) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string u = lower(user), i = lower(item);
  return (u == "user" || u == "userid" || u == "user_id") &&
         (i == "item" || i == "itemid" || i == "item_id" || i == "movieid" || i == "movie_id");
}

void run(const Args& a) {
  const Model m = load_model(a.model);
  const std::string name = a.pairs == "-" ? "stdin" : a.pairs;
  std::unique_ptr<MappedFile> mapped;
  std::string piped;
  std::string_view text;
  if (a.pairs == "-") {
    piped = read_stdin();
    text = piped;
  } else {
    mapped = std::make_unique<MappedFile>(a.pairs);
    text = mapped->view();
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  fmt::memory_buffer b;
  b.reserve(text.size() + text.size() / 2 + 64);
  fmt::format_to(std::back_inserter(b), "user,item,score\n");
  std::string_view sep;
  size_t line_no = 0, pairs = 0, unknown_users = 0, unknown_items = 0, unknown_any = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (sep.empty()) sep = sniff_sep(line);
    const size_t at = line.find(sep);
    if (at == std::string_view::npos)
      throw DataError(where(name, line_no, fmt::format("expected USER{}ITEM, found \"{}\"", sep == "\t" ? "<tab>" : sep,
                                                       line.substr(0, 60))));
    const std::string_view user = trim(line.substr(0, at));
    std::string_view item = line.substr(at + sep.size());
    item = trim(item.substr(0, item.find(sep)));  // fields after the item (a rating, a time) are ignored
    if (user.empty() || item.empty()) throw DataError(where(name, line_no, std::string("empty ") + (user.empty() ? "user" : "item") + " id"));
    if (pairs == 0 && is_header(user, item)) continue;
    const auto u = m.users.find(user), i = m.items.find(item);
    unknown_users += !u;
    unknown_items += !i;
    unknown_any += !u || !i;
    const float score = m.predict_any(u.value_or(Model::npos), i.value_or(Model::npos));
    b.append(user);
    b.push_back(',');
    b.append(item);
    fmt::format_to(std::back_inserter(b), ",{:.4f}\n", score);
    ++pairs;
  }
  if (a.out.empty()) {
    if (std::fwrite(b.data(), 1, b.size(), stdout) != b.size() || std::fflush(stdout) != 0)
      throw DataError("stdout: cannot write the scores");
  } else {
    write_file_atomically(a.out, std::string(b.data(), b.size()));
    fmt::print(stderr, "mfrec: wrote {} to {}\n", count_of(pairs, "score"), a.out);
  }
  if (unknown_any)
    fmt::print(stderr, "mfrec: {} of {} had an unknown id ({}, {}) and got the fallback prediction "
               "(unknown item: the user's mean and bias; unknown user: the global mean and the item's bias)\n",
               unknown_any, count_of(pairs, "pair"), count_of(unknown_users, "unknown user"),
               count_of(unknown_items, "unknown item"));
}

}  // namespace

void add_predict(CLI::App& app) {
  auto* cmd = app.add_subcommand("predict", "predicted ratings for USER,ITEM pairs from a file or stdin, as CSV");
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "model file (model.mfrec)")->required();
  cmd->add_option("--pairs", a->pairs, "one USER,ITEM pair a line (any separator: , tab :: ; | space); - for stdin")->required();
  cmd->add_option("--out", a->out, "write the CSV (user,item,score) to this file, atomically (default: stdout)");
  cmd->callback([a] { run(*a); });
}

}  // namespace mfrec::cli
