// gregor: runs one node. `gregor [--config FILE] [--override key=value ...]`; without --config it
// runs the embedded default (one combined node on PLAINTEXT://localhost:9092, data in ./data).
// SIGTERM or SIGINT stops it cleanly.

#include "gregor/broker/broker.h"
#include "gregor/broker/version.h"
#include "gregor/common/logging.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

namespace {

struct Args {
    std::string config_path;
    std::vector<std::string> overrides;
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: gregor [--config FILE] [--override key=value ...]\n"
                 "  --config FILE          YAML file of Kafka broker properties\n"
                 "  --override key=value   set one property (repeatable; wins over the file)\n"
                 "  --version              print the version\n");
}

// Returns false (after printing why) when the command line is malformed.
bool parse_args(int argc, char** argv, Args& args, bool& exit_now) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char* flag) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "gregor: %s needs a value\n", flag);
                return nullptr;
            }
            return argv[++i];
        };
        if (a == "--config") {
            const char* v = value("--config");
            if (v == nullptr)
                return false;
            args.config_path = v;
        } else if (a.rfind("--config=", 0) == 0) {
            args.config_path = a.substr(9);
        } else if (a == "--override") {
            const char* v = value("--override");
            if (v == nullptr)
                return false;
            args.overrides.emplace_back(v);
        } else if (a.rfind("--override=", 0) == 0) {
            args.overrides.push_back(a.substr(11));
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            exit_now = true;
        } else if (a == "--version") {
            std::printf("gregor %s\n", gregor::broker::version());
            exit_now = true;
        } else {
            std::fprintf(stderr, "gregor: unknown argument '%s'\n", a.c_str());
            usage(stderr);
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    bool exit_now = false;
    if (!parse_args(argc, argv, args, exit_now)) {
        return 2;
    }
    if (exit_now) {
        return 0;
    }
    // Writes to a closed socket must fail with EPIPE, not kill the broker.
    std::signal(SIGPIPE, SIG_IGN);

    auto config = args.config_path.empty()
                      ? gregor::broker::Config::load_default(args.overrides)
                      : gregor::broker::Config::load_file(args.config_path, args.overrides);
    if (!config) {
        std::fprintf(stderr, "gregor: invalid configuration:\n%s\n", config.error().c_str());
        return 1;
    }
    gregor::broker::apply_log_levels(*config);
    const auto& log = gregor::log::get("broker");
    log->info("Gregor {} starting with config from {}", gregor::broker::version(),
              config->origin());
    log->debug("configuration:\n{}", config->dump());

    gregor::broker::Broker broker(std::move(config).value());
    auto started = broker.start();
    if (!started) {
        log->critical("startup failed: {}", started.error());
        return 1;
    }
    log->info("started");

    boost::asio::io_context signals_ctx;
    boost::asio::signal_set signals(signals_ctx, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int signo) {
        log->info("received signal {}, shutting down", signo);
    });
    signals_ctx.run();
    broker.stop();
    log->info("stopped");
    return 0;
}
