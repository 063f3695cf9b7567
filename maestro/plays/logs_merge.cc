#include "maestro/plays/logs_merge.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace maestro::plays {

namespace {

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int Digits(absl::string_view s, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// The fixed form Docker writes: "2026-12-04T03:00:00.123456789Z" (30 characters).
bool ParseFixedTimestamp(absl::string_view s, absl::Time* t) {
  if (s.size() != 30 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[29] != 'Z') {
    return false;
  }
  for (size_t i : {0, 5, 8, 11, 14, 17, 20}) {
    size_t n = i == 0 ? 4 : i == 20 ? 9 : 2;
    if (!AllDigits(s.substr(i, n))) return false;
  }
  absl::CivilSecond cs(Digits(s, 0, 4), Digits(s, 5, 2), Digits(s, 8, 2), Digits(s, 11, 2),
                       Digits(s, 14, 2), Digits(s, 17, 2));
  *t = absl::FromCivil(cs, absl::UTCTimeZone()) + absl::Nanoseconds(Digits(s, 20, 9));
  return true;
}

}  // namespace

bool SplitTimestamp(absl::string_view line, absl::Time* time, absl::string_view* text) {
  size_t space = line.find(' ');
  if (space == absl::string_view::npos || space < 20 || space > 40) return false;
  absl::string_view stamp = line.substr(0, space);
  if (!ParseFixedTimestamp(stamp, time)) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, stamp, time, &err)) return false;
  }
  *text = line.substr(space + 1);
  return true;
}

std::string FormatLogTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone());
}

// ---- SeamDeduper ----

bool SeamDeduper::Accept(absl::Time time, docker::StdStream stream, absl::string_view text) {
  const uint64_t h = absl::HashOf(static_cast<int>(stream), text);
  if (resuming_) {
    if (time < last_time_) return false;
    if (time == last_time_) {
      auto it = repeats_.find(h);
      if (it != repeats_.end() && it->second > 0) {
        if (--it->second == 0) repeats_.erase(it);
        return false;
      }
    } else {
      resuming_ = false;
      repeats_.clear();
    }
  }
  if (time > last_time_) {
    last_time_ = time;
    at_last_.clear();
    remembered_ = 0;
  }
  if (time == last_time_ && remembered_ < kMaxSameTime) {
    ++at_last_[h];
    ++remembered_;
  }
  return true;
}

void SeamDeduper::Resume() {
  if (empty()) return;
  resuming_ = true;
  repeats_ = at_last_;
}

void SeamDeduper::Reset() {
  last_time_ = absl::InfinitePast();
  at_last_.clear();
  repeats_.clear();
  remembered_ = 0;
  resuming_ = false;
}

// ---- LineFilter ----

absl::StatusOr<LineFilter> LineFilter::Compile(const std::string& pattern) {
  LineFilter f;
  if (pattern.empty()) return f;
  try {
    f.regex_ = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grep: invalid regular expression \"", pattern, "\": ", e.what()));
  }
  return f;
}

bool LineFilter::Matches(absl::string_view text) const {
  if (regex_ == nullptr) return true;
  text = text.substr(0, kMaxSearch);
  try {
    return std::regex_search(text.begin(), text.end(), *regex_);
  } catch (const std::regex_error&) {
    return false;  // too complex for this line: not shown
  }
}

// ---- LogMerger ----

LogMerger::LogMerger(size_t sources, absl::Duration window, size_t max_bytes_per_source)
    : window_(window), max_bytes_(std::max<size_t>(max_bytes_per_source, 1)), sources_(sources) {}

bool LogMerger::Push(LogLine line, absl::Time arrival, const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> lock(mu_);
  Source& s = sources_.at(line.source);
  // A full queue blocks its reader (a line larger than the bound still goes into an empty one).
  while (!closed_ && s.bytes > 0 && s.bytes + line.text.size() > max_bytes_) {
    if (cancel != nullptr && cancel->load()) return false;
    room_.wait_for(lock, std::chrono::milliseconds(50));
  }
  if (closed_ || s.finished) return false;
  s.bytes += line.text.size();
  s.queue.push_back(Entry{std::move(line), arrival, seq_++});
  ++generation_;
  changed_.notify_one();
  return true;
}

void LogMerger::Finish(size_t source) {
  std::lock_guard<std::mutex> lock(mu_);
  sources_.at(source).finished = true;
  ++generation_;
  changed_.notify_one();
}

void LogMerger::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  ++generation_;
  room_.notify_all();
  changed_.notify_all();
}

LogMerger::Next LogMerger::Pop(absl::Time now, LogLine* out, absl::Time* wake_at) {
  std::lock_guard<std::mutex> lock(mu_);
  Source* best = nullptr;
  bool all_have_lines = true;
  bool all_finished = true;
  for (Source& s : sources_) {
    if (s.queue.empty()) {
      if (!s.finished) all_have_lines = false;
      if (!s.finished) all_finished = false;
      continue;
    }
    all_finished = false;
    const Entry& e = s.queue.front();
    if (best == nullptr) {
      best = &s;
      continue;
    }
    const Entry& b = best->queue.front();
    if (e.line.time < b.line.time || (e.line.time == b.line.time && e.seq < b.seq)) best = &s;
  }
  if (best == nullptr) {
    *wake_at = absl::InfiniteFuture();
    return all_finished ? Next::kDone : Next::kWait;
  }
  const Entry& e = best->queue.front();
  if (!all_have_lines && e.arrival + window_ > now) {
    *wake_at = e.arrival + window_;
    return Next::kWait;
  }
  best->bytes -= e.line.text.size();
  *out = std::move(best->queue.front().line);
  best->queue.pop_front();
  room_.notify_all();
  return Next::kLine;
}

void LogMerger::WaitForChange(absl::Duration max) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t seen = generation_;
  changed_.wait_for(lock, absl::ToChronoMilliseconds(max), [&] { return generation_ != seen; });
}

size_t LogMerger::queued_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t total = 0;
  for (const Source& s : sources_) total += s.bytes;
  return total;
}

// ---- LogFormatter ----

namespace {

// One colour per container, in this order (as docker compose does).
constexpr const char* kColors[] = {"\033[36m", "\033[33m", "\033[32m",
                                   "\033[35m", "\033[34m", "\033[31m"};

const char* StreamName(docker::StdStream s) {
  return s == docker::StdStream::kStderr ? "stderr" : "stdout";
}

}  // namespace

LogFormatter::LogFormatter(std::vector<LogSourceName> sources, LogFormatterOptions options)
    : sources_(std::move(sources)), options_(options) {
  size_t width = 0;
  for (const LogSourceName& s : sources_) {
    width = std::max(width, s.instance.size() + 1 + s.ship.size());
  }
  for (size_t i = 0; i < sources_.size(); ++i) {
    std::string name = absl::StrCat(sources_[i].instance, "@", sources_[i].ship);
    name.resize(width, ' ');
    if (options_.color) {
      name =
          absl::StrCat(kColors[i % (sizeof(kColors) / sizeof(kColors[0]))], name, " |", "\033[0m ");
    } else {
      absl::StrAppend(&name, " | ");
    }
    prefixes_.push_back(std::move(name));
  }
}

std::string LogFormatter::Format(const LogLine& line) const {
  if (options_.format == LogFormat::kJson) {
    const LogSourceName& src = sources_.at(line.source);
    nlohmann::ordered_json j;
    j["time"] = FormatLogTime(line.time);
    j["instance"] = src.instance;
    j["ship"] = src.ship;
    j["stream"] = StreamName(line.stream);
    j["line"] = line.text;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out;
  out.reserve(line.text.size() + 64);
  if (options_.prefix) out += prefixes_.at(line.source);
  if (options_.timestamps) absl::StrAppend(&out, FormatLogTime(line.time), " ");
  absl::StrAppend(&out, line.text, "\n");
  return out;
}

}  // namespace maestro::plays
