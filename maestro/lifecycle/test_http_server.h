// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1:<ephemeral> for tests of the http
// lifecycle check and the webhook auditor. It serves one connection at a time on its own
// thread, answers from a script of responses (the last one repeats), records every request,
// and can be told to never answer (to test timeouts). The destructor stops and joins.
// Thread-safety: all public methods may be called from any thread.
#ifndef MAESTRO_LIFECYCLE_TEST_HTTP_SERVER_H_
#define MAESTRO_LIFECYCLE_TEST_HTTP_SERVER_H_

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace maestro::lifecycle::testing {

struct ScriptedResponse {
  int status = 200;
  std::string body = "OK";
  std::vector<std::pair<std::string, std::string>> headers;
  bool chunked = false;
  bool never_answer = false;  // read the request, then hold the connection until Stop
  std::string raw;  // when set, sent verbatim (then the connection closes) instead of the above
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class TestHttpServer {
 public:
  TestHttpServer();
  ~TestHttpServer();
  int port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:<port>
  void Script(std::vector<ScriptedResponse> responses);
  std::vector<RecordedRequest> requests();
  void Stop();

 private:
  void Serve();
  void Handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::deque<ScriptedResponse> script_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace maestro::lifecycle::testing

#endif  // MAESTRO_LIFECYCLE_TEST_HTTP_SERVER_H_
