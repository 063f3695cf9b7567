#include "guest/cli.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "guest/json_writer.h"
#include "guest/wait_for.h"

namespace maestro {
namespace guest {
namespace {

constexpr char kProgram[] = "maestro-guest";

constexpr char kHelp[] =
    "usage: maestro-guest [--help | --version | --json] COMMAND [ARGS...]\n"
    "\n"
    "Reads the variables maestro injected into this container and prints one answer per line.\n"
    "\n"
    "commands:\n"
    "  environment-name                         MAESTRO_ENVIRONMENT_NAME (default: local)\n"
    "  service-name                             SERVICE_NAME\n"
    "  container-name                           CONTAINER_NAME\n"
    "  container-host-address [--ip]            CONTAINER_HOST_ADDRESS (--ip: as an IPv4)\n"
    "  container-internal-address [--interface IF]\n"
    "                                           first IPv4 address of IF (default: eth0)\n"
    "  port NAME [DEFAULT]                      internal port NAME of this container\n"
    "  node-list SERVICE [PORT...] [--minimum N] [--separator S]\n"
    "                                           host[:port...] of every instance of SERVICE\n"
    "                                           (minimum 1, separator ',')\n"
    "  specific-host SERVICE CONTAINER          {S}_{C}_HOST\n"
    "  specific-port SERVICE CONTAINER PORT [DEFAULT]\n"
    "                                           {S}_{C}_{P}_PORT (external port)\n"
    "  specific-exposed-port SERVICE CONTAINER PORT [DEFAULT]\n"
    "                                           {S}_{C}_{P}_INTERNAL_PORT (internal port)\n"
    "  wait-for SERVICE [PORT] [--timeout SECONDS] [--interval MS]\n"
    "                                           wait until every instance accepts TCP\n"
    "                                           connections on PORT (default: all its ports;\n"
    "                                           timeout 60 s, interval 500 ms)\n"
    "  render TEMPLATE [-o FILE]                render a Jinja2 template with the guest\n"
    "                                           functions as globals\n"
    "  secrets-wait [--timeout S] [--dir D] -- CMD [ARGS...]\n"
    "                                           wait for maestro's secrets (D/.maestro-ready;\n"
    "                                           timeout 120 s, then exit 70), then exec CMD\n"
    "  secrets-wait --check [--dir D]           exit 0 if the secrets were delivered, else 1\n"
    "  secrets-write TARGET MODE UID GID        write stdin to TARGET (maestro runs this)\n"
    "  secrets-write --ready [--dir D]          write the ready marker (maestro runs this)\n"
    "\n"
    "options:\n"
    "  --json      print the whole discovered view as JSON\n"
    "  --help      this text\n"
    "  --version   the version\n"
    "\n"
    "exit status: 0 ok, 1 a variable is missing or invalid (or wait-for timed out),\n"
    "2 usage error.\n";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
};

bool LooksLikeOption(const std::string& token) {
  return token.size() > 1 && token[0] == '-' && !ParsePythonInt(token).has_value();
}

// Splits `tokens` into positionals, --flags and --options VALUE (or --option=VALUE).
// "-o" is an alias of "--output". Returns an error message on a usage error.
std::optional<std::string> Parse(const std::vector<std::string>& tokens,
                                 const std::set<std::string>& flag_names,
                                 const std::set<std::string>& value_names, Args* args) {
  bool only_positional = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string token = tokens[i];
    if (only_positional || !LooksLikeOption(token)) {
      args->positional.push_back(token);
      continue;
    }
    if (token == "--") {
      only_positional = true;
      continue;
    }
    if (token == "-o") token = "--output";
    std::optional<std::string> inline_value;
    size_t eq = token.find('=');
    if (eq != std::string::npos) {
      inline_value = token.substr(eq + 1);
      token.resize(eq);
    }
    if (flag_names.count(token) != 0) {
      if (inline_value) return "option " + token + " takes no value";
      args->flags.insert(token);
    } else if (value_names.count(token) != 0) {
      if (inline_value) {
        args->values[token] = *inline_value;
      } else if (i + 1 < tokens.size()) {
        args->values[token] = tokens[++i];
      } else {
        return "option " + token + " needs a value";
      }
    } else {
      return "unknown option " + token;
    }
  }
  return std::nullopt;
}

class Runner {
 public:
  Runner(const Guest& guest, std::ostream& out, std::ostream& err, const CliHooks& hooks)
      : guest_(guest), out_(out), err_(err), hooks_(hooks) {}

  int Run(const std::vector<std::string>& argv) {
    if (argv.empty()) return Usage("missing command (try --help)");
    const std::string& command = argv[0];
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    if (command == "--help" || command == "-h" || command == "help") {
      out_ << kHelp;
      return kExitOk;
    }
    if (command == "--version") {
      out_ << kProgram << " " << kGuestVersion << " (MaestroNG 0.8.3 guest functions)\n";
      return kExitOk;
    }
    if (command == "--json" || command == "json") {
      if (!rest.empty()) return Usage("--json takes no arguments");
      out_ << DescribeJson(guest_) << "\n";
      return kExitOk;
    }
    if (command == "environment-name")
      return Simple(rest, [&] { return Result<std::string>(guest_.EnvironmentName()); });
    if (command == "service-name") return Simple(rest, [&] { return guest_.ServiceName(); });
    if (command == "container-name") return Simple(rest, [&] { return guest_.ContainerName(); });
    if (command == "container-host-address") return HostAddress(rest);
    if (command == "container-internal-address") return InternalAddress(rest);
    if (command == "port") return OwnPort(rest);
    if (command == "node-list") return NodeList(rest);
    if (command == "specific-host") return SpecificHost(rest);
    if (command == "specific-port") return SpecificPort(rest, /*exposed=*/false);
    if (command == "specific-exposed-port") return SpecificPort(rest, /*exposed=*/true);
    if (command == "wait-for") return WaitFor(rest);
    if (command == "render") return Render(rest);
    if (command == "secrets-wait" || command == "secrets-write") {
      SecretsSystem real;
      if (hooks_.secrets == nullptr) real = RealSecretsSystem();
      const SecretsSystem& system = hooks_.secrets != nullptr ? *hooks_.secrets : real;
      return command == "secrets-wait" ? SecretsWait(rest, system, err_)
                                       : SecretsWrite(rest, system, err_);
    }
    return Usage("unknown command '" + command + "' (try --help)");
  }

 private:
  int Usage(const std::string& message) {
    err_ << kProgram << ": " << message << "\n";
    return kExitUsage;
  }
  int Fail(const std::string& message) {
    err_ << kProgram << ": " << message << "\n";
    return kExitMissing;
  }
  template <typename T>
  int Print(const Result<T>& result) {
    if (!result.ok()) return Fail(result.error());
    out_ << result.value() << "\n";
    return kExitOk;
  }
  template <typename F>
  int Simple(const std::vector<std::string>& rest, F get) {
    Args args;
    if (auto e = Parse(rest, {}, {}, &args)) return Usage(*e);
    if (!args.positional.empty()) return Usage("this command takes no arguments");
    return Print(get());
  }

  // Parses an optional DEFAULT argument; false (after reporting) when it is not an integer.
  bool ParseDefault(const std::vector<std::string>& positional, size_t index,
                    std::optional<long long>* value, int* exit_code) {
    if (positional.size() <= index) return true;
    *value = ParsePythonInt(positional[index]);
    if (!*value) {
      *exit_code = Usage("DEFAULT must be an integer, got '" + positional[index] + "'");
      return false;
    }
    return true;
  }

  int HostAddress(const std::vector<std::string>& rest) {
    Args args;
    if (auto e = Parse(rest, {"--ip"}, {}, &args)) return Usage(*e);
    if (!args.positional.empty()) return Usage("usage: container-host-address [--ip]");
    return Print(guest_.ContainerHostAddress(args.flags.count("--ip") != 0));
  }

  int InternalAddress(const std::vector<std::string>& rest) {
    Args args;
    if (auto e = Parse(rest, {}, {"--interface"}, &args)) return Usage(*e);
    if (!args.positional.empty()) {
      return Usage("usage: container-internal-address [--interface IF]");
    }
    auto it = args.values.find("--interface");
    return Print(
        guest_.ContainerInternalAddress(it == args.values.end() ? kDefaultInterface : it->second));
  }

  int OwnPort(const std::vector<std::string>& rest) {
    Args args;
    if (auto e = Parse(rest, {}, {}, &args)) return Usage(*e);
    if (args.positional.empty() || args.positional.size() > 2) {
      return Usage("usage: port NAME [DEFAULT]");
    }
    std::optional<long long> fallback;
    int code = kExitOk;
    if (!ParseDefault(args.positional, 1, &fallback, &code)) return code;
    return Print(guest_.Port(args.positional[0], fallback));
  }

  int NodeList(const std::vector<std::string>& rest) {
    Args args;
    if (auto e = Parse(rest, {}, {"--minimum", "--separator"}, &args)) return Usage(*e);
    if (args.positional.empty()) {
      return Usage("usage: node-list SERVICE [PORT...] [--minimum N] [--separator S]");
    }
    long long minimum = 1;
    if (auto it = args.values.find("--minimum"); it != args.values.end()) {
      std::optional<long long> parsed = ParsePythonInt(it->second);
      if (!parsed || *parsed < -1000000 || *parsed > 1000000) {
        return Usage("--minimum must be an integer, got '" + it->second + "'");
      }
      minimum = *parsed;
    }
    std::string separator = ",";
    if (auto it = args.values.find("--separator"); it != args.values.end()) {
      separator = it->second;
    }
    std::vector<std::string> ports(args.positional.begin() + 1, args.positional.end());
    Result<std::vector<std::string>> nodes =
        guest_.NodeList(args.positional[0], ports, static_cast<int>(minimum));
    if (!nodes.ok()) return Fail(nodes.error());
    for (size_t i = 0; i < nodes.value().size(); ++i) {
      if (i > 0) out_ << separator;
      out_ << nodes.value()[i];
    }
    out_ << "\n";
    return kExitOk;
  }

  int SpecificHost(const std::vector<std::string>& rest) {
    Args args;
    if (auto e = Parse(rest, {}, {}, &args)) return Usage(*e);
    if (args.positional.size() != 2) return Usage("usage: specific-host SERVICE CONTAINER");
    return Print(guest_.SpecificHost(args.positional[0], args.positional[1]));
  }

  int SpecificPort(const std::vector<std::string>& rest, bool exposed) {
    Args args;
    if (auto e = Parse(rest, {}, {}, &args)) return Usage(*e);
    if (args.positional.size() < 3 || args.positional.size() > 4) {
      return Usage(std::string("usage: ") + (exposed ? "specific-exposed-port" : "specific-port") +
                   " SERVICE CONTAINER PORT [DEFAULT]");
    }
    std::optional<long long> fallback;
    int code = kExitOk;
    if (!ParseDefault(args.positional, 3, &fallback, &code)) return code;
    const std::vector<std::string>& p = args.positional;
    return Print(exposed ? guest_.SpecificExposedPort(p[0], p[1], p[2], fallback)
                         : guest_.SpecificPort(p[0], p[1], p[2], fallback));
  }

  int WaitFor(const std::vector<std::string>& rest) {
    Args args;
    if (auto e = Parse(rest, {}, {"--timeout", "--interval"}, &args)) return Usage(*e);
    if (args.positional.empty() || args.positional.size() > 2) {
      return Usage("usage: wait-for SERVICE [PORT] [--timeout SECONDS] [--interval MS]");
    }
    WaitOptions options;
    if (auto it = args.values.find("--timeout"); it != args.values.end()) {
      char* end = nullptr;
      double seconds = std::strtod(it->second.c_str(), &end);
      if (it->second.empty() || *end != '\0' || !(seconds >= 0) || seconds > 86400) {
        return Usage("--timeout must be a number of seconds (0 to 86400), got '" + it->second +
                     "'");
      }
      options.timeout = std::chrono::milliseconds(std::llround(seconds * 1000));
    }
    if (auto it = args.values.find("--interval"); it != args.values.end()) {
      std::optional<long long> ms = ParsePythonInt(it->second);
      if (!ms || *ms < 1 || *ms > 600000) {
        return Usage("--interval must be milliseconds (1 to 600000), got '" + it->second + "'");
      }
      options.interval = std::chrono::milliseconds(*ms);
    }
    const std::string& service = args.positional[0];
    std::vector<std::string> instances = guest_.ServiceInstanceNames(service);
    if (instances.empty()) {
      Result<std::vector<std::string>> none = guest_.NodeList(service, {}, 1);
      return Fail("wait-for " + service + ": " + none.error());
    }
    std::vector<WaitTarget> targets;
    const Guest::InstanceIndex index(instances);
    for (const std::string& container : instances) {
      Result<std::string> host = guest_.SpecificHost(service, container);
      if (!host.ok()) return Fail("wait-for " + service + ": " + host.error());
      std::vector<std::string> ports;
      if (args.positional.size() == 2) {
        ports.push_back(args.positional[1]);
      } else {
        ports = guest_.PortNames(service, container, /*internal=*/false, index);
        if (ports.empty()) {
          return Fail("wait-for " + service + ": no port variables for container " + container +
                      " of service " + service + " (looked for " +
                      env_contract::ToEnvVarName(service) + "_" +
                      env_contract::ToEnvVarName(container) + "_*_PORT); name a port");
        }
      }
      for (const std::string& port : ports) {
        Result<int> number = guest_.SpecificPort(service, container, port);
        if (!number.ok()) return Fail("wait-for " + service + ": " + number.error());
        std::string port_label = args.positional.size() == 2 ? port : ToLower(port);
        targets.push_back({container + " " + port_label, host.value(), number.value()});
      }
    }
    std::vector<NotReady> pending = WaitForTcp(
        targets, options, [this](const std::string& host) { return guest_.ResolveHost(host); });
    if (pending.empty()) {
      out_ << service << ": " << targets.size() << " of " << targets.size()
           << " endpoints accept connections\n";
      return kExitOk;
    }
    std::ostringstream message;
    message << "wait-for " << service << ": timed out after " << FormatSeconds(options.timeout)
            << "; " << pending.size() << " of " << targets.size() << " not ready: ";
    for (size_t i = 0; i < pending.size(); ++i) {
      if (i > 0) message << ", ";
      message << pending[i].target.label << " (" << pending[i].reason << ")";
    }
    return Fail(message.str());
  }

  int Render(const std::vector<std::string>& rest) {
    Args args;
    if (auto e = Parse(rest, {}, {"--output"}, &args)) return Usage(*e);
    if (args.positional.size() != 1) return Usage("usage: render TEMPLATE [-o FILE]");
    if (!hooks_.render) {
      return Usage(
          "render is not available in this build (built without maestro's template engine; "
          "use //guest:maestro-guest)");
    }
    auto it = args.values.find("--output");
    return hooks_.render(args.positional[0], it == args.values.end() ? "" : it->second, guest_,
                         out_, err_);
  }

  static std::string ToLower(std::string s) { return internal::AsciiLower(std::move(s)); }

  static std::string FormatSeconds(std::chrono::milliseconds ms) {
    std::ostringstream s;
    if (ms.count() % 1000 == 0) {
      s << ms.count() / 1000 << "s";
    } else {
      s << static_cast<double>(ms.count()) / 1000.0 << "s";
    }
    return s.str();
  }

  const Guest& guest_;
  std::ostream& out_;
  std::ostream& err_;
  const CliHooks& hooks_;
};

void WritePortValue(JsonWriter* json, const std::string& raw) {
  std::optional<long long> number = ParsePythonInt(raw);
  if (number) {
    json->Int(*number);
  } else {
    json->String(raw);  // a range such as "9000-9010", or garbage: shown as is
  }
}

void WriteStringOrNull(JsonWriter* json, const Result<std::string>& value) {
  if (value.ok()) {
    json->String(value.value());
  } else {
    json->Null();
  }
}

void WriteOptional(JsonWriter* json, const std::optional<std::string>& value) {
  if (value) {
    json->String(*value);
  } else {
    json->Null();
  }
}

}  // namespace

std::string DescribeJson(const Guest& guest) {
  const Environ& env = guest.env();
  JsonWriter json;
  json.BeginObject();
  json.Key("environment").String(guest.EnvironmentName());
  Result<std::string> service = guest.ServiceName();
  Result<std::string> container = guest.ContainerName();
  json.Key("service");
  WriteStringOrNull(&json, service);
  json.Key("container");
  WriteStringOrNull(&json, container);
  json.Key("host");
  WriteOptional(&json, env.Get(env_contract::kContainerHostAddress));
  json.Key("docker_image");
  WriteOptional(&json, env.Get(env_contract::kDockerImage));
  json.Key("docker_tag");
  WriteOptional(&json, env.Get(env_contract::kDockerTag));

  // Own ports: every internal port of this container, with its external port when known.
  json.Key("ports").BeginObject();
  if (service.ok() && container.ok()) {
    for (const std::string& port : guest.PortNames(service.value(), container.value(), true)) {
      json.Key(internal::AsciiLower(port)).BeginObject();
      json.Key("internal");
      WritePortValue(
          &json, env.Get(env_contract::InternalPortVar(service.value(), container.value(), port))
                     .value_or(""));
      std::optional<std::string> external =
          env.Get(env_contract::PortVar(service.value(), container.value(), port));
      if (external) {
        json.Key("external");
        WritePortValue(&json, *external);
      }
      json.EndObject();
    }
  }
  json.EndObject();

  // Every service announced by a {S}_INSTANCES variable.
  const std::string own_prefix =
      service.ok() ? env_contract::ToEnvVarName(service.value()) : std::string();
  json.Key("services").BeginObject();
  for (const std::string& prefix : guest.DiscoveredServicePrefixes()) {
    // Only the own service's raw name is known; others are shown by their lower-cased prefix,
    // which the guest functions accept (names are sanitised and upper-cased on lookup).
    const std::string name = prefix == own_prefix ? service.value() : internal::AsciiLower(prefix);
    json.Key(name).BeginObject();
    json.Key("env_prefix").String(prefix);
    json.Key("instances").BeginArray();
    const std::vector<std::string> instances = guest.ServiceInstanceNames(name);
    const Guest::InstanceIndex index(instances);
    for (const std::string& instance : instances) {
      json.BeginObject();
      json.Key("name").String(instance);
      json.Key("host");
      WriteOptional(&json, env.Get(env_contract::HostVar(name, instance)));
      json.Key("ports").BeginObject();
      for (const std::string& port : guest.PortNames(name, instance, false, index)) {
        json.Key(internal::AsciiLower(port));
        WritePortValue(&json, env.Get(env_contract::PortVar(name, instance, port)).value_or(""));
      }
      json.EndObject();
      std::vector<std::string> internal_ports = guest.PortNames(name, instance, true, index);
      if (!internal_ports.empty()) {
        json.Key("internal_ports").BeginObject();
        for (const std::string& port : internal_ports) {
          json.Key(internal::AsciiLower(port));
          WritePortValue(&json,
                         env.Get(env_contract::InternalPortVar(name, instance, port)).value_or(""));
        }
        json.EndObject();
      }
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
  }
  json.EndObject();
  json.EndObject();
  return json.str();
}

int RunCli(const std::vector<std::string>& args, const Guest& guest, std::ostream& out,
           std::ostream& err, const CliHooks& hooks) {
  Runner runner(guest, out, err, hooks);
  return runner.Run(args);
}

}  // namespace guest
}  // namespace maestro
