#include "maestro/config/secret_values.h"

#include <openssl/evp.h>

#include <cstdio>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace maestro {
namespace config {
namespace {

constexpr char kSalt[] = "maestro-secret-fingerprint-v1";

absl::StatusOr<std::string> ReadValue(const model::Environment& env, const model::Secret& s,
                                      const SecretSources& sources) {
  switch (s.source) {
    case model::SecretSource::kFile: {
      if (sources.files == nullptr) return absl::InternalError("no file reader");
      const std::string path = JoinPath(env.base_dir, s.file);
      absl::StatusOr<std::string> read = sources.files->Read(path);
      if (absl::IsNotFound(read.status())) {
        return absl::NotFoundError(absl::StrCat("file ", path, " does not exist"));
      }
      if (!read.ok()) {
        return absl::Status(read.status().code(),
                            absl::StrCat("cannot read file ", path, ": ", read.status().message()));
      }
      return read;
    }
    case model::SecretSource::kEnvironment: {
      std::optional<std::string> value = sources.getenv ? sources.getenv(s.variable) : std::nullopt;
      if (!value) {
        return absl::NotFoundError(
            absl::StrCat("environment variable ", s.variable, " is not set"));
      }
      return *value;
    }
    case model::SecretSource::kCommand: {
      if (!sources.run) return absl::InternalError("no command runner");
      absl::StatusOr<std::string> out = sources.run(s.command);
      if (!out.ok()) {
        return absl::Status(out.status().code(),
                            absl::StrCat("command ", s.command[0], ": ", out.status().message()));
      }
      if (!out->empty() && out->back() == '\n') out->pop_back();
      if (!out->empty() && out->back() == '\r') out->pop_back();
      return out;
    }
  }
  return absl::InternalError("unknown secret source");
}

}  // namespace

std::string SecretFingerprint(absl::string_view environment, absl::string_view secret,
                              absl::string_view value) {
  const std::string salt = absl::StrCat(kSalt, "\n", environment.size(), ":", environment, "\n",
                                        secret.size(), ":", secret, "\n");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, salt.data(), salt.size());
  EVP_DigestUpdate(ctx, value.data(), value.size());
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof(byte), "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

absl::Status ResolveSecrets(model::Environment& env, const SecretSources& sources) {
  std::set<std::string> used;
  for (const model::Instance& c : env.instances) {
    for (const model::SecretMount& m : c.secrets) used.insert(m.name);
  }
  std::vector<std::string> errors;
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  for (model::Secret& s : env.secrets) {
    if (!used.count(s.name) || s.value) continue;
    absl::StatusOr<std::string> value = ReadValue(env, s, sources);
    if (value.ok() && value->size() > kMaxSecretBytes) {
      value = absl::InvalidArgumentError(
          absl::StrCat("the value has ", value->size(), " bytes (at most ", kMaxSecretBytes, ")"));
    }
    if (!value.ok()) {
      if (errors.empty() && absl::IsNotFound(value.status())) code = absl::StatusCode::kNotFound;
      errors.push_back(absl::StrCat(env.display_name, ":", s.line, ":", s.column, ": secrets.",
                                    s.name, ": cannot read secret '", s.name,
                                    "': ", value.status().message()));
      continue;
    }
    s.fingerprint = SecretFingerprint(env.name, s.name, *value);
    s.value = std::move(*value);
  }
  if (!errors.empty()) return absl::Status(code, absl::StrJoin(errors, "\n"));
  for (model::Instance& c : env.instances) {
    for (model::SecretMount& m : c.secrets) {
      if (const model::Secret* s = env.FindSecret(m.name)) m.fingerprint = s->fingerprint;
    }
  }
  return absl::OkStatus();
}

}  // namespace config
}  // namespace maestro
