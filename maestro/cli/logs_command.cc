#include "maestro/cli/logs_command.h"

#include <cstdio>

#include "absl/strings/str_split.h"
#include "maestro/cli/time_arg.h"
#include "maestro/plays/logs_merge.h"
#include "maestro/plays/logs_multi.h"

namespace maestro::cli {

bool WantsMergedLogs(const Options& options) {
  return !options.since.empty() || !options.until.empty() || !options.grep.empty() ||
         options.no_prefix || options.stdout_only || options.stderr_only ||
         options.format == OutputFormat::kJson;
}

int RunMergedLogs(const plays::PlayWorld& world, const Options& options,
                  const std::vector<std::string>& containers, bool color,
                  const std::atomic<bool>* cancel, const Streams& io) {
  auto usage = [&](const std::string& flag, const absl::Status& status) {
    std::fprintf(io.err, "maestro: error: %s%s\n", flag.c_str(),
                 std::string(status.message()).c_str());
    return kExitUsage;
  };
  plays::MultiLogsRequest request;
  request.containers = containers;
  request.tail = options.lines;
  request.follow = options.follow;
  request.stdout_ = !options.stderr_only;
  request.stderr_ = !options.stdout_only;
  request.grep = options.grep;
  const absl::Time now = world.clock->Now();
  if (!options.since.empty()) {
    absl::StatusOr<absl::Time> t = ParseTimeArgument("--since", options.since, now);
    if (!t.ok()) return usage("", t.status());
    request.since = *t;
  }
  if (!options.until.empty()) {
    absl::StatusOr<absl::Time> t = ParseTimeArgument("--until", options.until, now);
    if (!t.ok()) return usage("", t.status());
    request.until = *t;
  }
  if (absl::StatusOr<plays::LineFilter> f = plays::LineFilter::Compile(options.grep); !f.ok()) {
    return usage("", f.status());
  }

  std::vector<plays::LogSourceName> names;
  for (const std::string& c : containers) {
    const model::Instance* inst = world.env->FindInstance(c);
    names.push_back({c, inst != nullptr ? inst->ship : "?"});
  }
  const bool json = options.format == OutputFormat::kJson;
  plays::LogFormatter formatter(names,
                                {.format = json ? plays::LogFormat::kJson : plays::LogFormat::kText,
                                 .prefix = !options.no_prefix,
                                 .color = color,
                                 .timestamps = options.timestamps});
  plays::MultiLogsOutput output;
  output.line = [&](const plays::LogLine& line) {
    FILE* f = !json && line.stream == docker::StdStream::kStderr ? io.err : io.out;
    const std::string text = formatter.Format(line);
    // A failed write (a full disk, a closed pipe) ends the output; FinishOutput reports it.
    return std::fwrite(text.data(), 1, text.size(), f) == text.size() && !std::ferror(f);
  };
  output.notice = [&](const std::string& text) {
    std::fprintf(io.err, "%s\n", text.c_str());
    std::fflush(io.err);
  };
  output.idle = [&] {
    std::fflush(io.out);
    std::fflush(io.err);
  };
  absl::Status status = plays::RunMultiLogs(world, request, output, cancel);
  if (status.code() == absl::StatusCode::kCancelled) return FinishOutput(io, kExitInterrupted);
  if (!status.ok()) {
    for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
      std::fprintf(io.err, "maestro: error: %s\n", std::string(line).c_str());
    }
    return FinishOutput(io, kExitFailed);
  }
  return FinishOutput(io, kExitOk);
}

}  // namespace maestro::cli
