#include "maestro/lifecycle/http_fetch.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "maestro/lifecycle/test_http_server.h"

namespace maestro::lifecycle {
namespace {

using testing::ScriptedResponse;
using testing::TestHttpServer;

TEST(UrlTest, Parse) {
  absl::StatusOr<Url> u = ParseUrl("https://example.com/a?b=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/a?b=1");
  EXPECT_EQ(u->HostHeader(), "example.com");
  u = ParseUrl("http://[::1]:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->HostHeader(), "[::1]:8080");
  EXPECT_FALSE(ParseUrl("ftp://x/").ok());
  EXPECT_FALSE(ParseUrl("nothing").ok());
}

TEST(HttpFetchTest, PostWithHeadersAndChunkedResponse) {
  TestHttpServer server;
  ScriptedResponse r{201, "hello chunked world", {{"X-Reply", "yes"}}};
  r.chunked = true;
  server.Script({r});
  HttpFetchRequest req;
  req.method = "post";
  req.url = server.url() + "/hook";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = "{\"a\":1}";
  absl::StatusOr<HttpFetchResponse> resp = HttpFetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body, "hello chunked world");
  EXPECT_EQ(resp->Header("x-reply"), "yes");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/hook");
  EXPECT_EQ(reqs[0].body, "{\"a\":1}");
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json");
  EXPECT_EQ(reqs[0].headers["host"], "127.0.0.1:" + std::to_string(server.port()));
}

TEST(HttpFetchTest, RedirectsAreFollowedWhenAllowed) {
  TestHttpServer server;
  server.Script({{302, "", {{"Location", "/next"}}}, {200, "there"}});
  HttpFetchRequest req;
  req.url = server.url() + "/start";
  req.max_redirects = 3;
  absl::StatusOr<HttpFetchResponse> resp = HttpFetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->url, server.url() + "/next");
}

TEST(HttpFetchTest, BodyIsTruncatedAtMaxBody) {
  TestHttpServer server;
  server.Script({{200, std::string(10000, 'z')}});
  HttpFetchRequest req;
  req.url = server.url();
  req.max_body = 100;
  absl::StatusOr<HttpFetchResponse> resp = HttpFetch(req);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body.size(), 100u);
  EXPECT_TRUE(resp->truncated);
}

TEST(HttpFetchTest, ResponsesAreReadByTheSharedBoundedParser) {
  TestHttpServer server;
  ScriptedResponse cut_short;  // the server closes before the promised 100 bytes
  cut_short.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this";
  ScriptedResponse garbage;
  garbage.raw = "SMTP ready\r\n\r\n";
  ScriptedResponse huge_head;
  huge_head.raw = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70 * 1024, 'x') + "\r\n\r\n";
  ScriptedResponse until_eof;
  until_eof.raw = "HTTP/1.0 200 OK\r\n\r\nall of it";
  server.Script({cut_short, garbage, huge_head, until_eof});
  HttpFetchRequest req;
  req.url = server.url();
  absl::StatusOr<HttpFetchResponse> resp = HttpFetch(req);
  EXPECT_TRUE(absl::IsUnavailable(resp.status())) << resp.status();
  resp = HttpFetch(req);
  EXPECT_TRUE(absl::IsInvalidArgument(resp.status())) << resp.status();
  resp = HttpFetch(req);
  EXPECT_TRUE(absl::IsInvalidArgument(resp.status())) << resp.status();
  resp = HttpFetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "all of it");
  EXPECT_FALSE(resp->truncated);
}

TEST(HttpFetchTest, DeadlineAndCancel) {
  TestHttpServer server;
  ScriptedResponse hang;
  hang.never_answer = true;
  server.Script({hang});
  HttpFetchRequest req;
  req.url = server.url();
  req.timeout = absl::Milliseconds(300);
  absl::StatusOr<HttpFetchResponse> resp = HttpFetch(req);
  EXPECT_TRUE(absl::IsDeadlineExceeded(resp.status())) << resp.status();
  EXPECT_TRUE(absl::StrContains(resp.status().message(), server.url())) << resp.status();
  std::atomic<bool> cancel{true};
  req.cancel = &cancel;
  req.timeout = absl::Seconds(30);
  resp = HttpFetch(req);
  EXPECT_TRUE(absl::IsCancelled(resp.status())) << resp.status();
  server.Stop();
}

}  // namespace
}  // namespace maestro::lifecycle
