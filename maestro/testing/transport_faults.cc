#include "maestro/testing/transport_faults.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace maestro::testing {
namespace {

constexpr size_t kPiece = 64 * 1024;
constexpr int64_t kMaxBytes = int64_t{4} << 30;
constexpr absl::Duration kMaxTime = absl::Minutes(10);

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

std::string Head(int status, bool chunked, size_t length) {
  // No Api-Version header: this is what a broken or foreign server sends, not dockerd.
  std::string head =
      absl::StrCat("HTTP/1.1 ", status, " Fault\r\nContent-Type: application/json\r\n");
  if (chunked) {
    head += "Transfer-Encoding: chunked\r\n\r\n";
  } else {
    absl::StrAppend(&head, "Content-Length: ", length, "\r\n\r\n");
  }
  return head;
}

}  // namespace

void TransportFaults::Add(TransportFault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(std::move(fault));
}

void TransportFaults::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

std::optional<TransportFault> TransportFaults::Match(absl::string_view method,
                                                     absl::string_view target) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->method.empty() && it->method != method) continue;
    if (!absl::StrContains(target, it->path_substring)) continue;
    TransportFault f = *it;
    if (it->count > 0 && --it->count == 0) faults_.erase(it);
    return f;
  }
  return std::nullopt;
}

void TransportFaults::Play(const TransportFault& fault, const Write& write, const Wait& wait) {
  const absl::Time give_up = absl::Now() + kMaxTime;
  auto send_body = [&](absl::string_view piece, bool chunked) {
    if (!write(chunked ? Chunk(piece) : std::string(piece))) return false;
    body_bytes_sent_.fetch_add(static_cast<int64_t>(piece.size()));
    return true;
  };
  switch (fault.kind) {
    case TransportFault::Kind::kDelay:
      return;
    case TransportFault::Kind::kEndlessBody: {
      if (!write(Head(fault.status, true, 0))) return;
      const std::string piece(kPiece, 'x');
      for (int64_t sent = 0; sent < kMaxBytes && absl::Now() < give_up; sent += kPiece) {
        if (!send_body(piece, true)) return;
      }
      return;
    }
    case TransportFault::Kind::kHugeBody: {
      const std::string open = "{\"message\":\"";
      const std::string close = "\"}";
      size_t total = std::max(fault.bytes, open.size() + close.size());
      if (!write(Head(fault.status, false, total))) return;
      if (!send_body(open, false)) return;
      size_t left = total - open.size() - close.size();
      const std::string piece(kPiece, 'x');
      while (left > 0 && absl::Now() < give_up) {
        size_t n = std::min(left, piece.size());
        if (!send_body(absl::string_view(piece).substr(0, n), false)) return;
        left -= n;
      }
      send_body(close, false);
      return;
    }
    case TransportFault::Kind::kStall: {
      if (!write(Head(fault.status, true, 0))) return;
      if (!fault.prefix.empty() && !send_body(fault.prefix, true)) return;
      while (absl::Now() < give_up && wait(absl::Milliseconds(100))) {
      }
      return;
    }
  }
}

}  // namespace maestro::testing
