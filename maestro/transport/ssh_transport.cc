#include "maestro/transport/ssh_transport.h"

#include <libssh2.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "maestro/base/status_macros.h"
#include "maestro/transport/socket_transport.h"

namespace maestro::transport {
namespace {

constexpr absl::Duration kWaitSlice = absl::Milliseconds(10);
constexpr absl::Duration kTeardownBudget = absl::Seconds(1);

std::once_flag libssh2_once;

std::string ExpandHome(const std::string& path) {
  if (path.rfind("~/", 0) == 0) {
    const char* home = getenv("HOME");
    if (home != nullptr) return std::string(home) + path.substr(1);
  }
  return path;
}

bool IsSessionFatal(int rc) {
  switch (rc) {
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT:
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_KEX_FAILURE:
    case LIBSSH2_ERROR_DECRYPT:
    case LIBSSH2_ERROR_PROTO:
    case LIBSSH2_ERROR_BAD_USE:
      return true;
    default:
      return false;
  }
}

struct KeyType {
  int knownhost_type;
  const char* algorithm;
  const char* label;
};

// In OpenSSH's order of preference. libssh2 1.10 only signs RSA host keys with ssh-rsa.
const KeyType kKeyTypes[] = {
    {LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519", "ED25519"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256", "ECDSA"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384", "ECDSA"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521", "ECDSA"},
    {LIBSSH2_KNOWNHOST_KEY_SSHRSA, "ssh-rsa", "RSA"},
};

const KeyType* FromHostkeyType(int type) {
  switch (type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
      return &kKeyTypes[4];
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
      return &kKeyTypes[1];
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
      return &kKeyTypes[2];
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
      return &kKeyTypes[3];
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
      return &kKeyTypes[0];
    default:
      return nullptr;
  }
}

// One libssh2 session and its socket. Shared (shared_ptr) by the transport and the
// channels opened on it, so a replaced session lives until its last channel is gone.
class SshSession {
 public:
  SshSession(const ConnectionSpec& spec) : spec_(spec) {}
  ~SshSession() {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_ != nullptr) {
      libssh2_session_set_timeout(session_, absl::ToInt64Milliseconds(kTeardownBudget));
      libssh2_session_set_blocking(session_, 1);
      if (!broken_) libssh2_session_disconnect(session_, "maestro done");
      libssh2_session_free(session_);
    }
    if (fd_ >= 0) close(fd_);
  }

  std::mutex& mu() { return mu_; }
  LIBSSH2_SESSION* session() { return session_; }
  bool broken() {
    std::lock_guard<std::mutex> lock(mu_);
    return broken_;
  }
  // Call with mu() held after a libssh2 error.
  void NoteError(int rc) {
    if (IsSessionFatal(rc)) broken_ = true;
  }
  std::string LastErrorLocked() {
    char* msg = nullptr;
    int len = 0;
    libssh2_session_last_error(session_, &msg, &len, 0);
    return msg != nullptr ? std::string(msg, len) : "unknown error";
  }

  // Waits (without the lock) for the socket in the direction libssh2 asked for, at most one
  // slice; DeadlineExceeded past the deadline.
  absl::Status Wait(absl::Time deadline) {
    int dirs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      dirs = libssh2_session_block_directions(session_);
      int next = 0;
      if (spec_.ssh.keepalive_seconds > 0) libssh2_keepalive_send(session_, &next);
    }
    absl::Time now = absl::Now();
    if (now >= deadline) return absl::DeadlineExceededError("timed out");
    absl::Duration slice = std::min(kWaitSlice, deadline - now);
    pollfd p{fd_, 0, 0};
    if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
    if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
    if (p.events == 0) p.events = POLLIN;
    poll(&p, 1, std::max<int>(1, absl::ToInt64Milliseconds(slice)));
    return absl::OkStatus();
  }

  absl::Status Establish(absl::Time deadline);

 private:
  absl::Status Fail(absl::Status s) {
    broken_ = true;
    return s;
  }
  std::string Where() const {
    return spec_.ssh.port == 22 ? spec_.ssh.host
                                : absl::StrCat("[", spec_.ssh.host, "]:", spec_.ssh.port);
  }

  ConnectionSpec spec_;
  std::mutex mu_;
  int fd_ = -1;
  LIBSSH2_SESSION* session_ = nullptr;
  bool broken_ = false;
};

absl::Status SshSession::Establish(absl::Time deadline) {
  const SshOptions& o = spec_.ssh;
  std::string ssh_url = absl::StrCat("ssh://", o.user, "@", Where());
  auto timeout_status = [&](absl::string_view step) {
    broken_ = true;
    return absl::DeadlineExceededError(absl::StrCat(ssh_url, ": timed out during ", step));
  };
  MAESTRO_ASSIGN_OR_RETURN(fd_, ConnectTcpSocket(o.host, o.port, deadline));
  std::lock_guard<std::mutex> lock(mu_);
  session_ = libssh2_session_init();
  if (session_ == nullptr) return Fail(absl::InternalError("libssh2_session_init failed"));
  libssh2_session_set_blocking(session_, 0);

  // known_hosts: read line by line so one unsupported entry does not hide the others.
  LIBSSH2_KNOWNHOSTS* kh = libssh2_knownhost_init(session_);
  std::vector<std::string> files = o.known_hosts;
  if (files.empty()) files.push_back("~/.ssh/known_hosts");
  std::vector<std::string> read_files;
  for (const std::string& f : files) {
    std::ifstream in(ExpandHome(f));
    if (!in) continue;
    read_files.push_back(f);
    std::string line;
    while (std::getline(in, line)) {
      absl::string_view l = absl::StripAsciiWhitespace(line);
      if (l.empty() || l[0] == '#' || l[0] == '@') continue;
      libssh2_knownhost_readline(kh, l.data(), l.size(), LIBSSH2_KNOWNHOST_FILE_OPENSSH);
    }
  }
  struct KhFree {
    LIBSSH2_KNOWNHOSTS* kh;
    ~KhFree() { libssh2_knownhost_free(kh); }
  } kh_free{kh};

  // Prefer the host key algorithms that known_hosts has for this host: a check with a dummy
  // key reports MISMATCH exactly when an entry of that type exists (hashed names included).
  std::vector<std::string> prefs;
  for (const KeyType& t : kKeyTypes) {
    int r = libssh2_knownhost_checkp(
        kh, o.host.c_str(), o.port, "x", 1,
        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | t.knownhost_type, nullptr);
    if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) prefs.push_back(t.algorithm);
  }
  if (!prefs.empty()) {
    libssh2_session_method_pref(session_, LIBSSH2_METHOD_HOSTKEY,
                                absl::StrJoin(prefs, ",").c_str());
  }

  for (;;) {
    int rc = libssh2_session_handshake(session_, fd_);
    if (rc == 0) break;
    if (rc != LIBSSH2_ERROR_EAGAIN) {
      return Fail(absl::UnavailableError(
          absl::StrCat(ssh_url, ": SSH handshake failed: ", LastErrorLocked())));
    }
    mu_.unlock();
    absl::Status s = Wait(deadline);
    mu_.lock();
    if (!s.ok()) return timeout_status("the SSH handshake");
  }

  size_t key_len = 0;
  int key_type = 0;
  const char* key = libssh2_session_hostkey(session_, &key_len, &key_type);
  const char* digest = libssh2_hostkey_hash(session_, LIBSSH2_HOSTKEY_HASH_SHA256);
  std::string fingerprint = digest != nullptr ? Sha256Fingerprint(std::string(digest, 32)) : "?";
  const KeyType* kt = FromHostkeyType(key_type);
  if (key == nullptr || kt == nullptr) {
    return Fail(absl::PermissionDeniedError(absl::StrCat(
        "ship ", spec_.ship, ": ", ssh_url, ": unsupported SSH host key type ", key_type)));
  }
  std::string files_text = read_files.empty() ? absl::StrCat("no readable known_hosts file among ",
                                                             absl::StrJoin(files, ", "))
                                              : absl::StrJoin(read_files, ", ");
  int check = libssh2_knownhost_checkp(
      kh, o.host.c_str(), o.port, key, key_len,
      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kt->knownhost_type, nullptr);
  if (check == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
    return Fail(absl::PermissionDeniedError(absl::StrCat(
        "ship ", spec_.ship, ": SSH host key for ", Where(),
        " has CHANGED (possible man-in-the-middle attack); refusing to connect. The server's ",
        kt->label, " key fingerprint is ", fingerprint, " (known_hosts: ", files_text, ")")));
  }
  if (check != LIBSSH2_KNOWNHOST_CHECK_MATCH) {
    return Fail(absl::PermissionDeniedError(absl::StrCat(
        "ship ", spec_.ship, ": SSH host key for ", Where(),
        " is unknown; refusing to connect. The server's ", kt->label, " key fingerprint is ",
        fingerprint, "; if it is right, add it to known_hosts (", files_text, ")")));
  }

  std::string key_path = ExpandHome(o.key);
  for (;;) {
    int rc = libssh2_userauth_publickey_fromfile_ex(session_, o.user.c_str(),
                                                    static_cast<unsigned>(o.user.size()), nullptr,
                                                    key_path.c_str(), "");
    if (rc == 0) break;
    if (rc != LIBSSH2_ERROR_EAGAIN) {
      return Fail(absl::PermissionDeniedError(absl::StrCat("ship ", spec_.ship, ": ", ssh_url,
                                                           ": SSH authentication with key ", o.key,
                                                           " failed: ", LastErrorLocked())));
    }
    mu_.unlock();
    absl::Status s = Wait(deadline);
    mu_.lock();
    if (!s.ok()) return timeout_status("SSH authentication");
  }
  if (o.keepalive_seconds > 0) libssh2_keepalive_config(session_, 1, o.keepalive_seconds);
  return absl::OkStatus();
}

class SshChannelConnection : public Connection {
 public:
  SshChannelConnection(std::shared_ptr<SshSession> session, LIBSSH2_CHANNEL* channel,
                       std::string what)
      : session_(std::move(session)), channel_(channel), what_(std::move(what)) {}
  ~SshChannelConnection() override { Close(); }

  absl::Status WriteAll(absl::string_view data, absl::Time deadline) override {
    while (!data.empty()) {
      ssize_t n;
      std::string err;
      {
        std::lock_guard<std::mutex> lock(session_->mu());
        if (channel_ == nullptr) return absl::UnavailableError(what_ + ": channel closed");
        n = libssh2_channel_write(channel_, data.data(), data.size());
        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
          session_->NoteError(static_cast<int>(n));
          err = session_->LastErrorLocked();
        }
      }
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n == LIBSSH2_ERROR_EAGAIN || n == 0) {
        if (Cancelled()) return absl::CancelledError(what_ + ": interrupted");
        if (!session_->Wait(deadline).ok()) {
          return absl::DeadlineExceededError(what_ + ": write timed out");
        }
        continue;
      }
      return absl::UnavailableError(absl::StrCat(what_, ": SSH channel write: ", err));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> ReadSome(char* buf, size_t len, absl::Time deadline) override {
    for (;;) {
      ssize_t n;
      bool eof = false;
      std::string err;
      {
        std::lock_guard<std::mutex> lock(session_->mu());
        if (channel_ == nullptr) return absl::UnavailableError(what_ + ": channel closed");
        n = libssh2_channel_read(channel_, buf, len);
        if (n <= 0) eof = libssh2_channel_eof(channel_) != 0;
        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
          session_->NoteError(static_cast<int>(n));
          err = session_->LastErrorLocked();
        }
      }
      if (n > 0) return static_cast<size_t>(n);
      if (eof) return 0;
      if (n == LIBSSH2_ERROR_EAGAIN || n == 0) {
        if (Cancelled()) return absl::CancelledError(what_ + ": interrupted");
        if (!session_->Wait(deadline).ok()) {
          return absl::DeadlineExceededError(what_ + ": read timed out");
        }
        continue;
      }
      return absl::UnavailableError(absl::StrCat(what_, ": SSH channel read: ", err));
    }
  }

  bool PeerClosed() override {
    std::lock_guard<std::mutex> lock(session_->mu());
    if (channel_ == nullptr) return true;
    unsigned long avail = 0;
    libssh2_channel_window_read_ex(channel_, &avail, nullptr);
    return avail > 0 || libssh2_channel_eof(channel_) != 0;
  }

  absl::Status CloseWrite(absl::Time deadline) override {
    for (;;) {
      int rc;
      std::string err;
      {
        std::lock_guard<std::mutex> lock(session_->mu());
        if (channel_ == nullptr) return absl::UnavailableError(what_ + ": channel closed");
        rc = libssh2_channel_send_eof(channel_);
        if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN) {
          session_->NoteError(rc);
          err = session_->LastErrorLocked();
        }
      }
      if (rc == 0) return absl::OkStatus();
      if (rc == LIBSSH2_ERROR_EAGAIN) {
        if (!session_->Wait(deadline).ok()) {
          return absl::DeadlineExceededError(what_ + ": sending EOF timed out");
        }
        continue;
      }
      return absl::UnavailableError(absl::StrCat(what_, ": SSH channel EOF: ", err));
    }
  }

  void Close() override {
    if (channel_ == nullptr) return;
    absl::Time deadline = absl::Now() + kTeardownBudget;
    for (;;) {
      int rc;
      {
        std::lock_guard<std::mutex> lock(session_->mu());
        rc = libssh2_channel_free(channel_);
        if (rc != LIBSSH2_ERROR_EAGAIN) {
          channel_ = nullptr;
          return;
        }
      }
      if (!session_->Wait(deadline).ok()) {
        // Give up waiting for the peer; the session frees the channel when it goes.
        std::lock_guard<std::mutex> lock(session_->mu());
        channel_ = nullptr;
        return;
      }
    }
  }

 private:
  std::shared_ptr<SshSession> session_;
  LIBSSH2_CHANNEL* channel_;
  std::string what_;
};

class SshTransport : public Transport {
 public:
  explicit SshTransport(ConnectionSpec spec) : spec_(std::move(spec)) {}

  std::string Describe() const override { return DescribeSpec(spec_); }

  absl::StatusOr<std::unique_ptr<Connection>> Connect(absl::Time deadline) override {
    // One retry with a fresh session when the current one turns out dead.
    for (int attempt = 0;; ++attempt) {
      MAESTRO_ASSIGN_OR_RETURN(std::shared_ptr<SshSession> session, GetSession(deadline));
      absl::StatusOr<std::unique_ptr<Connection>> conn = OpenChannel(session, deadline);
      if (conn.ok() || attempt > 0 || !session->broken()) return conn;
    }
  }

 private:
  absl::StatusOr<std::shared_ptr<SshSession>> GetSession(absl::Time deadline) {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_ != nullptr && !session_->broken()) return session_;
    session_.reset();
    auto s = std::make_shared<SshSession>(spec_);
    MAESTRO_RETURN_IF_ERROR(s->Establish(deadline));
    session_ = s;
    return s;
  }

  absl::StatusOr<std::unique_ptr<Connection>> OpenChannel(const std::shared_ptr<SshSession>& s,
                                                          absl::Time deadline) {
    const SshOptions& o = spec_.ssh;
    std::string payload;
    if (!o.remote_socket_path.empty()) {
      auto put32 = [&payload](uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
          payload.push_back(static_cast<char>((v >> shift) & 0xff));
      };
      put32(static_cast<uint32_t>(o.remote_socket_path.size()));
      payload += o.remote_socket_path;
      put32(0);  // reserved string ""
      put32(0);  // reserved uint32
    }
    std::string target = o.remote_socket_path.empty()
                             ? absl::StrCat(o.remote_host, ":", o.remote_port)
                             : absl::StrCat("unix://", o.remote_socket_path);
    for (;;) {
      LIBSSH2_CHANNEL* ch;
      int err = 0;
      std::string msg;
      {
        std::lock_guard<std::mutex> lock(s->mu());
        if (o.remote_socket_path.empty()) {
          ch = libssh2_channel_direct_tcpip_ex(s->session(), o.remote_host.c_str(), o.remote_port,
                                               "127.0.0.1", 0);
        } else {
          static const char kType[] = "direct-streamlocal@openssh.com";
          ch = libssh2_channel_open_ex(s->session(), kType, sizeof(kType) - 1,
                                       LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                       LIBSSH2_CHANNEL_PACKET_DEFAULT, payload.data(),
                                       static_cast<unsigned>(payload.size()));
        }
        if (ch == nullptr) {
          err = libssh2_session_last_errno(s->session());
          if (err != LIBSSH2_ERROR_EAGAIN) {
            s->NoteError(err);
            msg = s->LastErrorLocked();
          }
        }
      }
      if (ch != nullptr) {
        return std::unique_ptr<Connection>(
            std::make_unique<SshChannelConnection>(s, ch, Describe()));
      }
      if (err == LIBSSH2_ERROR_EAGAIN) {
        if (!s->Wait(deadline).ok()) {
          return absl::DeadlineExceededError(
              absl::StrCat(Describe(), ": timed out opening an SSH channel to ", target));
        }
        continue;
      }
      if (err == LIBSSH2_ERROR_CHANNEL_FAILURE) {
        return absl::UnavailableError(
            absl::StrCat(Describe(), ": the SSH server could not open a channel to ", target, " (",
                         msg, "; is the Docker daemon listening there?)"));
      }
      return absl::UnavailableError(
          absl::StrCat(Describe(), ": opening an SSH channel to ", target, ": ", msg));
    }
  }

  ConnectionSpec spec_;
  std::mutex mu_;
  std::shared_ptr<SshSession> session_;
};

}  // namespace

std::string Sha256Fingerprint(const std::string& raw_digest) {
  std::string b64 = absl::Base64Escape(raw_digest);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

absl::StatusOr<std::unique_ptr<Transport>> MakeSshTransport(const ConnectionSpec& spec) {
  MAESTRO_RETURN_IF_ERROR(ValidateSpec(spec));
  std::call_once(libssh2_once, [] { libssh2_init(0); });
  return std::unique_ptr<Transport>(std::make_unique<SshTransport>(spec));
}

}  // namespace maestro::transport
