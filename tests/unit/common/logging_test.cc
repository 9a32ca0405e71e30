#include "gregor/common/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <regex>
#include <sstream>
#include <string>

namespace gregor::log {
namespace {

class LoggingTest : public ::testing::Test {
protected:
    void SetUp() override {
        sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        set_sink(sink_);
    }
    void TearDown() override {
        reset_sink();
        set_levels({{"", spdlog::level::info}});
    }

    std::string output() {
        sink_->flush();
        return out_.str();
    }

    std::ostringstream out_;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

TEST_F(LoggingTest, EveryModuleHasOneSharedLogger) {
    for (std::string_view module : kModules) {
        const Logger& first = get(module);
        ASSERT_NE(first, nullptr);
        EXPECT_EQ(first->name(), module);
        EXPECT_EQ(first.get(), get(module).get()) << "created once, then shared";
        EXPECT_TRUE(is_module(module));
        EXPECT_EQ(spdlog::get(std::string(module)).get(), first.get());
    }
    EXPECT_FALSE(is_module("kafka"));
}

TEST_F(LoggingTest, LineCarriesTimestampLevelModuleAndThread) {
    get("storage")->info("segment {} rolled", 42);
    const std::regex line(
        R"(\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] \[info\] \[storage\] \[\d+\] segment 42 rolled\n)");
    EXPECT_TRUE(std::regex_match(output(), line)) << output();
}

TEST_F(LoggingTest, SpdlogDefaultLoggerSharesTheSink) {
    spdlog::warn("from the default logger");
    EXPECT_NE(output().find("[warning] [gregor]"), std::string::npos) << output();
}

TEST_F(LoggingTest, GlobalLevelThenModuleOverride) {
    set_levels({{"", spdlog::level::warn}, {"net", spdlog::level::debug}});
    EXPECT_EQ(get("net")->level(), spdlog::level::debug);
    EXPECT_EQ(get("storage")->level(), spdlog::level::warn);
    EXPECT_EQ(get("broker")->level(), spdlog::level::warn);

    get("storage")->info("hidden by warn");
    get("net")->debug("shown at debug");
    std::string text = output();
    EXPECT_EQ(text.find("hidden by warn"), std::string::npos);
    EXPECT_NE(text.find("[debug] [net]"), std::string::npos) << text;
}

TEST_F(LoggingTest, ModuleOnlyMapLeavesOthersAlone) {
    set_levels({{"", spdlog::level::info}});
    set_levels({{"controller", spdlog::level::trace}});
    EXPECT_EQ(get("controller")->level(), spdlog::level::trace);
    EXPECT_EQ(get("coordinator")->level(), spdlog::level::info);
}

TEST(LogLevelTest, ParsesNamesCaseInsensitively) {
    EXPECT_EQ(parse_level("trace"), spdlog::level::trace);
    EXPECT_EQ(parse_level("DEBUG"), spdlog::level::debug);
    EXPECT_EQ(parse_level("Info"), spdlog::level::info);
    EXPECT_EQ(parse_level("warn"), spdlog::level::warn);
    EXPECT_EQ(parse_level("WARNING"), spdlog::level::warn);
    EXPECT_EQ(parse_level("error"), spdlog::level::err);
    EXPECT_EQ(parse_level("fatal"), spdlog::level::critical);
    EXPECT_EQ(parse_level("off"), spdlog::level::off);
    EXPECT_EQ(parse_level("loud"), std::nullopt);
    EXPECT_EQ(parse_level(""), std::nullopt);
    EXPECT_EQ(level_name(spdlog::level::err), "error");
    EXPECT_EQ(level_name(spdlog::level::warn), "warn");
}

TEST(LoggingDeathTest, UnknownModuleIsAProgrammingError) {
    EXPECT_DEATH(get("kafka"), "not a module name");
}

}  // namespace
}  // namespace gregor::log
