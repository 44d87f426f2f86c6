// Ids and titles are any bytes, but every JSON mfrec writes is valid UTF-8: invalid bytes become
// U+FFFD (recommend --json, the server's answers, a query's %FF echoed back).
#include <gtest/gtest.h>
#include <httplib.h>

#include "common/json_io.h"
#include "mfrec/serve.h"
#include "serve/json_out.h"
#include "test_util.h"

namespace mfrec {
namespace {

using json = nlohmann::json;

// A model whose user and item ids hold bytes that are not UTF-8 ("u\xff7", "i\xfe3").
std::string latin1_model() {
  static const std::string path = [] {
    const std::string dir = test::scratch_dir("utf8");
    std::string text;
    for (int u = 0; u < 40; ++u)
      for (int i = 0; i < 30; ++i)
        if ((u * 7 + i * 3) % 4 != 0) text += fmt::format("u\xff{},i\xfe{},{}\n", u, i, 1 + (u + i) % 5);
    const std::string file = test::write_file(dir, "ratings.txt", text);
    const Dataset d = load_dataset({.path = file});
    const Split s = make_split(d.ratings, {.kind = SplitKind::random, .seed = 1});
    TrainOptions o;
    o.epochs = 2, o.threads = 1, o.dim = 8;
    save_model(fit(d, s, o).model, dir + "/model.mfrec");
    return dir + "/model.mfrec";
  }();
  return path;
}

// Parses strictly: nlohmann's parser refuses invalid UTF-8 in strings.
json valid_json(const std::string& text) {
  json j;
  EXPECT_NO_THROW(j = json::parse(text)) << text;
  return j;
}

TEST(Utf8Output, HandWrittenJsonReplacesEachInvalidSequence) {
  const std::string fffd = kReplacementChar;
  auto js = [](std::string_view s) { return serve::json_string(s); };
  EXPECT_EQ(js("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");  // valid: kept
  EXPECT_EQ(js("a\xff" "b"), "\"a" + fffd + "b\"");
  EXPECT_EQ(js("\xc0\x80"), "\"" + fffd + fffd + "\"");          // overlong NUL
  EXPECT_EQ(js("\xed\xa0\x80"), "\"" + fffd + fffd + fffd + "\"");  // a surrogate
  EXPECT_EQ(js("\xf4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // above U+10FFFF
  EXPECT_EQ(js("\xe2\x82"), "\"" + fffd + fffd + "\"");          // cut short
  EXPECT_EQ(js("\x80x"), "\"" + fffd + "x\"");                   // a stray continuation byte
  EXPECT_EQ(json::parse(js("a\xff\"\\\n")).get<std::string>(), "a" + fffd + "\"\\\n");
  EXPECT_EQ(json_text(json{{"id", "u\xff"}}), "{\"id\":\"u" + fffd + "\"}");
}

TEST(Utf8Output, RecommendJsonIsValid) {
  const auto r = test::run_cli("recommend --model " + latin1_model() + " --user 'u\xff" "3' -k 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = valid_json(r.out);
  EXPECT_EQ(j["user"], "u\xef\xbf\xbd" "3");
  ASSERT_EQ(j["items"].size(), 3u);
  EXPECT_EQ(j["items"][0]["item"].get<std::string>().rfind("i\xef\xbf\xbd", 0), 0u);
  const auto s = test::run_cli("similar --model " + latin1_model() + " --item 'i\xfe" "3' -k 2 --json");
  ASSERT_EQ(s.exit_code, 0) << s.out;
  valid_json(s.out);
}

TEST(Utf8Output, ServerAnswersAreValidUtf8) {
  ServeOptions o;
  o.model_path = latin1_model();
  o.port = 0;
  o.threads = 4;
  Server server(o);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(10);
  for (const auto& [path, status] : std::vector<std::pair<std::string, int>>{
           {"/v1/recommend?user=u%FF3&k=3", 200}, {"/v1/recommend?user=%FF", 404}, {"/v1/items?q=%ff", 200},
           {"/v1/similar?item=i%FE2&k=2", 200}, {"/v1/predict?user=%C0%80&item=i%FE2", 200}, {"/v1/%FF", 404}}) {
    auto res = c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, status) << path << " -> " << res->body;
    const json j = valid_json(res->body);
    if (path.find("items?q") != std::string::npos) EXPECT_EQ(j["q"], "\xef\xbf\xbd");
  }
  server.stop();
}

}  // namespace
}  // namespace mfrec
