// Title search (mfrec/search.h): folding accents, case and punctuation, words in any order; the same
// search behind `mfrec items` (cli_use_test) and the HTTP API's /v1/items (here).
#include <gtest/gtest.h>
#include <httplib.h>

#include "mfrec/search.h"
#include "mfrec/serve.h"
#include "test_util.h"

namespace mfrec {
namespace {

TEST(Search, FoldsCaseAccentsAndPunctuation) {
  EXPECT_EQ(fold_for_search("L\xc3\xa9on: The Professional (1994)"), "leon the professional 1994");
  EXPECT_EQ(fold_for_search("Godfather: Part II, The"), "godfather part ii the");
  EXPECT_EQ(fold_for_search("Schindler's List"), "schindlers list");
  EXPECT_EQ(fold_for_search("Schindler\xe2\x80\x99s List"), "schindlers list");
  EXPECT_EQ(fold_for_search("\xc3\x86on Flux"), "aeon flux");
  EXPECT_EQ(fold_for_search("Die Stra\xc3\x9f" "e"), "die strasse");
  EXPECT_EQ(fold_for_search("\xc3\x87" "a va \xe2\x80\x94 bien!"), "ca va bien");
  EXPECT_EQ(fold_for_search("  \xc5\x81\xc3\xb3" "d\xc5\xba  "), "lodz");
  EXPECT_EQ(fold_for_search("\xe4\xb8\x83\xe4\xba\xba\xe3\x81\xae\xe4\xbe\x8d"), "\xe4\xb8\x83\xe4\xba\xba\xe3\x81\xae\xe4\xbe\x8d");
  EXPECT_EQ(fold_for_search("L\xe9on"), "leon");  // a stray latin-1 byte reads as latin-1
  EXPECT_EQ(fold_for_search(""), "");
}

Model titled(const std::vector<std::string>& titles) {
  Model m;
  std::vector<std::string> ids;
  for (size_t i = 0; i < titles.size(); ++i) ids.push_back(std::to_string(i + 1));
  m.items = IdMap::from_names(ids);
  m.item_bias.assign(titles.size(), 0);
  m.catalog.titles = titles;
  return m;
}

std::vector<uint32_t> find(const TitleIndex& index, const std::string& q, size_t limit = 10) { return index.search(q, limit); }

TEST(Search, MatchesEveryWordInAnyOrderWholeWordsFirst) {
  const Model m = titled({"Godfather: Part III, The (1990)", "Godfather: Part II, The (1974)", "Godfather, The (1972)",
                          "L\xc3\xa9on: The Professional (1994)", "Toy Story (1995)", "Toy Story 2 (1999)"});
  const std::vector<uint32_t> popularity = {50, 40, 100, 10, 30, 20};
  const TitleIndex index(m, popularity);
  EXPECT_EQ(find(index, "leon"), (std::vector<uint32_t>{3}));
  EXPECT_EQ(find(index, "LEON the"), (std::vector<uint32_t>{3}));
  EXPECT_EQ(find(index, "godfather ii"), (std::vector<uint32_t>{1, 0}));  // II whole, III by prefix
  EXPECT_EQ(find(index, "the godfather"), (std::vector<uint32_t>{2, 0, 1}));  // most rated first
  EXPECT_EQ(find(index, "story toy"), (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(find(index, "toy sto"), (std::vector<uint32_t>{4, 5}));  // as one types
  EXPECT_TRUE(find(index, "oy").empty());  // words start where a word starts
  EXPECT_EQ(find(index, "5"), (std::vector<uint32_t>{4}));  // an id comes first
  EXPECT_EQ(find(index, "", 2), (std::vector<uint32_t>{2, 0}));  // nothing typed: the most rated
  EXPECT_EQ(find(index, "godfather", 2).size(), 2u);
}

TEST(Search, TheHttpApiSearchesTheSameWay) {
  Model m = load_model(test::small_model());
  m.catalog.titles[0] = "L\xc3\xa9on: The Professional (1994)";
  m.catalog.titles[1] = "Godfather: Part II, The (1974)";
  const std::string path = test::scratch_dir("search-http") + "/model.mfrec";
  save_model(m, path);
  ServeOptions o;
  o.model_path = path;
  o.port = 0;
  o.threads = 4;
  Server server(o);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  for (const auto& [q, id] : std::vector<std::pair<std::string, std::string>>{
           {"leon", m.items.external(0)}, {"L%C3%89ON", m.items.external(0)}, {"ii%20godfather", m.items.external(1)}}) {
    auto res = c.Get("/v1/items?q=" + q);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const auto j = nlohmann::json::parse(res->body);
    ASSERT_FALSE(j["items"].empty()) << q;
    EXPECT_EQ(j["items"][0]["item"], id) << q;
  }
  server.stop();
}

}  // namespace
}  // namespace mfrec
