#include "maestro/ui/table_sink.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace maestro::ui {
namespace {

constexpr char kBold[] = "\033[1m";
constexpr char kReset[] = "\033[0m";

// Removes "\033[...m" sequences, like MaestroNG's non-TTY regex.
std::string StripColors(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033' && i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && (isdigit(static_cast<unsigned char>(text[j])) || text[j] == ';'))
        ++j;
      if (j < text.size() && text[j] == 'm') {
        i = j;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

TerminalInfo DetectTerminal(int fd, const bool* color_override) {
  TerminalInfo info;
  info.is_tty = isatty(fd) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  bool no_color_set = no_color != nullptr && no_color[0] != '\0';
  info.color = (info.is_tty || std::getenv("ANSICON") != nullptr) && !no_color_set;
  if (color_override != nullptr) info.color = *color_override;
  int columns = 0;
  const char* env_columns = std::getenv("COLUMNS");
  if (env_columns != nullptr && absl::SimpleAtoi(env_columns, &columns) && columns > 0) {
    info.columns = columns;
  } else if (info.is_tty) {
    struct winsize ws {};
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) info.columns = ws.ws_col;
  }
  if (info.is_tty) {
    struct winsize ws {};
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0) info.lines = ws.ws_row;
  }
  return info;
}

std::string Colorize(const std::string& text, Color color) {
  switch (color) {
    case Color::kGreen:
      return absl::StrCat("\033[32;1m", text, "\033[;0m");
    case Color::kRed:
      return absl::StrCat("\033[31;1m", text, "\033[;0m");
    case Color::kCyan:
      return absl::StrCat("\033[36;m", text, "\033[;0m");
    case Color::kNone:
      break;
  }
  return text;
}

std::string PadTruncate(const std::string& text, size_t width) {
  std::string out = text.substr(0, width);
  out.resize(width, ' ');
  return out;
}

std::string Pad(const std::string& text, size_t width) {
  if (text.size() >= width) return text;
  return text + std::string(width - text.size(), ' ');
}

std::string ContainerCell(const std::string& text) { return Pad(text, 25) + " "; }
std::string StatusCell(const std::string& text) { return Pad(text, 10); }

std::string TimeAgo(absl::Time then, absl::Time now) {
  if (then == absl::InfinitePast() || then == absl::InfiniteFuture()) return "";
  absl::Duration delta = now - then;
  if (delta < absl::ZeroDuration()) return "";
  int64_t s = absl::ToInt64Seconds(delta);
  if (s < 60) return absl::StrCat(" for ", s, "s");
  if (s < 3600) return absl::StrCat(" for ", s / 60, "m", s % 60, "s");
  if (s < 86400) return absl::StrCat(" for ", s / 3600, "h", (s % 3600) / 60, "m");
  return absl::StrCat(" for ", s / 86400, "d", (s % 86400) / 3600, "h", (s % 3600) / 60, "m");
}

std::string OneLine(const std::string& message, size_t max) {
  std::string line = message.substr(0, message.find_first_of("\r\n"));
  const bool cut = line.size() < message.size() &&
                   message.find_first_not_of(" \t\r\n", line.size()) != std::string::npos;
  if (line.size() > max) {
    line = line.substr(0, max > 3 ? max - 3 : 0) + "...";
  } else if (cut) {
    line += " ...";
  }
  return line;
}

Color ToneColor(Tone tone) {
  switch (tone) {
    case Tone::kGood:
      return Color::kGreen;
    case Tone::kBad:
      return Color::kRed;
    case Tone::kInfo:
      return Color::kCyan;
    case Tone::kNeutral:
      break;
  }
  return Color::kNone;
}

std::string RenderFullStatus(const FullStatus& s, bool color) {
  auto paint = [color](const std::string& text, Color c) {
    return color ? Colorize(text, c) : text;
  };
  std::string out = absl::StrFormat("%3d. %s %s %s ", s.row.number, PadTruncate(s.row.instance, 20),
                                    PadTruncate(s.row.service, 20), PadTruncate(s.row.ship, 20));
  if (!s.reachable) {
    absl::StrAppend(&out, ContainerCell("-"), " ", paint(StatusCell("host down"), Color::kRed),
                    "\n");
    if (!s.problem.empty()) absl::StrAppend(&out, "      ", OneLine(s.problem), "\n");
    return out;
  }
  if (s.running) {
    absl::StrAppend(&out, paint(ContainerCell(s.container), Color::kGreen), " ",
                    paint(absl::StrCat("running", s.since), Color::kGreen));
  } else {
    absl::StrAppend(&out, paint(absl::StrCat("down", s.exists ? s.since : ""), Color::kRed));
  }
  absl::StrAppend(&out, "\n      ", s.image);
  if (s.exists) {
    absl::string_view id = s.image_id;
    if (id.substr(0, 7) == "sha256:") id.remove_prefix(7);
    absl::StrAppend(&out, "  (", id.substr(0, 7), ")");
  }
  absl::StrAppend(&out, "\n");
  for (const FullStatus::PortState& port : s.ports) {
    absl::StrAppend(&out, "     >> ",
                    absl::StrFormat("%15.15s: %9.9s is", port.name, port.external), " ",
                    port.up ? paint("up", Color::kGreen) : paint("down", Color::kRed), "\n");
  }
  return out;
}

TableSink::TableSink(FILE* out, TerminalInfo terminal) : out_(out), terminal_(terminal) {
  int cols = terminal_.columns;
  instance_width_ = static_cast<size_t>(std::min(40, std::max(20, (cols - 60) / 3)));
  ship_width_ =
      static_cast<size_t>(std::min(40, std::max(0, cols - static_cast<int>(instance_width_) - 80)));
}

std::string TableSink::Header() const {
  return absl::StrCat("  #  ", PadTruncate("INSTANCE", instance_width_), " ",
                      PadTruncate("SERVICE", 20), " ", PadTruncate("SHIP", ship_width_), " ",
                      Pad("CONTAINER", 25), " ", " ", Pad("STATUS", 10));
}

void TableSink::Begin(const std::vector<Row>& rows) {
  std::lock_guard<std::mutex> lock(mu_);
  begun_ = true;
  const char* no_color = std::getenv("NO_COLOR");
  const bool no_color_env = no_color != nullptr && no_color[0] != '\0';
  in_place_ = terminal_.is_tty && !no_color_env &&
              (terminal_.lines == 0 || rows.size() + 2 < static_cast<size_t>(terminal_.lines));
  rows_.clear();
  rows_.reserve(rows.size());
  for (const Row& row : rows) {
    std::string instance = PadTruncate(row.instance, instance_width_);
    if (terminal_.color) instance = absl::StrCat(kBold, instance, kReset);
    RowText text;
    text.number = row.number;
    text.instance = row.instance;
    text.prefix = absl::StrFormat("%3d. %s %s %s", row.number, instance,
                                  PadTruncate(row.service, 20), PadTruncate(row.ship, ship_width_));
    rows_.push_back(std::move(text));
  }
  std::string header = Header();
  std::fprintf(out_, "%s\n", header.c_str());
  if (in_place_ && !rows_.empty()) {
    for (size_t i = 0; i < rows_.size(); ++i) std::fputc('\n', out_);
    std::fprintf(out_, "\033[%zuA", rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) Emit(i);
  }
  std::fflush(out_);
}

std::string TableSink::Render(const RowText& row) const {
  std::string text = row.prefix + row.committed;
  if (!row.pending.empty()) absl::StrAppend(&text, " ", row.pending);
  if (!terminal_.color) text = StripColors(text);
  return text;
}

void TableSink::Emit(size_t row) {
  std::string text = Render(rows_[row]);
  if (in_place_) {
    if (row > 0) std::fprintf(out_, "\033[%zuB", row);
    std::fprintf(out_, "\r%s\033[K\r", text.c_str());
    if (row > 0) std::fprintf(out_, "\033[%zuA", row);
  } else {
    std::fprintf(out_, "%s\n", text.c_str());
  }
  std::fflush(out_);
}

void TableSink::Pending(size_t row, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row >= rows_.size()) return;
  rows_[row].pending = message;
  Emit(row);
}

void TableSink::CommitLocked(size_t row, const std::string& piece, Color color) {
  absl::StrAppend(&rows_[row].committed, " ", Colorize(piece, color));
  rows_[row].pending.clear();
  Emit(row);
}

void TableSink::Container(size_t row, const std::string& container, Tone tone) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row >= rows_.size()) return;
  CommitLocked(row, ContainerCell(container), ToneColor(tone));
}

void TableSink::State(size_t row, const std::string& state, Tone tone) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row >= rows_.size()) return;
  CommitLocked(row, StatusCell(state), ToneColor(tone));
}

void TableSink::Note(size_t row, const std::string& note, Tone tone) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row >= rows_.size()) return;
  CommitLocked(row, note, ToneColor(tone));
}

void TableSink::Problem(size_t row, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row >= rows_.size()) return;
  rows_[row].problem = OneLine(message);
}

void TableSink::End() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!begun_) return;
  if (in_place_ && !rows_.empty()) std::fprintf(out_, "\033[%zuB", rows_.size());
  for (const RowText& row : rows_) {
    if (row.problem.empty()) continue;
    std::fprintf(out_, "%3d. %s: %s\n", row.number, row.instance.c_str(),
                 StripColors(row.problem).c_str());
  }
  std::fflush(out_);
  begun_ = false;
}

}  // namespace maestro::ui
