#include "gregor/common/logging.h"

#include "gregor/common/assert.h"

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

namespace gregor::log {
namespace {

// One dist sink shared by every logger: swapping its child redirects all of them at once,
// and spdlog's dist sink locks around the swap.
struct Registry {
    std::shared_ptr<spdlog::sinks::dist_sink_mt> sink;
    std::array<Logger, kModules.size()> loggers;

    Registry() : sink(std::make_shared<spdlog::sinks::dist_sink_mt>()) {
        sink->set_sinks({make_stderr_sink()});
        sink->set_pattern(std::string(kPattern));
        for (size_t i = 0; i < kModules.size(); ++i) {
            loggers[i] = std::make_shared<spdlog::logger>(std::string(kModules[i]), sink);
            loggers[i]->set_level(spdlog::level::info);
            loggers[i]->flush_on(spdlog::level::warn);
            // Also reachable through spdlog::get(name); skipped if that name is already taken
            // (register_logger would throw).
            if (spdlog::get(loggers[i]->name()) == nullptr) {
                spdlog::register_logger(loggers[i]);
            }
        }
        // Code that calls spdlog directly (assert.cc) lands in the same place, same format.
        auto fallback = std::make_shared<spdlog::logger>("gregor", sink);
        fallback->flush_on(spdlog::level::warn);
        spdlog::set_default_logger(std::move(fallback));
    }

    static spdlog::sink_ptr make_stderr_sink() {
        auto s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        s->set_pattern(std::string(kPattern));
        return s;
    }
};

Registry& registry() {
    static Registry r;
    return r;
}

std::optional<size_t> module_index(std::string_view module) {
    auto it = std::find(kModules.begin(), kModules.end(), module);
    if (it == kModules.end()) {
        return std::nullopt;
    }
    return static_cast<size_t>(it - kModules.begin());
}

}  // namespace

const Logger& get(std::string_view module) {
    auto index = module_index(module);
    GREGOR_ASSERT(index.has_value(), "gregor::log::get: not a module name (see kModules)");
    return registry().loggers[*index];
}

bool is_module(std::string_view module) {
    return module_index(module).has_value();
}

void set_levels(const LevelMap& levels) {
    Registry& r = registry();
    if (auto all = levels.find(""); all != levels.end()) {
        for (auto& logger : r.loggers) {
            logger->set_level(all->second);
        }
    }
    for (const auto& [name, level] : levels) {
        if (name.empty()) {
            continue;
        }
        auto index = module_index(name);
        GREGOR_ASSERT(index.has_value(), "gregor::log::set_levels: not a module name");
        r.loggers[*index]->set_level(level);
    }
}

std::optional<Level> parse_level(std::string_view text) {
    static constexpr std::pair<std::string_view, Level> kNames[] = {
        {"trace", spdlog::level::trace},
        {"debug", spdlog::level::debug},
        {"info", spdlog::level::info},
        {"warn", spdlog::level::warn},
        {"warning", spdlog::level::warn},
        {"error", spdlog::level::err},
        {"critical", spdlog::level::critical},
        {"fatal", spdlog::level::critical},
        {"off", spdlog::level::off}};
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& [name, level] : kNames) {
        if (lower == name) {
            return level;
        }
    }
    return std::nullopt;
}

std::string_view level_name(Level level) {
    switch (level) {
        case spdlog::level::trace:
            return "trace";
        case spdlog::level::debug:
            return "debug";
        case spdlog::level::info:
            return "info";
        case spdlog::level::warn:
            return "warn";
        case spdlog::level::err:
            return "error";
        case spdlog::level::critical:
            return "critical";
        case spdlog::level::off:
        case spdlog::level::n_levels:
            break;
    }
    return "off";
}

void set_sink(spdlog::sink_ptr sink) {
    GREGOR_ASSERT(sink != nullptr, "gregor::log::set_sink: null sink");
    sink->set_pattern(std::string(kPattern));
    registry().sink->set_sinks({std::move(sink)});
}

void reset_sink() {
    registry().sink->set_sinks({Registry::make_stderr_sink()});
}

}  // namespace gregor::log
