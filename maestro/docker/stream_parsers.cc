#include "maestro/docker/stream_parsers.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace maestro::docker {

absl::Status MultiplexedStreamParser::Feed(absl::string_view data) {
  while (!data.empty() && !stopped_) {
    if (remaining_ == 0) {
      size_t take = std::min(data.size(), sizeof(header_) - header_len_);
      std::copy(data.begin(), data.begin() + take, header_ + header_len_);
      header_len_ += take;
      data.remove_prefix(take);
      if (header_len_ < sizeof(header_)) return absl::OkStatus();
      header_len_ = 0;
      unsigned char id = static_cast<unsigned char>(header_[0]);
      if (id > 3 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "corrupt multiplexed stream: bad frame header (stream id ", static_cast<int>(id), ")"));
      }
      stream_ = static_cast<StdStream>(id);
      remaining_ = (static_cast<uint32_t>(static_cast<unsigned char>(header_[4])) << 24) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(header_[5])) << 16) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(header_[6])) << 8) |
                   static_cast<uint32_t>(static_cast<unsigned char>(header_[7]));
      continue;
    }
    size_t take = std::min<size_t>(data.size(), remaining_);
    remaining_ -= static_cast<uint32_t>(take);
    if (!callback_(stream_, data.substr(0, take))) stopped_ = true;
    data.remove_prefix(take);
  }
  return absl::OkStatus();
}

absl::Status MultiplexedStreamParser::Finish() const {
  if (stopped_) return absl::OkStatus();
  if (header_len_ != 0 || remaining_ != 0) {
    return absl::InvalidArgumentError(absl::StrCat("multiplexed stream ended inside a frame (",
                                                   header_len_ ? "header" : "payload", ")"));
  }
  return absl::OkStatus();
}

bool LineSplitter::Emit(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() && !(flags_ & kKeepEmpty)) return true;
  if (!callback_(line)) stopped_ = true;
  return !stopped_;
}

bool LineSplitter::Feed(absl::string_view data) {
  while (!data.empty() && !stopped_) {
    size_t nl = data.find('\n');
    size_t line_size = partial_.size() + (nl == absl::string_view::npos ? data.size() : nl);
    if (line_size > max_line_ && (flags_ & kSplitLong)) {
      // Deliver the first max_line_ bytes as a line of their own and go on with the rest.
      size_t take = max_line_ - partial_.size();
      partial_.append(data.data(), take);
      data.remove_prefix(take);
      std::string line = std::move(partial_);
      partial_.clear();
      if (!callback_(line)) stopped_ = true;
      continue;
    }
    if (line_size > max_line_) {
      too_long_ = true;
      stopped_ = true;
      partial_.clear();
      break;
    }
    if (nl == absl::string_view::npos) {
      partial_.append(data.data(), data.size());
      break;
    }
    if (partial_.empty()) {
      Emit(data.substr(0, nl));
    } else {
      partial_.append(data.data(), nl);
      std::string line = std::move(partial_);
      partial_.clear();
      Emit(line);
    }
    data.remove_prefix(nl + 1);
  }
  return !stopped_;
}

bool LineSplitter::Finish() {
  if (stopped_ || partial_.empty()) return !stopped_;
  std::string line = std::move(partial_);
  partial_.clear();
  return Emit(line);
}

}  // namespace maestro::docker
