#include "maestro/docker/registry_auth.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "maestro/base/status_macros.h"

namespace maestro::docker {
namespace {

using nlohmann::json;

std::string Base64Url(absl::string_view in) {
  std::string out;
  // Padded: dockerd decodes X-Registry-Auth with Go's base64.URLEncoding, which needs '='.
  absl::WebSafeBase64Escape(in, &out);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

std::string NetlocOrKey(absl::string_view key) {
  std::string n = UrlNetloc(key);
  if (!n.empty()) return n;
  return std::string(key.substr(0, key.find('/')));
}

std::string Describe(const Registry& r) {
  return r.url.empty() ? absl::StrCat("registry '", r.name, "'")
                       : absl::StrCat("registry '", r.name, "' (", r.url, ")");
}

bool CodeListed(const absl::Status& s, const std::set<int>& when) {
  absl::optional<int> code = HttpStatusOf(s);
  if (code) return when.count(*code) > 0;
  // Pull errors arrive in the stream without an HTTP status: look for a listed code.
  for (absl::string_view word : absl::StrSplit(s.message(), absl::ByAnyChar(" :,;()[]\"'"))) {
    int n;
    if (word.size() == 3 && absl::SimpleAtoi(word, &n) && when.count(n) > 0) return true;
  }
  return false;
}

}  // namespace

std::string UrlNetloc(absl::string_view url) {
  size_t start;
  size_t scheme_end = url.find("://");
  if (absl::StartsWith(url, "//")) {
    start = 2;
  } else if (scheme_end != absl::string_view::npos && scheme_end > 0 &&
             absl::ascii_isalpha(url[0])) {
    for (size_t i = 0; i < scheme_end; ++i) {
      char c = url[i];
      if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') return "";
    }
    start = scheme_end + 3;
  } else {
    return "";
  }
  size_t end = url.find_first_of("/?#", start);
  return std::string(url.substr(start, end == absl::string_view::npos ? url.npos : end - start));
}

absl::StatusOr<const Registry*> FindRegistryForImage(absl::string_view image,
                                                     const std::vector<Registry>& registries) {
  size_t slash = image.find('/');
  if (slash == absl::string_view::npos || slash == 0) return nullptr;
  absl::string_view part = image.substr(0, slash);
  for (const Registry& r : registries) {
    if (r.name == part) return &r;
  }
  for (const Registry& r : registries) {
    if (r.url.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry '", r.name, "' has no 'registry' URL"));
    }
    std::string fqdn = UrlNetloc(r.url);
    std::string host = fqdn.substr(0, fqdn.find(':'));
    if (part == fqdn || part == host) return &r;
  }
  return nullptr;
}

absl::StatusOr<ImageAuth> ResolveImageAuth(absl::string_view image,
                                           const std::vector<Registry>& registries,
                                           const json* docker_config,
                                           const CredentialHelperRunner& run_helper) {
  ImageAuth out;
  MAESTRO_ASSIGN_OR_RETURN(const Registry* listed, FindRegistryForImage(image, registries));
  if (listed != nullptr) {
    out.registry = *listed;
    MAESTRO_ASSIGN_OR_RETURN(out.auth, ResolveAuth(*listed, docker_config, run_helper));
    return out;
  }
  const std::string host = ImageRegistryHost(image);
  if (host.empty() || docker_config == nullptr) return out;
  Registry unlisted;
  unlisted.name = host;
  unlisted.url = host;
  unlisted.retry.when.clear();
  MAESTRO_ASSIGN_OR_RETURN(out.auth, ResolveAuth(unlisted, docker_config, run_helper));
  if (out.auth) out.registry = std::move(unlisted);
  return out;
}

std::string ImageRegistryHost(absl::string_view image) {
  const size_t slash = image.find('/');
  if (slash == absl::string_view::npos || slash == 0) return "";
  absl::string_view part = image.substr(0, slash);
  if (part == "localhost" || absl::StrContains(part, '.') || absl::StrContains(part, ':')) {
    return std::string(part);
  }
  return "";
}

namespace {

// The credential helper the Docker configuration names for `server` (credHelpers by host, else
// credsStore), or "".
std::string HelperFor(const json& docker_config, const std::string& server) {
  auto helpers = docker_config.find("credHelpers");
  if (helpers != docker_config.end() && helpers->is_object()) {
    for (auto it = helpers->begin(); it != helpers->end(); ++it) {
      if ((it.key() == server || NetlocOrKey(it.key()) == server) && it->is_string() &&
          !it->get<std::string>().empty()) {
        return it->get<std::string>();
      }
    }
  }
  auto store = docker_config.find("credsStore");
  if (store != docker_config.end() && store->is_string()) return store->get<std::string>();
  return "";
}

// Asks `helper` for the credentials of `server`: nullopt when it has none.
absl::StatusOr<absl::optional<AuthConfig>> AskHelper(const CredentialHelperRunner& run_helper,
                                                     const std::string& helper, AuthConfig auth) {
  const std::string program = absl::StrCat("docker-credential-", helper);
  if (helper.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("docker config: credential helper name '", helper, "' must not contain '/'"));
  }
  absl::StatusOr<std::string> out = run_helper(program, auth.server_address);
  if (!out.ok()) {
    if (absl::StrContains(absl::AsciiStrToLower(out.status().message()), "credentials not found")) {
      return absl::optional<AuthConfig>();
    }
    return absl::Status(out.status().code(),
                        absl::StrCat("credential helper ", program, " for ", auth.server_address,
                                     ": ", out.status().message()));
  }
  json answer = json::parse(*out, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object() || !answer.contains("Secret") || !answer["Secret"].is_string()) {
    // Never quote the answer: it may hold the secret.
    return absl::InvalidArgumentError(absl::StrCat("credential helper ", program, " for ",
                                                   auth.server_address,
                                                   ": answer is not a JSON object with a Secret"));
  }
  const std::string user = answer.value("Username", "");
  if (user == "<token>") {
    auth.identity_token = answer["Secret"].get<std::string>();
  } else {
    auth.username = user;
    auth.password = answer["Secret"].get<std::string>();
  }
  return absl::optional<AuthConfig>(std::move(auth));
}

}  // namespace

absl::StatusOr<absl::optional<AuthConfig>> ResolveAuth(const Registry& registry,
                                                       const json* docker_config,
                                                       const CredentialHelperRunner& run_helper) {
  AuthConfig auth;
  std::string netloc = UrlNetloc(registry.url);
  auth.server_address = netloc.empty() ? registry.url : netloc;
  auth.email = registry.email;
  if (!registry.username.empty()) {
    auth.username = registry.username;
    auth.password = registry.password;
    return absl::optional<AuthConfig>(auth);
  }
  if (docker_config == nullptr || !docker_config->is_object()) {
    return absl::optional<AuthConfig>();
  }
  if (run_helper) {
    const std::string helper = HelperFor(*docker_config, auth.server_address);
    if (!helper.empty()) {
      MAESTRO_ASSIGN_OR_RETURN(absl::optional<AuthConfig> from_helper,
                               AskHelper(run_helper, helper, auth));
      if (from_helper) return from_helper;
    }
  }
  if (!docker_config->contains("auths") || !(*docker_config)["auths"].is_object()) {
    return absl::optional<AuthConfig>();
  }
  const json& auths = (*docker_config)["auths"];
  for (auto it = auths.begin(); it != auths.end(); ++it) {
    if (it.key() != registry.url && NetlocOrKey(it.key()) != auth.server_address) continue;
    const json& e = it.value();
    if (!e.is_object()) continue;
    if (e.contains("auth") && e["auth"].is_string() && !e["auth"].get<std::string>().empty()) {
      std::string decoded;
      if (!absl::Base64Unescape(e["auth"].get<std::string>(), &decoded) ||
          decoded.find(':') == std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("docker config: the 'auth' entry for ",
                                                       it.key(), " is not base64 'user:password'"));
      }
      size_t colon = decoded.find(':');
      auth.username = decoded.substr(0, colon);
      auth.password = decoded.substr(colon + 1);
    } else if (e.contains("username") && e["username"].is_string()) {
      auth.username = e["username"].get<std::string>();
      if (e.contains("password") && e["password"].is_string()) {
        auth.password = e["password"].get<std::string>();
      }
    } else {
      continue;
    }
    if (auth.email.empty() && e.contains("email") && e["email"].is_string()) {
      auth.email = e["email"].get<std::string>();
    }
    return absl::optional<AuthConfig>(auth);
  }
  return absl::optional<AuthConfig>();
}

namespace {

// ":line:col: malformed Docker configuration: <nlohmann's reason>", without the "last read"
// excerpt nlohmann adds (the file holds credentials; nothing of its content is repeated).
std::string DescribeJsonParseError(const std::string& text, const json::parse_error& e) {
  size_t end = std::min(e.byte == 0 ? size_t{0} : e.byte - 1, text.size());
  int line = 1, column = 1;
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  std::string reason = e.what();
  // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error while
  // parsing value - invalid literal; last read: 'x'"
  if (size_t colon = reason.find(": "); colon != std::string::npos) reason.erase(0, colon + 2);
  if (size_t last = reason.find("; last read"); last != std::string::npos) reason.erase(last);
  return absl::StrCat(":", line, ":", column, ": malformed Docker configuration: ", reason);
}

}  // namespace

absl::StatusOr<absl::optional<json>> LoadDockerConfig(const char* docker_config_dir,
                                                      const char* home) {
  std::string path;
  if (docker_config_dir != nullptr && *docker_config_dir != '\0') {
    path = absl::StrCat(docker_config_dir, "/config.json");
  } else if (home != nullptr && *home != '\0') {
    path = absl::StrCat(home, "/.docker/config.json");
  } else {
    return absl::optional<json>();
  }
  std::ifstream in(path);
  if (!in) return absl::optional<json>();
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  try {
    json j = json::parse(text);
    if (!j.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": malformed Docker configuration: expected a JSON object, got ", j.type_name()));
    }
    return absl::optional<json>(std::move(j));
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, DescribeJsonParseError(text, e)));
  }
}

json AuthConfigJson(const AuthConfig& auth) {
  json j = {{"username", auth.username},
            {"password", auth.password},
            {"serveraddress", auth.server_address}};
  if (!auth.email.empty()) j["email"] = auth.email;
  if (!auth.identity_token.empty()) j["identitytoken"] = auth.identity_token;
  return j;
}

std::string EncodeRegistryAuth(const AuthConfig& auth) {
  return Base64Url(AuthConfigJson(auth).dump());
}

absl::Status ScrubSecret(const absl::Status& status, absl::string_view secret) {
  if (status.ok() || secret.empty() || !absl::StrContains(status.message(), secret)) {
    return status;
  }
  absl::Status out(status.code(), absl::StrReplaceAll(status.message(), {{secret, "***"}}));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& p) { out.SetPayload(url, p); });
  return out;
}

absl::Status RunWithRetry(const RetrySpec& spec, absl::string_view what,
                          const std::function<absl::Status()>& op,
                          const std::function<bool(absl::Duration)>& sleep) {
  int attempts = std::max(1, spec.attempts);
  absl::Status s;
  for (int i = 0; i < attempts; ++i) {
    s = op();
    if (s.ok()) return s;
    if (!CodeListed(s, spec.when)) return s;
    if (i + 1 < attempts && sleep && !sleep(absl::Milliseconds(500) * (i + 1))) {
      return absl::CancelledError(absl::StrCat(what, ": interrupted after attempt ", i + 1, " of ",
                                               attempts, ": ", s.message()));
    }
  }
  if (spec.when.empty() || attempts == 1) return s;
  absl::Status out(s.code(),
                   absl::StrCat(what, ": giving up after ", attempts, " attempts: ", s.message()));
  s.ForEachPayload([&out](absl::string_view url, const absl::Cord& p) { out.SetPayload(url, p); });
  return out;
}

absl::Status LoginAndPull(DockerClient& client, const PullRequest& request,
                          const std::vector<Registry>& registries, const json* docker_config,
                          const PullProgressCallback& progress,
                          const std::function<bool(absl::Duration)>& sleep,
                          const CredentialHelperRunner& run_helper) {
  MAESTRO_ASSIGN_OR_RETURN(ImageAuth found,
                           ResolveImageAuth(request.image, registries, docker_config, run_helper));
  const Registry* registry = found.registry ? &*found.registry : nullptr;
  const absl::optional<AuthConfig>& auth = found.auth;
  RetrySpec retry;  // defaults: nothing retried
  retry.when.clear();
  std::string auth_header;
  std::string secret;
  if (registry != nullptr) {
    retry = registry->retry;
    if (auth) {
      secret = auth->secret();
      std::string what =
          absl::StrCat(client.Describe(), ": ", Describe(*registry), ": login as ", auth->username);
      absl::Status login = RunWithRetry(
          retry, what, [&] { return client.Login(AuthConfigJson(*auth)).status(); }, sleep);
      if (!login.ok()) {
        return ScrubSecret(
            absl::Status(login.code(), absl::StrCat(Describe(*registry), ": login as ",
                                                    auth->username, " failed: ", login.message())),
            secret);
      }
      auth_header = EncodeRegistryAuth(*auth);
    }
  }
  std::string what = absl::StrCat("pull ", request.image, ":", request.tag);
  absl::Status pulled = RunWithRetry(
      retry, what,
      [&] { return client.PullImage(request.image, request.tag, auth_header, progress); }, sleep);
  if (!pulled.ok() && registry != nullptr) {
    pulled = absl::Status(pulled.code(), absl::StrCat(Describe(*registry), ": ", pulled.message()));
  }
  return ScrubSecret(pulled, secret);
}

}  // namespace maestro::docker
