"""Compiler and linker options for every maestro target, in one place."""

MAESTRO_COPTS = [
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
]

# Release binaries are fully static unless a sanitizer (which needs its dynamic runtime) is on.
MAESTRO_STATIC_LINKOPTS = select({
    "//tools/bazel:asan": [],
    "//tools/bazel:tsan": [],
    "//conditions:default": ["-static"],
})

# The release binaries (maestro, maestro-guest) are stripped: no symbols, unused sections
# dropped. Sanitizer builds keep everything for their reports.
MAESTRO_RELEASE_LINKOPTS = select({
    "//tools/bazel:asan": [],
    "//tools/bazel:tsan": [],
    "//conditions:default": ["-s", "-Wl,--gc-sections"],
})
