#pragma once

// Per-module loggers over spdlog. Every module logger writes to one shared sink (stderr unless a
// test swaps it) with one pattern, so a line always says when, how bad, which module and which
// thread. Levels come in as a plain map so the broker can feed log.level and log.level.<module>
// from its config without common depending on broker.
//
// Never log secret values (passwords, SASL/JAAS text, key material): print kRedacted instead.

#include <spdlog/common.h>
#include <spdlog/logger.h>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gregor::log {

// The modules that own a logger; config keys log.level.<module> use exactly these names.
inline constexpr std::array<std::string_view, 8> kModules = {
    "net", "protocol", "storage", "replication", "controller", "coordinator", "security", "broker"};

// Timestamp, level, module, thread id, message.
inline constexpr std::string_view kPattern = "[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] [%n] [%t] %v";

// What to print in place of a secret.
inline constexpr std::string_view kRedacted = "[hidden]";

using Logger = std::shared_ptr<spdlog::logger>;
using Level = spdlog::level::level_enum;

// Key "" sets every module; a module name then overrides it for that module.
using LevelMap = std::map<std::string, Level, std::less<>>;

// The module's logger, created once on first use of any logger. Asserts that `module` is one of
// kModules: asking for another name is a programming error.
const Logger& get(std::string_view module);

bool is_module(std::string_view module);

// Applies "" first, then the per-module entries. Asserts that every other key is a module.
void set_levels(const LevelMap& levels);

// Case-insensitive: trace, debug, info, warn (or warning), error, critical (or fatal), off.
std::optional<Level> parse_level(std::string_view text);
std::string_view level_name(Level level);

// Redirects every module logger (and spdlog's default logger) to `sink`, with kPattern applied.
// Tests use it to capture output; reset_sink() goes back to stderr.
void set_sink(spdlog::sink_ptr sink);
void reset_sink();

}  // namespace gregor::log
