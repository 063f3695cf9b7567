#include "maestro/http/response_parser.h"

#include <string>

#include "gtest/gtest.h"

namespace maestro::http {
namespace {

std::string FeedAll(HttpResponseParser& p, const std::string& in, size_t step) {
  std::string pending;
  for (size_t pos = 0; pos < in.size() && !p.done(); pos += step) {
    pending += in.substr(pos, step);
    auto used = p.Feed(pending);
    EXPECT_TRUE(used.ok()) << used.status();
    if (!used.ok()) return "";
    pending.erase(0, *used);
  }
  return pending;
}

TEST(HttpResponseParserTest, ContentLengthBuffered) {
  HttpResponseParser p;
  std::string rest = FeedAll(
      p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nApi-Version: 1.41\r\n\r\nhelloEXTRA", 100);
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.response().body, "hello");
  EXPECT_EQ(p.response().Header("api-version"), "1.41");
  EXPECT_TRUE(p.keep_alive());
  EXPECT_EQ(rest, "EXTRA");
}

TEST(HttpResponseParserTest, ChunkedStreamedToSink) {
  for (size_t step = 1; step < 40; ++step) {
    std::string streamed;
    HttpResponseParser p([&](absl::string_view d) {
      streamed.append(d.data(), d.size());
      return true;
    });
    FeedAll(p,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
            "world\r\n0\r\n\r\n",
            step);
    ASSERT_TRUE(p.done()) << step;
    EXPECT_EQ(streamed, "hello world") << step;
    EXPECT_EQ(p.response().body, "");
  }
}

TEST(HttpResponseParserTest, ErrorBodiesAreBufferedEvenWithSink) {
  bool called = false;
  HttpResponseParser p([&](absl::string_view) { return called = true; });
  FeedAll(p, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno", 100);
  ASSERT_TRUE(p.done());
  EXPECT_FALSE(called);
  EXPECT_EQ(p.response().body, "no");
  EXPECT_EQ(p.response().status, 404);
}

TEST(HttpResponseParserTest, BodyUntilEof) {
  std::string streamed;
  HttpResponseParser p([&](absl::string_view d) {
    streamed.append(d.data(), d.size());
    return true;
  });
  FeedAll(p, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nraw bytes",
          4);
  EXPECT_FALSE(p.done());
  EXPECT_TRUE(p.FeedEof().ok());
  EXPECT_TRUE(p.done());
  EXPECT_FALSE(p.keep_alive());
  EXPECT_EQ(streamed, "raw bytes");
}

TEST(HttpResponseParserTest, Garbage) {
  HttpResponseParser p;
  EXPECT_FALSE(p.Feed("NOT HTTP AT ALL\r\n\r\n").ok());
  HttpResponseParser q;
  EXPECT_FALSE(q.FeedEof().ok());
}

TEST(HttpResponseParserTest, BufferedBodyStopsAtMaxBody) {
  HttpResponseParser::Limits limits;
  limits.max_body = 4;
  for (const char* head : {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
                           "HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\na\r\n",
                           "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"}) {
    HttpResponseParser p(nullptr, limits);
    auto used = p.Feed(std::string(head) + "0123456789");
    ASSERT_TRUE(used.ok()) << used.status();
    EXPECT_TRUE(p.stopped()) << head;
    EXPECT_EQ(p.response().body, "0123") << head;
    EXPECT_TRUE(p.response().truncated) << head;
  }
  HttpResponseParser exact(nullptr, limits);
  FeedAll(exact, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 3);
  EXPECT_TRUE(exact.done());
  EXPECT_FALSE(exact.stopped());
  EXPECT_FALSE(exact.response().truncated);
  EXPECT_EQ(exact.response().body, "abcd");
}

TEST(HttpResponseParserTest, ErrorBodyKeepsItsStartAndStops) {
  HttpResponseParser::Limits limits;
  limits.max_error_body = 8;
  HttpResponseParser p(nullptr, limits);
  auto used = p.Feed("HTTP/1.1 500 Oops\r\nContent-Length: 1000000\r\n\r\n0123456789abcdef");
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_TRUE(p.stopped());
  EXPECT_FALSE(p.too_large());
  EXPECT_EQ(p.response().status, 500);
  EXPECT_EQ(p.response().body, "01234567");
  EXPECT_TRUE(p.response().truncated);
}

TEST(HttpResponseParserTest, SuccessBodyPastTheLimitIsTooLarge) {
  HttpResponseParser::Limits limits;
  limits.max_body = 4;
  HttpResponseParser p(nullptr, limits);
  auto used =
      p.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n");
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_TRUE(p.stopped());
  EXPECT_TRUE(p.too_large());
  EXPECT_TRUE(p.response().truncated);
  EXPECT_EQ(p.response().body, "abcd");
  // Within the limit nothing changes.
  HttpResponseParser q(nullptr, limits);
  ASSERT_TRUE(q.Feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd").ok());
  EXPECT_TRUE(q.done());
  EXPECT_FALSE(q.stopped());
  EXPECT_FALSE(q.too_large());
  EXPECT_EQ(q.response().body, "abcd");
}

TEST(HttpResponseParserTest, ErrorBodyNeverKeepsMoreThanMaxBody) {
  HttpResponseParser::Limits limits;
  limits.max_body = 4;  // max_error_body keeps its larger default
  HttpResponseParser p(nullptr, limits);
  ASSERT_TRUE(p.Feed("HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n0123456789").ok());
  EXPECT_TRUE(p.stopped());
  EXPECT_FALSE(p.too_large());
  EXPECT_EQ(p.response().body, "0123");
  EXPECT_TRUE(p.response().truncated);
}

TEST(HttpResponseParserTest, MaxBodyDoesNotApplyToTheSink) {
  HttpResponseParser::Limits limits;
  limits.max_body = 1;
  std::string streamed;
  HttpResponseParser p(
      [&](absl::string_view d) {
        streamed.append(d.data(), d.size());
        return true;
      },
      limits);
  FeedAll(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 2);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(streamed, "hello");
}

TEST(HttpResponseParserTest, HeadIsBoundedByMaxHeader) {
  HttpResponseParser::Limits limits;
  limits.max_header = 100;
  HttpResponseParser p(nullptr, limits);
  auto used = p.Feed("HTTP/1.1 200 OK\r\nX-Big: " + std::string(200, 'x') + "\r\n\r\n");
  EXPECT_FALSE(used.ok());
  HttpResponseParser endless(nullptr, limits);
  std::string pending = "HTTP/1.1 200 OK\r\n";
  absl::Status failed;
  for (int i = 0; i < 100 && failed.ok(); ++i) {
    pending += "X-More: yes\r\n";
    auto used = endless.Feed(pending);
    if (!used.ok()) {
      failed = used.status();
    } else {
      pending.erase(0, *used);
    }
  }
  EXPECT_TRUE(absl::IsInvalidArgument(failed)) << failed;
}

TEST(HttpResponseParserTest, HeadRequestHasNoBody) {
  HttpResponseParser::Limits limits;
  limits.head_request = true;
  HttpResponseParser p(nullptr, limits);
  std::string rest = FeedAll(p, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nNEXT", 100);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.response().body, "");
  EXPECT_EQ(rest, "NEXT");
}

TEST(HttpResponseParserTest, NoBodyStatuses) {
  for (const char* in : {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n"}) {
    HttpResponseParser p;
    FeedAll(p, in, 100);
    EXPECT_TRUE(p.done()) << in;
  }
}

}  // namespace
}  // namespace maestro::http
