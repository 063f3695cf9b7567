// Reading a whole input file (an environment file, an envfile, a template) without ever
// blocking or running away on what a user can name instead of a file: only regular files are
// read (a directory, FIFO, socket or device such as /dev/zero or /dev/urandom is refused with
// a message saying what it is), and at most `max_bytes` of them. A FIFO is opened with
// O_NONBLOCK, so naming one never waits for a writer.
//
// Thread-safety: pure functions of the file system; safe from any thread.
#ifndef MAESTRO_BASE_READ_FILE_H_
#define MAESTRO_BASE_READ_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace maestro::base {

// The limit every input file of maestro is read with (environment files, envfiles, templates).
inline constexpr size_t kMaxInputFileBytes = size_t{64} << 20;

// The content of `path`. Errors (messages start with `path`):
//   NotFound          "<path>: No such file or directory"
//   FailedPrecondition "<path>: not a regular file (a directory)" / "(a FIFO)" / "(a device)"...
//   ResourceExhausted "<path>: larger than the limit of 64 MiB"
//   Unavailable       other open/read errors, with strerror.
absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            size_t max_bytes = kMaxInputFileBytes);

// `text` without a leading UTF-8 byte-order mark (EF BB BF), which Windows editors write.
absl::string_view StripUtf8Bom(absl::string_view text);

}  // namespace maestro::base

#endif  // MAESTRO_BASE_READ_FILE_H_
