#include "daemon/common/log_setup.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

namespace ntplite::daemon {
namespace {

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
    using config::LogLevel;
    switch (level) {
        case LogLevel::kTrace:
            return spdlog::level::trace;
        case LogLevel::kDebug:
            return spdlog::level::debug;
        case LogLevel::kInfo:
            return spdlog::level::info;
        case LogLevel::kWarn:
            return spdlog::level::warn;
        case LogLevel::kError:
            return spdlog::level::err;
        case LogLevel::kCritical:
            return spdlog::level::critical;
        case LogLevel::kOff:
            return spdlog::level::off;
    }
    return spdlog::level::info;
}

/// "%*": the sd-daemon(3) priority prefix digit (LOG_DEBUG 7 ... LOG_CRIT 2) of the level.
class PriorityFlag : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        char digit = '6';
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug:
                digit = '7';
                break;
            case spdlog::level::info:
                digit = '6';
                break;
            case spdlog::level::warn:
                digit = '4';
                break;
            case spdlog::level::err:
                digit = '3';
                break;
            default:
                digit = '2';
                break;
        }
        dest.push_back(digit);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<PriorityFlag>();
    }
};

}  // namespace

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(2, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

void setup_logging(bool journal, config::LogLevel level) {
    auto logger = spdlog::stderr_color_mt("ntpd-lite");
    spdlog::set_default_logger(logger);
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    if (journal) {
        formatter->add_flag<PriorityFlag>('*').set_pattern("<%*>%v");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v");
    }
    spdlog::set_formatter(std::move(formatter));
    set_log_level(level);
}

void set_log_level(config::LogLevel level) {
    spdlog::set_level(to_spdlog(level));
}

}  // namespace ntplite::daemon
