"""The layering of maestro's packages, in one place.

LAYERS says which maestro packages the libraries of each package may use (besides itself);
docs/architecture.md draws the same table. Two things enforce it:
  * Bazel visibility: every library package sets
    `package(default_visibility = layer_visibility("NAME"))`, so a library outside the packages
    allowed to use it fails to build;
  * tools/check-layering (in tools/test) reads this table and checks every edge between non-test
    libraries, which also catches a test-only target used by a library.
Tests, benchmarks and the test-support packages (TEST_PACKAGES) may use any library. A test in
one layer that needs a higher layer (a plays test loading YAML with config) goes through a
testonly target of that layer made visible with `test_visibility`; testonly targets cannot be
used by shipped code.

Keep one entry per line, `"name": ["dep", ...],`: tools/check-layering parses this file.
"""

LAYERS = {
    "base": [],
    "model": ["base"],
    "ui": [],
    "http": ["base"],
    "template": ["base", "model"],
    "graph": ["model"],
    "transport": ["base"],
    "docker": ["base", "transport", "http"],
    "lifecycle": ["base", "model", "docker", "transport", "http"],
    "config": ["base", "model", "graph", "transport", "lifecycle"],
    "spec": ["base", "model", "docker"],
    "audit": ["base", "model", "lifecycle", "http", "transport"],
    "plays": ["base", "model", "graph", "docker", "spec", "ui"],
    "lock": ["base", "docker"],
    "swarm": ["base", "model", "spec", "docker"],
    "cli": ["*"],
    "guest": ["model", "template"],
}

# Packages of tests and test support: they may use any library.
TEST_PACKAGES = [
    "//maestro/testing:__pkg__",
    "//maestro/integration:__pkg__",
    "//benchmarks:__pkg__",
]

# Lower layers whose tests use a higher layer's testonly target: package -> test users.
TEST_USERS = {
    "config": ["graph", "plays", "swarm"],
    "template": ["config"],
}

def _label(package):
    if package == "guest":
        return "//guest:__pkg__"
    return "//maestro/%s:__pkg__" % package

def layer_visibility(package):
    """The packages allowed to use the libraries of `package`, as a visibility list."""
    if package not in LAYERS:
        fail("package %s is not in tools/bazel/layering.bzl" % package)
    users = [_label(p) for p, deps in LAYERS.items() if package in deps or "*" in deps]
    return users + TEST_PACKAGES

def test_visibility(package):
    """Visibility of a testonly target of `package` that tests of lower layers use."""
    return [_label(p) for p in TEST_USERS.get(package, [])] + TEST_PACKAGES
