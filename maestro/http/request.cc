#include "maestro/http/request.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace maestro::http {
namespace {

bool HasHeader(const RequestHead& head, absl::string_view name) {
  for (const auto& [k, v] : head.headers) {
    if (absl::EqualsIgnoreCase(k, name)) return true;
  }
  return false;
}

}  // namespace

std::string SerializeRequest(const RequestHead& head, absl::string_view body) {
  std::string out =
      absl::StrCat(head.method, " ", head.target, " HTTP/1.1\r\nHost: ", head.host, "\r\n");
  if (!HasHeader(head, "user-agent")) out += "User-Agent: maestro\r\n";
  if (head.accept_any && !HasHeader(head, "accept")) out += "Accept: */*\r\n";
  for (const auto& [k, v] : head.headers) {
    if (absl::EqualsIgnoreCase(k, "host") || absl::EqualsIgnoreCase(k, "content-length") ||
        absl::EqualsIgnoreCase(k, "transfer-encoding") ||
        (head.close && absl::EqualsIgnoreCase(k, "connection"))) {
      continue;
    }
    absl::StrAppend(&out, k, ": ", v, "\r\n");
  }
  if (!body.empty() && !head.content_type.empty() && !HasHeader(head, "content-type")) {
    absl::StrAppend(&out, "Content-Type: ", head.content_type, "\r\n");
  }
  if (!body.empty() || head.method == "POST" || head.method == "PUT" || head.method == "PATCH") {
    absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
  }
  if (head.close) out += "Connection: close\r\n";
  out += "\r\n";
  out.append(body.data(), body.size());
  return out;
}

}  // namespace maestro::http
