#include "maestro/http/request.h"

#include <string>

#include "gtest/gtest.h"

namespace maestro::http {
namespace {

TEST(SerializeRequest, DockerStyleRequestWithABody) {
  RequestHead head;
  head.method = "POST";
  head.target = "/v1.41/containers/create?name=zk-1";
  head.host = "docker";
  head.headers = {{"X-Registry-Auth", "abc"}};
  head.content_type = "application/json";
  EXPECT_EQ(SerializeRequest(head, "{}"),
            "POST /v1.41/containers/create?name=zk-1 HTTP/1.1\r\nHost: docker\r\n"
            "User-Agent: maestro\r\nX-Registry-Auth: abc\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\n\r\n{}");
}

TEST(SerializeRequest, EmptyPostStillSaysContentLengthZeroAndGetDoesNot) {
  RequestHead head;
  head.method = "POST";
  head.target = "/x";
  head.host = "h";
  head.content_type = "application/json";
  EXPECT_EQ(SerializeRequest(head, ""),
            "POST /x HTTP/1.1\r\nHost: h\r\nUser-Agent: maestro\r\nContent-Length: 0\r\n\r\n");
  head.method = "PATCH";
  EXPECT_NE(SerializeRequest(head, "").find("Content-Length: 0\r\n"), std::string::npos);
  head.method = "GET";
  EXPECT_EQ(SerializeRequest(head, ""),
            "GET /x HTTP/1.1\r\nHost: h\r\nUser-Agent: maestro\r\n\r\n");
}

TEST(SerializeRequest, FetchStyleKeepsCallerHeadersButNotTheFramingOnes) {
  RequestHead head;
  head.target = "/health";
  head.host = "127.0.0.1:8080";
  head.accept_any = true;
  head.close = true;
  head.headers = {{"host", "evil"},
                  {"Content-Length", "99"},
                  {"Connection", "keep-alive"},
                  {"Transfer-Encoding", "chunked"},
                  {"X-Token", "t"}};
  EXPECT_EQ(SerializeRequest(head, ""),
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: maestro\r\n"
            "Accept: */*\r\nX-Token: t\r\nConnection: close\r\n\r\n");
}

TEST(SerializeRequest, CallerUserAgentAcceptAndContentTypeWin) {
  RequestHead head;
  head.method = "PUT";
  head.target = "/";
  head.host = "h";
  head.accept_any = true;
  head.content_type = "application/json";
  head.headers = {{"user-agent", "probe/1"}, {"ACCEPT", "text/plain"}, {"Content-Type", "a/b"}};
  EXPECT_EQ(SerializeRequest(head, "x"),
            "PUT / HTTP/1.1\r\nHost: h\r\nuser-agent: probe/1\r\nACCEPT: text/plain\r\n"
            "Content-Type: a/b\r\nContent-Length: 1\r\n\r\nx");
}

}  // namespace
}  // namespace maestro::http
