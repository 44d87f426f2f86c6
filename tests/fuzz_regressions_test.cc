// The fuzz harnesses' entry code (fuzz/*.cc) under the normal build, on inputs kept here: the seed
// shapes and edge cases of each harness, and any input a fuzzer run found a crash with (see
// TESTING.md).
// Each must end in the error the harness expects (DataError, UsageError, a CLI11 error; for HTTP, an
// answer that is not a 500), never a crash.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace mfrec::fuzz {
void ratings_one(const uint8_t* data, size_t size);
void dataset_one(const uint8_t* data, size_t size);
void binary_data_one(const uint8_t* data, size_t size);
void checkpoint_one(const uint8_t* data, size_t size);
void config_one(const uint8_t* data, size_t size);
void http_one(const uint8_t* data, size_t size);
}  // namespace mfrec::fuzz

namespace {

using Entry = void (*)(const uint8_t*, size_t);
void run(Entry entry, std::string_view input) { entry(reinterpret_cast<const uint8_t*>(input.data()), input.size()); }

TEST(FuzzRegressions, RatingsEdgeCases) {
  using namespace std::literals;
  for (std::string_view in : {""sv, "\n"sv, "::"sv, "\xef\xbb\xbf"sv, "1::2::3::4"sv, "1::2::nan::4\n"sv,
                              "1\t2\t1e39\t0\n"sv, "userId,movieId,rating,timestamp\n"sv, "a,b\r\n,\n"sv,
                              "1,2,3,99999999999999999999\n"sv, "1\0::2::3::4\n"sv})
    run(mfrec::fuzz::ratings_one, in);
}

// Each form (the first byte) with nothing, a line, and bytes that are not its kind.
TEST(FuzzRegressions, DatasetEdgeCases) {
  using namespace std::literals;
  for (char form = 0; form < 5; ++form)
    for (std::string_view rest : {""sv, "1::2::3::4\n"sv, "\x1f\x8b\x08\0\0\0"sv, "PK\x03\x04\0\0"sv, "\x80\n"sv}) {
      const std::string in = std::string(1, form) + "\x80" + std::string(rest);
      run(mfrec::fuzz::dataset_one, in);
    }
}

// Calls fn on the bytes of each file of fuzz/corpus/<name>/; returns how many there were.
template <typename Fn>
size_t for_each_input(const std::string& name, Fn fn) {
  size_t n = 0;
  for (const auto& f : std::filesystem::directory_iterator(std::string(MFREC_SOURCE_DIR) + "/fuzz/corpus/" + name)) {
    std::ifstream in(f.path(), std::ios::binary);
    fn(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    ++n;
  }
  return n;
}

// Every seed and finding kept in fuzz/corpus/<name>/: for the dataset harness a zip whose member's
// name libarchive cannot decode (a null name once became an uncaught std::logic_error), for the
// checkpoint harness a model with an empty table (a copy from a null pointer, undefined behaviour
// that UndefinedBehaviorSanitizer reports when scripts/sanitize.sh runs this test).
size_t replay_corpus(const std::string& name, Entry entry) {
  return for_each_input(name, [&](const std::string& bytes) { run(entry, bytes); });
}

TEST(FuzzRegressions, DatasetCorpus) { EXPECT_GE(replay_corpus("dataset", mfrec::fuzz::dataset_one), 6u); }
TEST(FuzzRegressions, CheckpointCorpus) { EXPECT_GE(replay_corpus("checkpoint", mfrec::fuzz::checkpoint_one), 4u); }
TEST(FuzzRegressions, RatingsCorpus) { EXPECT_GE(replay_corpus("ratings", mfrec::fuzz::ratings_one), 1u); }
TEST(FuzzRegressions, ConfigCorpus) { EXPECT_GE(replay_corpus("config", mfrec::fuzz::config_one), 1u); }

// Every seed and finding kept in fuzz/corpus/binary_data/ (the seeds load), and cuts of them.
TEST(FuzzRegressions, BinaryDataCorpus) {
  const size_t n = for_each_input("binary_data", [](const std::string& bytes) {
    run(mfrec::fuzz::binary_data_one, bytes);
    for (size_t cut : {size_t(0), size_t(8), size_t(319), size_t(320), bytes.size() / 2, bytes.size() - 1})
      if (cut < bytes.size()) run(mfrec::fuzz::binary_data_one, bytes.substr(0, cut));
  });
  EXPECT_GE(n, 3u);
}

TEST(FuzzRegressions, CheckpointEdgeCases) {
  using namespace std::literals;
  for (std::string_view in : {""sv, "MFREC"sv, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"sv})
    run(mfrec::fuzz::checkpoint_one, in);
}

TEST(FuzzRegressions, ConfigEdgeCases) {
  using namespace std::literals;
  for (std::string_view in : {""sv, "{}"sv, "[]"sv, "{\"dim\": 1e400}"sv, "{\"dim\": -1, \"quiet\": false}"sv,
                              "{\"epochs\": -5}"sv, "{\"output\": \"--dim\"}"sv, "{\"\": 1}"sv, "{\"dim\":"sv,
                              "\xff\xfe{}"sv, "{\"k\": 3}"sv, "{\"help\": true}"sv})
    run(mfrec::fuzz::config_one, in);
}

TEST(FuzzRegressions, HttpEdgeCases) {
  using namespace std::literals;
  for (std::string_view in :
       {""sv, "\r\n"sv, "GET"sv, "GET / HTTP/1.1\r\n"sv, "GET /v1/recommend?user=1 HTTP/1.1\r\n\r\n"sv,
        "GET /v1/recommend?user=%ZZ HTTP/1.1\r\n\r\n"sv, "GET /v1/similar?item=1&user=1 HTTP/1.1\r\n\r\n"sv,
        "GET /v1/similar?item=1&min_count=99999999999999999999 HTTP/1.1\r\n\r\n"sv,
        "GET /v1/items?q=%00%ff&limit=-1 HTTP/1.1\r\n\r\n"sv, "GET /?a&&=&b== HTTP/1.1\r\n\r\n"sv,
        "GET / HTTP/1.1\r\nRange: bytes=0-1,2-3,-1,99999999999999999999-\r\n\r\n"sv,
        "POST /v1/foldin HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]"sv,
        "POST /v1/foldin HTTP/1.1\r\nContent-Length: 44\r\n\r\n{\"ratings\":[{\"item\":1,\"rating\":1e39}],\"k\":1}"sv,
        "POST /v1/foldin HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"sv,
        "POST /v1/foldin HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"rat"sv,
        "HEAD /v1/items HTTP/1.0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n"sv})
    run(mfrec::fuzz::http_one, in);
}

}  // namespace
