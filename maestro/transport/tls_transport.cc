#include "maestro/transport/tls_transport.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "maestro/base/status_macros.h"

namespace maestro::transport {
namespace {

std::string OpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    // Keep the reason only ("error:0A000086:SSL routines::certificate verify failed").
    const char* reason = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    out += reason != nullptr ? reason : buf;
  }
  return out;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

absl::StatusOr<int> ParseMinVersion(const std::string& in) {
  std::string v = absl::AsciiStrToLower(in);
  v = absl::StrReplaceAll(v, {{"protocol_", ""}, {"_", "."}, {"tlsv", "tls"}, {"tls", ""}});
  if (v.empty() || v == "1.2") return TLS1_2_VERSION;
  if (v == "1" || v == "1.0") return TLS1_VERSION;
  if (v == "1.1") return TLS1_1_VERSION;
  if (v == "1.3") return TLS1_3_VERSION;
  if (v == "" || v == "auto") return TLS1_2_VERSION;
  return absl::InvalidArgumentError(absl::StrCat("unknown ssl_version '", in, "'"));
}

class TlsConnection : public Connection {
 public:
  TlsConnection(SSL* ssl, std::unique_ptr<Connection> inner, std::string what)
      : ssl_(ssl), inner_(std::move(inner)), what_(std::move(what)) {
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio_, -1);
    SSL_set_bio(ssl_, rbio_, wbio_);  // ssl_ owns both
    SSL_set_connect_state(ssl_);
  }
  ~TlsConnection() override { SSL_free(ssl_); }

  absl::Status Handshake(absl::Time deadline) {
    for (;;) {
      ERR_clear_error();
      int r = SSL_do_handshake(ssl_);
      MAESTRO_RETURN_IF_ERROR(Flush(deadline));
      if (r == 1) return absl::OkStatus();
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ) {
        MAESTRO_ASSIGN_OR_RETURN(bool eof, Fill(deadline));
        if (eof) {
          return absl::UnavailableError(
              absl::StrCat("TLS handshake with ", what_, ": connection closed by the server"));
        }
        continue;
      }
      std::string why = OpenSslErrors();
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        absl::StrAppend(&why, " (", X509_verify_cert_error_string(verify), ")");
      }
      return absl::UnavailableError(absl::StrCat("TLS handshake with ", what_, " failed: ", why));
    }
  }

  absl::Status WriteAll(absl::string_view data, absl::Time deadline) override {
    while (!data.empty()) {
      ERR_clear_error();
      int n =
          SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)));
      MAESTRO_RETURN_IF_ERROR(Flush(deadline));
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ) {
        MAESTRO_ASSIGN_OR_RETURN(bool eof, Fill(deadline));
        if (eof) return absl::UnavailableError(absl::StrCat(what_, ": connection closed"));
        continue;
      }
      return absl::UnavailableError(absl::StrCat(what_, ": TLS write: ", OpenSslErrors()));
    }
    return absl::OkStatus();
  }

  // Every blocking wait is the inner stream's.
  void SetCancel(const std::atomic<bool>* cancel) override { inner_->SetCancel(cancel); }

  absl::StatusOr<size_t> ReadSome(char* buf, size_t len, absl::Time deadline) override {
    for (;;) {
      ERR_clear_error();
      int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(len, 1 << 30)));
      MAESTRO_RETURN_IF_ERROR(Flush(deadline));
      if (n > 0) return static_cast<size_t>(n);
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      if (err == SSL_ERROR_WANT_READ) {
        MAESTRO_ASSIGN_OR_RETURN(bool eof, Fill(deadline));
        if (eof) return 0;
        continue;
      }
      return absl::UnavailableError(absl::StrCat(what_, ": TLS read: ", OpenSslErrors()));
    }
  }

  bool PeerClosed() override { return SSL_pending(ssl_) > 0 || inner_->PeerClosed(); }
  // close_notify (one way: reading goes on). The stream below is not half-closed: Docker's TLS
  // server answers a bare end of stream with a decode_error alert.
  absl::Status CloseWrite(absl::Time deadline) override {
    ERR_clear_error();
    int r = SSL_shutdown(ssl_);
    MAESTRO_RETURN_IF_ERROR(Flush(deadline));
    if (r < 0)
      return absl::UnavailableError(absl::StrCat(what_, ": TLS shutdown: ", OpenSslErrors()));
    return absl::OkStatus();
  }
  void Close() override { inner_->Close(); }

 private:
  // Sends whatever OpenSSL queued for the network.
  absl::Status Flush(absl::Time deadline) {
    char buf[16384];
    while (BIO_ctrl_pending(wbio_) > 0) {
      int n = BIO_read(wbio_, buf, sizeof buf);
      if (n <= 0) break;
      MAESTRO_RETURN_IF_ERROR(inner_->WriteAll(absl::string_view(buf, n), deadline));
    }
    return absl::OkStatus();
  }
  // Reads network bytes into OpenSSL; true at end of stream.
  absl::StatusOr<bool> Fill(absl::Time deadline) {
    char buf[16384];
    MAESTRO_ASSIGN_OR_RETURN(size_t n, inner_->ReadSome(buf, sizeof buf, deadline));
    if (n == 0) return true;
    BIO_write(rbio_, buf, static_cast<int>(n));
    return false;
  }

  SSL* ssl_;
  BIO* rbio_;
  BIO* wbio_;
  std::unique_ptr<Connection> inner_;
  std::string what_;
};

class TlsTransport : public Transport {
 public:
  TlsTransport(std::string ship, SSL_CTX* ctx, TlsOptions options, std::string server_name,
               std::unique_ptr<Transport> inner, WarningSink warn)
      : ship_(std::move(ship)),
        ctx_(ctx),
        options_(std::move(options)),
        server_name_(std::move(server_name)),
        inner_(std::move(inner)),
        warn_(std::move(warn)) {}
  ~TlsTransport() override { SSL_CTX_free(ctx_); }

  absl::StatusOr<std::unique_ptr<Connection>> Connect(absl::Time deadline) override {
    if (!options_.verify && !warned_.exchange(true) && warn_) {
      warn_(absl::StrCat("warning: ship ", ship_, ": TLS server certificate of ", Describe(),
                         " is NOT verified (set tls_verify and tls_ca_cert)"));
    }
    MAESTRO_ASSIGN_OR_RETURN(std::unique_ptr<Connection> raw, inner_->Connect(deadline));
    SSL* ssl = SSL_new(ctx_);
    if (ssl == nullptr) return absl::InternalError("SSL_new: " + OpenSslErrors());
    if (!IsIpAddress(server_name_)) SSL_set_tlsext_host_name(ssl, server_name_.c_str());
    if (options_.verify) {
      if (IsIpAddress(server_name_)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name_.c_str());
      } else {
        SSL_set1_host(ssl, server_name_.c_str());
      }
    }
    auto conn = std::make_unique<TlsConnection>(ssl, std::move(raw), Describe());
    MAESTRO_RETURN_IF_ERROR(conn->Handshake(deadline));
    return std::unique_ptr<Connection>(std::move(conn));
  }

  std::string Describe() const override {
    std::string inner = inner_->Describe();
    if (inner.rfind("tcp://", 0) == 0) return "https://" + inner.substr(6);
    return inner + " (TLS)";
  }

 private:
  std::string ship_;
  SSL_CTX* ctx_;
  TlsOptions options_;
  std::string server_name_;
  std::unique_ptr<Transport> inner_;
  WarningSink warn_;
  std::atomic<bool> warned_{false};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> MakeTlsTransport(const std::string& ship,
                                                            const TlsOptions& options,
                                                            const std::string& server_name,
                                                            std::unique_ptr<Transport> inner,
                                                            WarningSink warn) {
  MAESTRO_ASSIGN_OR_RETURN(int min_version, ParseMinVersion(options.min_version));
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + OpenSslErrors());
  auto fail = [&](absl::string_view what, const std::string& file) {
    std::string why = OpenSslErrors();
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(
        absl::StrCat("ship ", ship, ": cannot load ", what, " '", file, "': ", why));
  };
  SSL_CTX_set_min_proto_version(ctx, min_version);
  if (options.verify) {
    if (options.ca_cert.empty()) {
      SSL_CTX_free(ctx);
      return absl::InvalidArgumentError(
          absl::StrCat("ship ", ship, ": tls_verify needs tls_ca_cert"));
    }
    if (SSL_CTX_load_verify_locations(ctx, options.ca_cert.c_str(), nullptr) != 1) {
      return fail("CA certificate", options.ca_cert);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!options.cert.empty() && SSL_CTX_use_certificate_chain_file(ctx, options.cert.c_str()) != 1) {
    return fail("client certificate", options.cert);
  }
  if (!options.key.empty()) {
    if (SSL_CTX_use_PrivateKey_file(ctx, options.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail("client key", options.key);
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
      return fail("client key (does not match cert)", options.key);
  }
  return std::unique_ptr<Transport>(std::make_unique<TlsTransport>(
      ship, ctx, options, server_name, std::move(inner), std::move(warn)));
}

}  // namespace maestro::transport
