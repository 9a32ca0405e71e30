#include "gregor/storage/checkpoint.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <system_error>
#include <unistd.h>

namespace gregor::storage {
namespace fs = std::filesystem;

namespace {

Error io_error(const std::string& what, const fs::path& path, int err) {
    return Error{Errc::io_error, what + " " + path.string() + ": " + std::strerror(err)};
}

fs::path parent_or_dot(const fs::path& file) {
    fs::path parent = file.parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

// Java's Integer.parseInt / Long.parseLong: optional sign, decimal digits, nothing else.
template <typename T>
std::optional<T> parse_int(std::string_view s) {
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
        if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
            return std::nullopt;
        }
    }
    if (s.empty()) {
        return std::nullopt;
    }
    T value{};
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return value;
}

// Reads a whole file. nullopt when it does not exist.
Result<std::optional<std::string>> read_whole_file(const fs::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::optional<std::string>();
        }
        return unexpected<Error>(io_error("cannot open", file, errno));
    }
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::close(fd);
            return unexpected<Error>(io_error("cannot read", file, err));
        }
        if (n == 0) {
            break;
        }
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return std::optional<std::string>(std::move(out));
}

// Splits into lines as Java's BufferedReader.readLine: "\n", "\r\n" or "\r" end a line; a final
// line without a terminator still counts; nothing after the last terminator is no line.
std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' || text[i] == '\r') {
            lines.emplace_back(text.substr(start, i - start));
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            start = i + 1;
        }
    }
    if (start < text.size()) {
        lines.emplace_back(text.substr(start));
    }
    return lines;
}

Error malformed(const fs::path& file, std::string_view line) {
    return Error{Errc::corruption,
                 "Malformed line in checkpoint file [" + file.string() + "]: " + std::string(line)};
}

}  // namespace

Result<bool> fsync_dir(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return unexpected<Error>(io_error("cannot open directory", dir, errno));
    }
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
        return unexpected<Error>(io_error("cannot fsync directory", dir, err));
    }
    return true;
}

Result<bool> write_file_atomically(const fs::path& file, std::string_view contents) {
    fs::path tmp = file;
    tmp += kTmpSuffix;
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return unexpected<Error>(io_error("cannot create", tmp, errno));
    }
    size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::close(fd);
            return unexpected<Error>(io_error("cannot write", tmp, err));
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        return unexpected<Error>(io_error("cannot fsync", tmp, err));
    }
    if (::close(fd) != 0) {
        return unexpected<Error>(io_error("cannot close", tmp, errno));
    }
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        return unexpected<Error>(io_error("cannot rename " + tmp.string() + " to", file, errno));
    }
    return fsync_dir(parent_or_dot(file));
}

std::vector<std::string_view> split_whitespace(std::string_view line) {
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
            ++i;
        }
        size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
            ++i;
        }
        if (i > start) {
            parts.push_back(line.substr(start, i - start));
        }
    }
    return parts;
}

Result<std::optional<std::vector<std::string>>> read_checkpoint_lines(const fs::path& file,
                                                                      int32_t expected_version) {
    using Out = std::optional<std::vector<std::string>>;
    auto text = read_whole_file(file);
    if (!text) {
        return unexpected<Error>(text.error());
    }
    if (!text->has_value()) {
        return Out();
    }
    std::vector<std::string> lines = split_lines(**text);
    std::vector<std::string> entries;
    if (lines.empty()) {
        return Out(std::move(entries));
    }
    auto version = parse_int<int32_t>(lines[0]);
    if (!version) {
        return unexpected<Error>(malformed(file, lines[0]));
    }
    if (*version != expected_version) {
        return unexpected<Error>(
            Error{Errc::corruption, "Unrecognised version: " + std::to_string(*version)
                                        + ", expected version: " + std::to_string(expected_version)
                                        + " in checkpoint file at: " + file.string()});
    }
    if (lines.size() < 2) {
        return Out(std::move(entries));
    }
    auto count = parse_int<int32_t>(lines[1]);
    if (!count) {
        return unexpected<Error>(malformed(file, lines[1]));
    }
    entries.assign(std::make_move_iterator(lines.begin() + 2),
                   std::make_move_iterator(lines.end()));
    if (*count < 0 || entries.size() != static_cast<size_t>(*count)) {
        return unexpected<Error>(Error{
            Errc::corruption, "Expected [" + std::to_string(*count)
                                  + "] entries in checkpoint file [" + file.string()
                                  + "], but found only [" + std::to_string(entries.size()) + "]"});
    }
    return Out(std::move(entries));
}

Result<bool> write_checkpoint_lines(const fs::path& file,
                                    const std::vector<std::string>& lines,
                                    int32_t version) {
    std::string text = std::to_string(version) + "\n" + std::to_string(lines.size()) + "\n";
    for (const std::string& line : lines) {
        text += line;
        text += '\n';
    }
    return write_file_atomically(file, text);
}

Result<OffsetMap> read_offset_checkpoint(const fs::path& file) {
    auto lines = read_checkpoint_lines(file);
    if (!lines) {
        return unexpected<Error>(lines.error());
    }
    OffsetMap out;
    if (!lines->has_value()) {
        return out;
    }
    for (const std::string& line : **lines) {
        auto parts = split_whitespace(line);
        if (parts.size() != 3) {
            return unexpected<Error>(malformed(file, line));
        }
        auto partition = parse_int<int32_t>(parts[1]);
        auto offset = parse_int<int64_t>(parts[2]);
        if (!partition || !offset) {
            return unexpected<Error>(malformed(file, line));
        }
        out[TopicPartition{std::string(parts[0]), *partition}] = *offset;
    }
    return out;
}

Result<bool> write_offset_checkpoint(const fs::path& file, const OffsetMap& offsets) {
    std::vector<std::string> lines;
    lines.reserve(offsets.size());
    for (const auto& [tp, offset] : offsets) {
        lines.push_back(tp.topic + " " + std::to_string(tp.partition) + " "
                        + std::to_string(offset));
    }
    return write_checkpoint_lines(file, lines);
}

Result<std::optional<protocol::Uuid>> read_partition_metadata(const fs::path& partition_dir) {
    using Out = std::optional<protocol::Uuid>;
    const fs::path file = partition_dir / kPartitionMetadataFile;
    auto text = read_whole_file(file);
    if (!text) {
        return unexpected<Error>(text.error());
    }
    if (!text->has_value()) {
        return Out();
    }
    auto bad = [&](std::string_view line) {
        return unexpected<Error>(
            Error{Errc::corruption, "Malformed line in partition metadata file [" + file.string()
                                        + "]: " + std::string(line)});
    };
    std::vector<std::string> lines = split_lines(**text);
    // "key: value", split on ':' followed by whitespace (PartitionMetadataReadBuffer).
    auto value_of = [](std::string_view line,
                       std::string_view key) -> std::optional<std::string_view> {
        if (line.size() <= key.size() + 1 || line.substr(0, key.size()) != key
            || line[key.size()] != ':') {
            return std::nullopt;
        }
        size_t i = key.size() + 1;
        size_t ws = i;
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
            ++i;
        }
        if (i == ws) {
            return std::nullopt;
        }
        return line.substr(i);
    };
    if (lines.empty()) {
        return bad("null");
    }
    auto version_text = value_of(lines[0], "version");
    if (!version_text) {
        return bad(lines[0]);
    }
    auto version = parse_int<int32_t>(*version_text);
    if (!version) {
        return bad(lines[0]);
    }
    if (*version < 0) {
        return unexpected<Error>(
            Error{Errc::corruption, "Unrecognized version of partition metadata file ("
                                        + file.string() + "): " + std::to_string(*version)});
    }
    if (lines.size() < 2) {
        return bad("null");
    }
    auto id_text = value_of(lines[1], "topic_id");
    if (!id_text) {
        return bad(lines[1]);
    }
    auto id = protocol::Uuid::from_string(*id_text);
    if (!id) {
        return bad(lines[1]);
    }
    if (id->is_zero()) {
        return unexpected<Error>(
            Error{Errc::corruption,
                  "Invalid topic ID in partition metadata file (" + file.string() + ")"});
    }
    return Out(*id);
}

Result<bool> write_partition_metadata(const fs::path& partition_dir,
                                      const protocol::Uuid& topic_id) {
    // No trailing newline: PartitionMetadata.encode() writes exactly these two lines.
    return write_file_atomically(partition_dir / kPartitionMetadataFile,
                                 "version: 0\ntopic_id: " + topic_id.to_string());
}

bool clean_shutdown_marker_exists(const fs::path& log_dir) {
    std::error_code ec;
    return fs::exists(log_dir / kCleanShutdownFile, ec);
}

Result<bool> write_clean_shutdown_marker(const fs::path& log_dir, int64_t broker_epoch) {
    return write_file_atomically(
        log_dir / kCleanShutdownFile,
        "{\"version\":0,\"brokerEpoch\":" + std::to_string(broker_epoch) + "}");
}

Result<bool> remove_clean_shutdown_marker(const fs::path& log_dir) {
    const fs::path file = log_dir / kCleanShutdownFile;
    if (::unlink(file.c_str()) != 0) {
        if (errno == ENOENT) {
            return true;
        }
        return unexpected<Error>(io_error("cannot delete", file, errno));
    }
    return fsync_dir(log_dir);
}

std::optional<int64_t> read_clean_shutdown_broker_epoch(const fs::path& log_dir) {
    auto text = read_whole_file(log_dir / kCleanShutdownFile);
    if (!text || !text->has_value()) {
        return std::nullopt;
    }
    const std::string& s = **text;
    constexpr std::string_view key = "\"brokerEpoch\"";
    size_t at = s.find(key);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    size_t i = at + key.size();
    while (i < s.size() && (s[i] == ' ' || s[i] == ':' || s[i] == '\t')) {
        ++i;
    }
    size_t end = i;
    while (end < s.size() && (s[end] == '-' || (s[end] >= '0' && s[end] <= '9'))) {
        ++end;
    }
    return parse_int<int64_t>(std::string_view(s).substr(i, end - i));
}

std::string delete_dir_name(const TopicPartition& tp) {
    protocol::Uuid id = protocol::Uuid::random();
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(32);
    for (uint8_t b : id.bytes) {
        hex += kHex[b >> 4];
        hex += kHex[b & 0xf];
    }
    std::string suffix =
        "-" + std::to_string(tp.partition) + "." + hex + std::string(kDeleteDirSuffix);
    constexpr size_t kMaxName = 255;
    std::string topic = tp.topic;
    if (topic.size() + suffix.size() > kMaxName) {
        topic.resize(kMaxName - suffix.size());
    }
    return topic + suffix;
}

}  // namespace gregor::storage
