#include "gregor/broker/config.h"

#include "gregor/common/assert.h"
#include "gregor/common/logging.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

namespace gregor::broker {
namespace {

// ---------------------------------------------------------------------------------------------
// Small text helpers

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

std::string to_upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Kafka's list syntax: comma-separated, whitespace around items ignored, "" is the empty list.
std::vector<std::string> split_csv(std::string_view text) {
    std::vector<std::string> out;
    text = trim(text);
    if (text.empty()) {
        return out;
    }
    size_t start = 0;
    while (true) {
        size_t comma = text.find(',', start);
        out.emplace_back(trim(text.substr(start, comma - start)));
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += sep;
        }
        out += items[i];
    }
    return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
    return join(lines, "\n");
}

template <typename Int>
std::optional<Int> parse_integer(std::string_view text) {
    text = trim(text);
    // Java's parseInt/parseLong take a leading '+'; from_chars does not.
    if (text.size() > 1 && text.front() == '+' && text[1] != '-') {
        text.remove_prefix(1);
    }
    Int value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

std::optional<double> parse_double(std::string_view text) {
    text = trim(text);
    if (text.size() > 1 && text.front() == '+') {
        text.remove_prefix(1);
    }
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()
        || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// Java's Double.toString keeps a ".0" on whole numbers; DescribeConfigs clients expect "0.5",
// "1.0".
std::string format_double(double value) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    GREGOR_ASSERT(ec == std::errc(), "to_chars(double) failed");
    std::string out(buf, end);
    if (out.find_first_of(".eEn") == std::string::npos) {
        out += ".0";
    }
    return out;
}

enum class IpFamily { None, V4, V6 };

IpFamily ip_family(const std::string& host) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, host.c_str(), buf) == 1) {
        return IpFamily::V4;
    }
    if (inet_pton(AF_INET6, host.c_str(), buf) == 1) {
        return IpFamily::V6;
    }
    return IpFamily::None;
}

// ---------------------------------------------------------------------------------------------
// Validator builders, to keep the table below readable

using VK = Validator::Kind;

Validator none() {
    return {};
}

Validator of_kind(VK kind) {
    Validator v;
    v.kind = kind;
    return v;
}

Validator between(int64_t lo, int64_t hi) {
    Validator v = of_kind(VK::IntRange);
    v.min = lo;
    v.max = hi;
    return v;
}

Validator at_least(int64_t lo) {
    return between(lo, INT64_MAX);
}

Validator between_or(int64_t lo, int64_t hi, int64_t also) {
    Validator v = between(lo, hi);
    v.also = also;
    return v;
}

Validator ratio(double lo, double hi) {
    Validator v = of_kind(VK::DoubleRange);
    v.dmin = lo;
    v.dmax = hi;
    return v;
}

Validator one_of(std::initializer_list<std::string_view> choices) {
    Validator v = of_kind(VK::OneOf);
    v.choices = choices;
    return v;
}

Validator list_of(std::initializer_list<std::string_view> choices) {
    Validator v = of_kind(VK::ListOf);
    v.choices = choices;
    return v;
}

Validator unique_list() {
    return of_kind(VK::UniqueList);
}

Validator non_empty(Validator v) {
    v.non_empty = true;
    return v;
}

Validator required(Validator v) {
    v.required = true;
    return v;
}

// ---------------------------------------------------------------------------------------------
// The definition table. Defaults, types, validators, importance and update modes are Kafka
// 4.x's (ServerConfigs, SocketServerConfigs, KRaftConfigs, QuorumConfig, ServerLogConfigs,
// LogConfig, ReplicationConfigs, GroupCoordinatorConfig, TransactionLogConfig,
// BrokerSecurityConfigs, DynamicBrokerConfig); the docs are ours. Deliberate differences:
//   num.network.threads defaults to the number of cores (Kafka: 3): one io_context per core.
//   cluster.id, gregor.admin.http.port, log.level and log.level.<module> are Gregor's own.

constexpr auto B = ConfigType::Boolean;
constexpr auto S = ConfigType::String;
constexpr auto I = ConfigType::Int;
constexpr auto SH = ConfigType::Short;
constexpr auto L = ConfigType::Long;
constexpr auto D = ConfigType::Double;
constexpr auto LST = ConfigType::List;
constexpr auto CLS = ConfigType::Class;
constexpr auto PW = ConfigType::Password;
constexpr auto HIGH = Importance::High;
constexpr auto MED = Importance::Medium;
constexpr auto LOW = Importance::Low;
constexpr auto RO = UpdateMode::ReadOnly;
constexpr auto PB = UpdateMode::PerBroker;
constexpr auto CW = UpdateMode::ClusterWide;
constexpr auto K = ConfigOrigin::Kafka;
constexpr auto G = ConfigOrigin::Gregor;
constexpr const char* kNull = nullptr;
constexpr const char* kIntMax = "2147483647";
constexpr const char* kLongMax = "9223372036854775807";

struct Row {
    const char* name;
    ConfigType type;
    const char* default_text;  // kNull = null
    Validator validator;
    Importance importance;
    UpdateMode mode;
    const char* doc;
    ConfigOrigin origin;
};

std::vector<Row> definition_rows(const char* cores) {
    return {
        // --- Node identity and KRaft ---
        {"process.roles", LST, kNull, required(non_empty(list_of({"broker", "controller"}))), HIGH,
         RO, "Roles this node plays: broker, controller, or both (combined mode).", K},
        {"node.id", I, kNull, required(at_least(0)), HIGH, RO,
         "This node's id in the cluster; broker.id is accepted as an alias.", K},
        {"broker.id", I, "-1", none(), HIGH, RO,
         "Older name for node.id; when both are set they must be equal.", K},
        {"controller.listener.names", LST, kNull, required(non_empty(unique_list())), HIGH, RO,
         "Listener names the controllers use; brokers connect to controllers on the first.", K},
        {"controller.quorum.voters", LST, "", of_kind(VK::QuorumVoters), HIGH, RO,
         "Static controller quorum as id@host:port entries.", K},
        {"controller.quorum.bootstrap.servers", LST, "", of_kind(VK::HostPorts), HIGH, RO,
         "host:port of controllers to discover a dynamic quorum from.", K},
        {"controller.quorum.election.timeout.ms", I, "1000", at_least(0), HIGH, RO,
         "Time without a leader before a voter starts an election.", K},
        {"controller.quorum.fetch.timeout.ms", I, "2000", at_least(0), HIGH, RO,
         "Time without a successful fetch from the leader before a voter suspects it.", K},
        {"controller.quorum.election.backoff.max.ms", I, "1000", at_least(0), HIGH, RO,
         "Upper bound of the randomised back-off between elections.", K},
        {"controller.quorum.append.linger.ms", I, "25", at_least(0), MED, RO,
         "How long the Raft leader batches appends before flushing them.", K},
        {"controller.quorum.request.timeout.ms", I, "2000", at_least(0), MED, RO,
         "Timeout for requests between quorum members.", K},
        {"controller.quorum.retry.backoff.ms", I, "20", at_least(0), LOW, RO,
         "Wait before retrying a failed quorum request.", K},
        {"controller.socket.timeout.ms", I, "30000", none(), MED, RO,
         "How long a broker waits for the controller's answer to a forwarded request.", K},
        {"broker.heartbeat.interval.ms", I, "2000", none(), MED, RO,
         "Interval between a broker's heartbeats to the active controller.", K},
        {"broker.session.timeout.ms", I, "9000", none(), MED, RO,
         "A broker missing heartbeats for this long is fenced.", K},
        {"initial.broker.registration.timeout.ms", I, "60000", none(), MED, RO,
         "How long a starting broker waits for registration before exiting.", K},
        {"metadata.log.dir", S, kNull, none(), HIGH, RO,
         "Directory of the __cluster_metadata log; default: the first log directory.", K},
        {"metadata.log.segment.bytes", I, "1073741824", at_least(8 * 1024 * 1024), HIGH, RO,
         "Segment size of the metadata log.", K},
        {"metadata.log.segment.ms", L, "604800000", none(), HIGH, RO,
         "Age after which a metadata log segment is rolled.", K},
        {"metadata.max.retention.bytes", L, "104857600", none(), HIGH, RO,
         "Metadata log size kept before snapshotted segments are deleted.", K},
        {"metadata.max.retention.ms", L, "604800000", none(), HIGH, RO,
         "Age after which snapshotted metadata log segments are deleted.", K},
        {"metadata.log.max.record.bytes.between.snapshots", L, "20971520", at_least(1), HIGH, RO,
         "New metadata bytes that trigger a snapshot.", K},
        {"metadata.log.max.snapshot.interval.ms", L, "3600000", at_least(0), HIGH, RO,
         "Maximum time between snapshots when there are new records; 0 disables.", K},
        {"metadata.max.idle.interval.ms", I, "500", at_least(0), LOW, RO,
         "How often an idle active controller appends a no-op record; 0 disables.", K},
        {"cluster.id", S, kNull, of_kind(VK::ClusterId), HIGH, RO,
         "Cluster id (22-char base64 UUID) used to format empty log directories; Kafka keeps it "
         "only in meta.properties.",
         G},
        {"broker.rack", S, kNull, none(), MED, RO,
         "Rack (availability zone) of this broker, for rack-aware replica placement.", K},

        // --- Network ---
        {"listeners", S, "PLAINTEXT://:9092", of_kind(VK::Listeners), HIGH, PB,
         "Comma-separated NAME://host:port sockets to listen on; empty host = all interfaces.", K},
        {"advertised.listeners", S, kNull, of_kind(VK::Listeners), HIGH, PB,
         "Addresses published to clients and other nodes; defaults to listeners.", K},
        {"listener.security.protocol.map", S,
         "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
         of_kind(VK::ProtocolMap), LOW, PB,
         "NAME:PROTOCOL pairs giving each listener its security protocol.", K},
        {"inter.broker.listener.name", S, kNull, none(), MED, RO,
         "Listener brokers use to talk to each other; default: security.inter.broker.protocol.", K},
        {"security.inter.broker.protocol", S, "PLAINTEXT",
         one_of({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}), MED, RO,
         "Protocol between brokers when inter.broker.listener.name is unset.", K},
        {"num.network.threads", I, cores, at_least(1), HIGH, CW,
         "Network threads (one io_context each); Gregor defaults to the core count, Kafka to 3.",
         K},
        {"num.io.threads", I, "8", at_least(1), HIGH, CW, "Threads for disk-bound request work.",
         K},
        {"background.threads", I, "10", at_least(1), HIGH, CW,
         "Threads for background tasks such as retention and deletion.", K},
        {"socket.request.max.bytes", I, "104857600", at_least(1), HIGH, RO,
         "Largest request frame accepted.", K},
        {"socket.send.buffer.bytes", I, "102400", none(), HIGH, RO,
         "SO_SNDBUF of client sockets; -1 keeps the OS default.", K},
        {"socket.receive.buffer.bytes", I, "102400", none(), HIGH, RO,
         "SO_RCVBUF of client sockets; -1 keeps the OS default.", K},
        {"socket.listen.backlog.size", I, "50", at_least(1), MED, RO,
         "Pending-connection backlog of each listening socket.", K},
        {"queued.max.requests", I, "500", at_least(1), HIGH, RO,
         "Requests queued for processing before network threads stop reading.", K},
        {"queued.max.request.bytes", L, "-1", none(), MED, RO,
         "Bytes of queued requests before reading stops; -1 = no limit.", K},
        {"connections.max.idle.ms", L, "600000", none(), MED, RO,
         "Idle connections are closed after this long.", K},
        {"connections.max.reauth.ms", L, "0", none(), MED, RO,
         "Maximum SASL session lifetime before re-authentication; 0 = never.", K},
        {"max.connections", I, kIntMax, at_least(0), MED, CW,
         "Most connections the broker accepts at once.", K},
        {"max.connections.per.ip", I, kIntMax, at_least(0), MED, CW,
         "Most connections accepted from one IP address.", K},
        {"max.connections.per.ip.overrides", S, "", none(), MED, CW,
         "host:count or ip:count exceptions to max.connections.per.ip.", K},
        {"max.connection.creation.rate", I, kIntMax, at_least(0), MED, CW,
         "Most new connections accepted per second.", K},
        {"connection.failed.authentication.delay.ms", I, "100", at_least(0), LOW, RO,
         "Delay before closing a connection that failed authentication.", K},
        {"sasl.server.max.receive.size", I, "524288", none(), MED, RO,
         "Largest frame accepted before SASL authentication completes.", K},

        // --- Security ---
        {"sasl.enabled.mechanisms", LST, "GSSAPI", none(), MED, PB,
         "SASL mechanisms the broker offers.", K},
        {"sasl.mechanism.inter.broker.protocol", S, "GSSAPI", none(), MED, PB,
         "SASL mechanism brokers use with each other.", K},
        {"sasl.mechanism.controller.protocol", S, "GSSAPI", none(), HIGH, RO,
         "SASL mechanism used to reach the controllers.", K},
        {"sasl.jaas.config", PW, kNull, none(), MED, PB,
         "JAAS login text for SASL; usually set per listener and mechanism.", K},
        {"ssl.keystore.type", S, "JKS", none(), MED, PB, "Format of the key store file.", K},
        {"ssl.keystore.location", S, kNull, none(), HIGH, PB, "Path of the key store.", K},
        {"ssl.keystore.password", PW, kNull, none(), HIGH, PB, "Password of the key store.", K},
        {"ssl.key.password", PW, kNull, none(), HIGH, PB,
         "Password of the private key in the key store.", K},
        {"ssl.keystore.key", PW, kNull, none(), HIGH, PB,
         "Private key in PEM, given inline instead of a key store file.", K},
        {"ssl.keystore.certificate.chain", PW, kNull, none(), HIGH, PB,
         "Certificate chain in PEM, given inline instead of a key store file.", K},
        {"ssl.truststore.type", S, "JKS", none(), MED, PB, "Format of the trust store file.", K},
        {"ssl.truststore.location", S, kNull, none(), HIGH, PB, "Path of the trust store.", K},
        {"ssl.truststore.password", PW, kNull, none(), HIGH, PB, "Password of the trust store.", K},
        {"ssl.truststore.certificates", PW, kNull, none(), HIGH, PB,
         "Trusted certificates in PEM, given inline instead of a trust store file.", K},
        {"ssl.client.auth", S, "none", one_of({"required", "requested", "none"}), MED, PB,
         "Whether TLS clients must (required), may (requested) or need not present a cert.", K},
        {"ssl.protocol", S, "TLSv1.3", none(), MED, PB, "TLS protocol used for contexts.", K},
        {"ssl.enabled.protocols", LST, "TLSv1.2,TLSv1.3", none(), MED, PB, "TLS versions accepted.",
         K},
        {"ssl.cipher.suites", LST, "", none(), LOW, PB,
         "Cipher suites allowed; empty = the library's defaults.", K},
        {"ssl.endpoint.identification.algorithm", S, "https", none(), LOW, PB,
         "Host name verification of peer certificates; empty disables it.", K},
        {"ssl.principal.mapping.rules", S, "DEFAULT", none(), LOW, RO,
         "Rules mapping a client certificate's distinguished name to a principal.", K},
        {"principal.builder.class", CLS,
         "org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder", none(), MED,
         PB, "How principals are built from TLS or SASL sessions.", K},
        {"authorizer.class.name", S, "", none(), LOW, RO,
         "Authorizer to enforce ACLs with; empty = no authorization.", K},
        {"super.users", S, kNull, none(), LOW, RO,
         "Semicolon-separated principals (User:name) that bypass ACLs.", K},
        {"allow.everyone.if.no.acl.found", B, "false", none(), LOW, RO,
         "Whether resources without any ACL are open to everyone.", K},

        // --- Topics and the log ---
        {"auto.create.topics.enable", B, "true", none(), HIGH, RO,
         "Create a topic when a client asks for metadata of one that does not exist.", K},
        {"num.partitions", I, "1", at_least(1), MED, RO,
         "Partition count of topics created without one.", K},
        {"default.replication.factor", I, "1", none(), MED, RO,
         "Replication factor of topics created without one.", K},
        {"min.insync.replicas", I, "1", at_least(1), HIGH, CW,
         "Replicas that must hold a write before acks=all succeeds.", K},
        {"message.max.bytes", I, "1048588", at_least(0), HIGH, CW,
         "Largest record batch a topic accepts.", K},
        {"delete.topic.enable", B, "true", none(), HIGH, RO, "Whether topics can be deleted.", K},
        {"unclean.leader.election.enable", B, "false", none(), HIGH, CW,
         "Allow an out-of-sync replica to become leader, losing data, when no ISR is left.", K},
        {"compression.type", S, "producer",
         one_of({"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}), HIGH, CW,
         "Compression of stored batches; producer keeps what the producer sent.", K},
        {"compression.gzip.level", I, "-1", between_or(1, 9, -1), MED, CW,
         "gzip level when compression.type is gzip; -1 = the codec default.", K},
        {"compression.lz4.level", I, "9", between(1, 17), MED, CW,
         "lz4 level when compression.type is lz4.", K},
        {"compression.zstd.level", I, "3", between(-131072, 22), MED, CW,
         "zstd level when compression.type is zstd.", K},
        {"log.dirs", LST, kNull, non_empty(unique_list()), HIGH, RO,
         "Directories holding partition data; default: log.dir.", K},
        {"log.dir", LST, "/tmp/kafka-logs", non_empty(unique_list()), HIGH, RO,
         "Data directories used when log.dirs is unset.", K},
        {"log.segment.bytes", I, "1073741824", at_least(1024 * 1024), HIGH, CW,
         "Size at which a segment is rolled.", K},
        {"log.roll.ms", L, kNull, none(), HIGH, CW,
         "Age at which a segment is rolled; default: log.roll.hours.", K},
        {"log.roll.hours", I, "168", at_least(1), HIGH, RO,
         "Age in hours at which a segment is rolled, if log.roll.ms is unset.", K},
        {"log.roll.jitter.ms", L, kNull, none(), HIGH, CW,
         "Random jitter subtracted from the roll time; default: log.roll.jitter.hours.", K},
        {"log.roll.jitter.hours", I, "0", at_least(0), HIGH, RO,
         "Roll jitter in hours, if log.roll.jitter.ms is unset.", K},
        {"log.retention.ms", L, kNull, none(), HIGH, CW,
         "Age after which segments are deleted; -1 = forever; default: log.retention.minutes.", K},
        {"log.retention.minutes", I, kNull, none(), HIGH, RO,
         "Retention in minutes, if log.retention.ms is unset; default: log.retention.hours.", K},
        {"log.retention.hours", I, "168", none(), HIGH, RO,
         "Retention in hours, if neither log.retention.ms nor .minutes is set.", K},
        {"log.retention.bytes", L, "-1", none(), HIGH, CW,
         "Partition size above which old segments are deleted; -1 = no limit.", K},
        {"log.retention.check.interval.ms", L, "300000", at_least(1), MED, RO,
         "How often retention is checked.", K},
        {"log.cleanup.policy", LST, "delete", list_of({"compact", "delete"}), MED, CW,
         "What happens to old segments: delete, compact, or both.", K},
        {"log.index.size.max.bytes", I, "10485760", at_least(4), MED, CW,
         "Largest offset index per segment; a full index rolls the segment.", K},
        {"log.index.interval.bytes", I, "4096", at_least(0), MED, CW,
         "Bytes appended between offset index entries.", K},
        {"log.flush.interval.messages", L, kLongMax, at_least(1), HIGH, CW,
         "Messages appended before a forced fsync.", K},
        {"log.flush.interval.ms", L, kNull, none(), HIGH, CW,
         "Age of unflushed data before a forced fsync; default: log.flush.scheduler.interval.ms.",
         K},
        {"log.flush.scheduler.interval.ms", L, kLongMax, none(), HIGH, RO,
         "How often the flusher checks for logs to fsync.", K},
        {"log.flush.offset.checkpoint.interval.ms", I, "60000", at_least(0), HIGH, RO,
         "How often the recovery-point checkpoint is written.", K},
        {"log.flush.start.offset.checkpoint.interval.ms", I, "60000", at_least(0), HIGH, RO,
         "How often the log-start-offset checkpoint is written.", K},
        {"log.segment.delete.delay.ms", L, "60000", at_least(0), HIGH, CW,
         "Delay between unlinking a segment from the log and deleting its files.", K},
        {"log.preallocate", B, "false", none(), MED, CW,
         "Preallocate segment files when they are created.", K},
        {"num.recovery.threads.per.data.dir", I, "2", at_least(1), HIGH, CW,
         "Threads per data directory for recovery at startup and flush at shutdown.", K},
        {"log.message.timestamp.type", S, "CreateTime", one_of({"CreateTime", "LogAppendTime"}),
         MED, CW, "Whether stored timestamps are the producer's or the broker's append time.", K},
        {"log.message.timestamp.before.max.ms", L, kLongMax, at_least(0), MED, CW,
         "How far in the past a CreateTime timestamp may be.", K},
        {"log.message.timestamp.after.max.ms", L, "3600000", at_least(0), MED, CW,
         "How far in the future a CreateTime timestamp may be.", K},
        {"log.cleaner.enable", B, "true", none(), MED, RO,
         "Run the log cleaner (needed for compacted topics).", K},
        {"log.cleaner.threads", I, "1", at_least(0), MED, CW, "Log cleaner threads.", K},
        {"log.cleaner.dedupe.buffer.size", L, "134217728", none(), MED, CW,
         "Memory for the cleaners' key deduplication maps.", K},
        {"log.cleaner.io.buffer.size", I, "524288", at_least(0), MED, CW,
         "I/O buffer memory of the cleaners.", K},
        {"log.cleaner.backoff.ms", L, "15000", at_least(0), MED, CW,
         "Sleep of a cleaner that found nothing to clean.", K},
        {"log.cleaner.min.cleanable.ratio", D, "0.5", ratio(0, 1), MED, CW,
         "Dirty fraction of a log that makes it eligible for compaction.", K},
        {"log.cleaner.delete.retention.ms", L, "86400000", at_least(0), MED, CW,
         "How long tombstones are kept in compacted topics.", K},
        {"log.cleaner.min.compaction.lag.ms", L, "0", at_least(0), MED, CW,
         "Minimum age of a record before it may be compacted.", K},
        {"log.cleaner.max.compaction.lag.ms", L, kLongMax, at_least(1), MED, CW,
         "Maximum age of a record before compaction becomes due.", K},
        {"log.local.retention.ms", L, "-2", at_least(-2), MED, CW,
         "Local retention with tiered storage; -2 = use log.retention.ms.", K},
        {"log.local.retention.bytes", L, "-2", at_least(-2), MED, CW,
         "Local size limit with tiered storage; -2 = use log.retention.bytes.", K},

        // --- Replication and fetch ---
        {"replica.lag.time.max.ms", L, "30000", none(), HIGH, RO,
         "A follower not caught up for this long leaves the ISR.", K},
        {"num.replica.fetchers", I, "1", none(), HIGH, CW, "Fetcher threads per source broker.", K},
        {"replica.fetch.max.bytes", I, "1048576", at_least(0), MED, RO,
         "Bytes a follower asks for per partition.", K},
        {"replica.fetch.response.max.bytes", I, "10485760", at_least(0), MED, RO,
         "Bytes a follower asks for per fetch response.", K},
        {"replica.fetch.wait.max.ms", I, "500", none(), HIGH, RO,
         "Long-poll wait of follower fetches.", K},
        {"replica.fetch.min.bytes", I, "1", none(), HIGH, RO, "Bytes a follower fetch waits for.",
         K},
        {"replica.fetch.backoff.ms", I, "1000", at_least(0), MED, RO,
         "Sleep after a failed follower fetch.", K},
        {"replica.socket.timeout.ms", I, "30000", none(), HIGH, RO,
         "Socket timeout of follower fetches.", K},
        {"replica.high.watermark.checkpoint.interval.ms", L, "5000", none(), HIGH, RO,
         "How often high watermarks are checkpointed.", K},
        {"auto.leader.rebalance.enable", B, "true", none(), HIGH, RO,
         "Move leadership back to preferred replicas in the background.", K},
        {"leader.imbalance.check.interval.seconds", L, "300", at_least(1), HIGH, RO,
         "How often leader balance is checked.", K},
        {"leader.imbalance.per.broker.percentage", I, "10", none(), HIGH, RO,
         "Imbalance per broker, in percent, that triggers a rebalance.", K},
        {"fetch.max.bytes", I, "57671680", at_least(1024), MED, RO,
         "Most bytes returned by one consumer fetch.", K},
        {"max.incremental.fetch.session.cache.slots", I, "1000", at_least(0), MED, RO,
         "Incremental fetch sessions kept per broker.", K},
        {"max.request.partition.size.limit", I, "2000", at_least(1), LOW, RO,
         "Most partitions one DescribeTopicPartitions answer holds.", K},

        // --- Groups and offsets ---
        {"offsets.topic.num.partitions", I, "50", at_least(1), HIGH, RO,
         "Partitions of __consumer_offsets (do not change after creation).", K},
        {"offsets.topic.replication.factor", SH, "3", at_least(1), HIGH, RO,
         "Replication factor of __consumer_offsets.", K},
        {"offsets.topic.segment.bytes", I, "104857600", at_least(1), HIGH, RO,
         "Segment size of __consumer_offsets.", K},
        {"offsets.retention.minutes", I, "10080", at_least(1), HIGH, RO,
         "How long committed offsets of an empty group are kept.", K},
        {"offsets.retention.check.interval.ms", L, "600000", at_least(1), HIGH, RO,
         "How often expired offsets are looked for.", K},
        {"offsets.commit.timeout.ms", I, "5000", at_least(1), HIGH, RO,
         "How long an offset commit waits for replication.", K},
        {"offset.metadata.max.bytes", I, "4096", none(), HIGH, RO,
         "Largest metadata string an offset commit may carry.", K},
        {"group.initial.rebalance.delay.ms", I, "3000", none(), MED, RO,
         "Wait for more members before the first rebalance of a new classic group.", K},
        {"group.min.session.timeout.ms", I, "6000", none(), MED, RO,
         "Smallest session timeout a classic group member may ask for.", K},
        {"group.max.session.timeout.ms", I, "1800000", none(), MED, RO,
         "Largest session timeout a classic group member may ask for.", K},
        {"group.max.size", I, kIntMax, at_least(1), MED, RO, "Most members in a group.", K},
        {"group.consumer.session.timeout.ms", I, "45000", at_least(1), MED, RO,
         "Session timeout of consumer-protocol (KIP-848) members.", K},
        {"group.consumer.heartbeat.interval.ms", I, "5000", at_least(1), MED, RO,
         "Heartbeat interval of consumer-protocol members.", K},
        {"group.consumer.min.session.timeout.ms", I, "45000", at_least(1), MED, RO,
         "Smallest session timeout of consumer-protocol groups.", K},
        {"group.consumer.max.session.timeout.ms", I, "60000", at_least(1), MED, RO,
         "Largest session timeout of consumer-protocol groups.", K},

        // --- Transactions and producer state ---
        {"transaction.state.log.num.partitions", I, "50", at_least(1), HIGH, RO,
         "Partitions of __transaction_state (do not change after creation).", K},
        {"transaction.state.log.replication.factor", SH, "3", at_least(1), HIGH, RO,
         "Replication factor of __transaction_state.", K},
        {"transaction.state.log.min.isr", I, "2", at_least(1), HIGH, RO,
         "min.insync.replicas of __transaction_state.", K},
        {"transaction.state.log.segment.bytes", I, "104857600", at_least(1), HIGH, RO,
         "Segment size of __transaction_state.", K},
        {"transaction.max.timeout.ms", I, "900000", at_least(1), HIGH, RO,
         "Largest transaction timeout a producer may ask for.", K},
        {"transactional.id.expiration.ms", I, "604800000", at_least(1), HIGH, RO,
         "Idle time after which a transactional id is forgotten.", K},
        {"producer.id.expiration.ms", I, "86400000", at_least(1), LOW, CW,
         "Idle time after which an idempotent producer's state is dropped.", K},

        // --- Gregor's own ---
        {"gregor.log.open.files.max", I, "0", at_least(0), MED, RO,
         "Descriptors that segment files may hold open across every partition (least recently "
         "used closed first); 0 = half of the process's open-file limit.",
         G},
        {"gregor.delayed.operations.max", I, "100000", at_least(0), MED, RO,
         "Operations parked waiting on partitions (long-poll fetches, acks=all produces); past "
         "it a request is answered at once instead of waiting.",
         G},
        {"gregor.groups.max", I, "100000", at_least(1), LOW, RO,
         "Most groups (with members or committed offsets) this coordinator holds.", G},
        {"gregor.admin.http.port", I, "9644", between(-1, 65535), MED, RO,
         "Port of the admin HTTP server (/metrics for Prometheus, health); 0 = any free port, "
         "-1 = disabled.",
         G},
        {"log.level", S, "info", of_kind(VK::LogLevel), MED, RO,
         "Level of every module logger: trace, debug, info, warn, error, critical or off.", G},
        {"log.level.net", S, kNull, of_kind(VK::LogLevel), LOW, RO,
         "Level of the net module's logger; default: log.level.", G},
        {"log.level.protocol", S, kNull, of_kind(VK::LogLevel), LOW, RO,
         "Level of the protocol module's logger; default: log.level.", G},
        {"log.level.storage", S, kNull, of_kind(VK::LogLevel), LOW, RO,
         "Level of the storage module's logger; default: log.level.", G},
        {"log.level.replication", S, kNull, of_kind(VK::LogLevel), LOW, RO,
         "Level of the replication module's logger; default: log.level.", G},
        {"log.level.controller", S, kNull, of_kind(VK::LogLevel), LOW, RO,
         "Level of the controller module's logger; default: log.level.", G},
        {"log.level.coordinator", S, kNull, of_kind(VK::LogLevel), LOW, RO,
         "Level of the coordinator module's logger; default: log.level.", G},
        {"log.level.security", S, kNull, of_kind(VK::LogLevel), LOW, RO,
         "Level of the security module's logger; default: log.level.", G},
        {"log.level.broker", S, kNull, of_kind(VK::LogLevel), LOW, RO,
         "Level of the broker module's logger; default: log.level.", G},
    };
}

// ---------------------------------------------------------------------------------------------
// Parsing one value

// The value as given: a scalar's text, or a YAML sequence's items.
using RawValue = std::variant<std::string, std::vector<std::string>>;

struct RawEntry {
    RawValue value;
    ConfigSource source;
};

// Kafka keeps these as comma-separated strings, but a YAML sequence is the natural way to write
// them, so a sequence is joined back into the string.
bool takes_csv_string(const ConfigDef& def) {
    switch (def.validator.kind) {
        case VK::Listeners:
        case VK::ProtocolMap:
            return true;
        default:
            return false;
    }
}

result<ConfigValue, std::string> parse_text(ConfigType type, std::string_view raw) {
    std::string_view text = trim(raw);
    switch (type) {
        case ConfigType::Boolean: {
            std::string lower = to_lower(text);
            if (lower == "true") {
                return ConfigValue(true);
            }
            if (lower == "false") {
                return ConfigValue(false);
            }
            return unexpected(std::string("expected true or false"));
        }
        case ConfigType::Int:
            if (auto v = parse_integer<int32_t>(text)) {
                return ConfigValue(*v);
            }
            return unexpected(std::string("not a number of type INT"));
        case ConfigType::Short:
            if (auto v = parse_integer<int16_t>(text)) {
                return ConfigValue(static_cast<int32_t>(*v));
            }
            return unexpected(std::string("not a number of type SHORT"));
        case ConfigType::Long:
            if (auto v = parse_integer<int64_t>(text)) {
                return ConfigValue(*v);
            }
            return unexpected(std::string("not a number of type LONG"));
        case ConfigType::Double:
            if (auto v = parse_double(text)) {
                return ConfigValue(*v);
            }
            return unexpected(std::string("not a number of type DOUBLE"));
        case ConfigType::List:
            return ConfigValue(split_csv(text));
        case ConfigType::String:
        case ConfigType::Class:
        case ConfigType::Password:
            return ConfigValue(std::string(text));
    }
    return unexpected(std::string("unknown type"));
}

result<ConfigValue, std::string> parse_raw(const ConfigDef& def, const RawValue& raw) {
    if (const auto* text = std::get_if<std::string>(&raw)) {
        return parse_text(def.type, *text);
    }
    const auto& items = std::get<std::vector<std::string>>(raw);
    if (def.type == ConfigType::List) {
        std::vector<std::string> out;
        for (const auto& item : items) {
            out.emplace_back(trim(item));
        }
        return ConfigValue(std::move(out));
    }
    if (takes_csv_string(def)) {
        return parse_text(def.type, join(items, ","));
    }
    return unexpected(std::string("expected a single value, not a list"));
}

// ---------------------------------------------------------------------------------------------
// Listener, voter and host:port syntax

bool is_listener_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

// Kafka's endpoint regex allows these in a host.
bool is_host_text(std::string_view host) {
    return std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '%' || c == '.' || c == '_' || c == ':';
    });
}

std::optional<uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5
        || !std::all_of(text.begin(), text.end(),
                        [](unsigned char c) { return std::isdigit(c); })) {
        return std::nullopt;
    }
    auto v = parse_integer<int32_t>(text);
    if (!v || *v > 65535) {
        return std::nullopt;
    }
    return static_cast<uint16_t>(*v);
}

// "host:port", "[v6]:port", ":port" (empty host) or an unbracketed IPv6 "::1:port" as Kafka's
// greedy regex reads it.
result<HostPort, std::string> parse_host_port(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return unexpected(std::string("expected [ipv6]:port"));
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return unexpected(std::string("missing :port"));
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (!is_host_text(host)) {
        return unexpected("invalid host '" + std::string(host) + "'");
    }
    auto p = parse_port(port);
    if (!p) {
        return unexpected("invalid port '" + std::string(port) + "' (expected 0-65535)");
    }
    return HostPort{std::string(host), *p};
}

result<std::vector<QuorumVoter>, std::string> parse_voters(const std::vector<std::string>& items) {
    std::vector<QuorumVoter> out;
    for (const auto& item : items) {
        size_t at = item.find('@');
        int32_t id =
            at == std::string::npos
                ? -1
                : parse_integer<int32_t>(std::string_view(item).substr(0, at)).value_or(-1);
        if (id < 0) {
            return unexpected("'" + item + "' is not id@host:port with a non-negative id");
        }
        auto hp = parse_host_port(std::string_view(item).substr(at + 1));
        if (!hp || hp->host.empty()) {
            return unexpected("'" + item + "' is not id@host:port"
                              + (hp ? std::string(" (empty host)") : ": " + hp.error()));
        }
        out.push_back(QuorumVoter{id, hp->host, hp->port});
    }
    return out;
}

result<std::vector<HostPort>, std::string> parse_host_ports(const std::vector<std::string>& items) {
    std::vector<HostPort> out;
    for (const auto& item : items) {
        auto hp = parse_host_port(item);
        if (!hp || hp->host.empty()) {
            return unexpected("'" + item + "' is not host:port"
                              + (hp ? std::string(" (empty host)") : ": " + hp.error()));
        }
        out.push_back(std::move(*hp));
    }
    return out;
}

using ProtocolMap = std::vector<std::pair<std::string, SecurityProtocol>>;

// One "NAME:PROTOCOL" entry. Plain out-parameters rather than optionals: GCC 12 at -O2 reports
// a false maybe-uninitialized on the optional version.
bool parse_protocol_entry(std::string_view item, std::string& name, SecurityProtocol& protocol) {
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
        return false;
    }
    name = to_upper(trim(item.substr(0, colon)));
    auto parsed = parse_security_protocol(trim(item.substr(colon + 1)));
    if (!is_listener_name(name) || !parsed) {
        return false;
    }
    protocol = *parsed;
    return true;
}

result<ProtocolMap, std::string> parse_protocol_map(std::string_view text) {
    ProtocolMap out;
    for (const auto& item : split_csv(text)) {
        std::string name;
        SecurityProtocol protocol = SecurityProtocol::Plaintext;
        if (!parse_protocol_entry(item, name, protocol)) {
            return unexpected("'" + item +
                              "' is not NAME:PROTOCOL with PROTOCOL one of PLAINTEXT, SSL, "
                              "SASL_PLAINTEXT, SASL_SSL");
        }
        for (const auto& entry : out) {
            if (entry.first == name) {
                return unexpected("listener name " + name + " appears more than once");
            }
        }
        out.emplace_back(std::move(name), protocol);
    }
    return out;
}

// A cluster id is a Kafka Uuid: 16 bytes as unpadded base64url (22 characters).
std::optional<std::string> check_cluster_id(std::string_view id) {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if (id.size() != 22) {
        return "must be 22 base64url characters (a Kafka UUID)";
    }
    bool all_zero = true;
    for (size_t i = 0; i < id.size(); ++i) {
        size_t v = kAlphabet.find(id[i]);
        if (v == std::string_view::npos) {
            return "must be 22 base64url characters (a Kafka UUID)";
        }
        // The last character carries 2 bits of data and 4 bits of padding, which must be zero.
        if (i == id.size() - 1 && (v & 0xF) != 0) {
            return "is not a canonical base64url UUID";
        }
        all_zero = all_zero && v == 0;
    }
    if (all_zero) {
        return "must not be the zero UUID";
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Checking one value against its validator

std::string choices_text(const std::vector<std::string_view>& choices) {
    std::string out;
    for (size_t i = 0; i < choices.size(); ++i) {
        out += (i == 0 ? "" : ", ");
        out += choices[i];
    }
    return out;
}

bool in_choices(const Validator& v, std::string_view s) {
    return std::find(v.choices.begin(), v.choices.end(), s) != v.choices.end();
}

std::optional<std::string> check_int_range(const Validator& v, int64_t n) {
    if ((n >= v.min && n <= v.max) || (v.also && n == *v.also)) {
        return std::nullopt;
    }
    std::string also = v.also ? " or " + std::to_string(*v.also) : "";
    if (v.max == INT64_MAX) {
        return "value must be at least " + std::to_string(v.min) + also;
    }
    return "value must be between " + std::to_string(v.min) + " and " + std::to_string(v.max)
           + also;
}

std::optional<std::string> check_list(const Validator& v, const std::vector<std::string>& items) {
    if (v.non_empty && items.empty()) {
        return std::string("must not be empty");
    }
    std::set<std::string_view> seen;
    for (const auto& item : items) {
        if (item.empty()) {
            return std::string("empty list element");
        }
        if (!seen.insert(item).second) {
            return "duplicate element '" + item + "'";
        }
        if (v.kind == VK::ListOf && !in_choices(v, item)) {
            return "'" + item + "' is not one of: " + choices_text(v.choices);
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_value(const Validator& v, const ConfigValue& value) {
    if (std::holds_alternative<std::monostate>(value)) {
        return std::nullopt;
    }
    if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
        if (auto err = check_list(v, *list)) {
            return err;
        }
        if (v.kind == VK::QuorumVoters) {
            auto voters = parse_voters(*list);
            return voters ? std::nullopt : std::optional(voters.error());
        }
        if (v.kind == VK::HostPorts) {
            auto hps = parse_host_ports(*list);
            return hps ? std::nullopt : std::optional(hps.error());
        }
        return std::nullopt;
    }
    switch (v.kind) {
        case VK::IntRange: {
            int64_t n = std::holds_alternative<int32_t>(value) ? std::get<int32_t>(value)
                                                               : std::get<int64_t>(value);
            return check_int_range(v, n);
        }
        case VK::DoubleRange: {
            double d = std::get<double>(value);
            if (d < v.dmin || d > v.dmax) {
                return "value must be between " + format_double(v.dmin) + " and "
                       + format_double(v.dmax);
            }
            return std::nullopt;
        }
        case VK::OneOf: {
            const auto& s = std::get<std::string>(value);
            if (!in_choices(v, s)) {
                return "must be one of: " + choices_text(v.choices);
            }
            return std::nullopt;
        }
        case VK::NonEmpty:
            if (std::get<std::string>(value).empty()) {
                return std::string("must not be empty");
            }
            return std::nullopt;
        case VK::Listeners: {
            auto eps = parse_endpoints(std::get<std::string>(value));
            return eps ? std::nullopt : std::optional(eps.error());
        }
        case VK::ProtocolMap: {
            auto map = parse_protocol_map(std::get<std::string>(value));
            return map ? std::nullopt : std::optional(map.error());
        }
        case VK::ClusterId:
            return check_cluster_id(std::get<std::string>(value));
        case VK::LogLevel:
            if (!log::parse_level(std::get<std::string>(value))) {
                return std::string(
                    "must be one of: trace, debug, info, warn, error, critical, off");
            }
            return std::nullopt;
        default:
            return std::nullopt;
    }
}

// ---------------------------------------------------------------------------------------------
// Text forms

// Kafka's ConfigDef.convertToString: what DescribeConfigs returns and the dump prints.
std::optional<std::string> value_text(const ConfigValue& value) {
    struct Visitor {
        std::optional<std::string> operator()(std::monostate) const { return std::nullopt; }
        std::optional<std::string> operator()(bool b) const { return b ? "true" : "false"; }
        std::optional<std::string> operator()(int32_t n) const { return std::to_string(n); }
        std::optional<std::string> operator()(int64_t n) const { return std::to_string(n); }
        std::optional<std::string> operator()(double d) const { return format_double(d); }
        std::optional<std::string> operator()(const std::string& s) const { return s; }
        std::optional<std::string> operator()(const std::vector<std::string>& l) const {
            return join(l, ",");
        }
    };
    return std::visit(Visitor{}, value);
}

std::string raw_text(const RawValue& raw) {
    if (const auto* text = std::get_if<std::string>(&raw)) {
        return std::string(trim(*text));
    }
    return join(std::get<std::vector<std::string>>(raw), ",");
}

// Unknown keys are shown masked when they look like secrets: listener-prefixed copies of
// password configs (listener.name.sasl_ssl.ssl.key.password) and anything JAAS or
// password-like.
bool looks_sensitive(std::string_view name) {
    if (const ConfigDef* def = find_config_definition(name)) {
        return def->sensitive();
    }
    std::string lower = to_lower(name);
    for (std::string_view marker : {"password", "secret", "jaas", "keystore.key",
                                    "certificate.chain", "truststore.certificates", "credential"}) {
        if (lower.find(marker) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// YAML: a mapping of Kafka names to scalars or sequences; nested mappings are joined with dots.

using RawMap = std::map<std::string, RawEntry, std::less<>>;

void flatten(const YAML::Node& node,
             const std::string& prefix,
             RawMap& out,
             std::vector<std::string>& errors) {
    for (const auto& kv : node) {
        std::string key(trim(kv.first.as<std::string>()));
        if (key.empty()) {
            errors.push_back("empty key" + (prefix.empty() ? "" : " under " + prefix));
            continue;
        }
        std::string name = prefix.empty() ? key : prefix + "." + key;
        const YAML::Node& value = kv.second;
        if (value.IsMap()) {
            flatten(value, name, out, errors);
            continue;
        }
        if (value.IsNull()) {
            continue;  // "key:" with nothing after it leaves the config unset
        }
        RawValue raw;
        if (value.IsSequence()) {
            std::vector<std::string> items;
            for (const auto& item : value) {
                if (!item.IsScalar()) {
                    errors.push_back(name + ": list items must be plain values");
                    break;
                }
                items.push_back(item.Scalar());
            }
            raw = std::move(items);
        } else {
            raw = value.Scalar();
        }
        if (!out.emplace(name, RawEntry{std::move(raw), ConfigSource::StaticBrokerConfig}).second) {
            errors.push_back(name + ": set more than once");
        }
    }
}

result<RawMap, std::string> read_yaml(std::string_view yaml, std::string_view origin) {
    RawMap raw;
    std::vector<std::string> errors;
    try {
        YAML::Node root = YAML::Load(std::string(yaml));
        if (root.IsNull()) {
            return raw;  // an empty file: every config at its default
        }
        if (!root.IsMap()) {
            return unexpected(std::string(origin)
                              + ": expected a mapping of configuration names to values");
        }
        flatten(root, "", raw, errors);
    } catch (const YAML::Exception& e) {
        return unexpected(std::string(origin) + ": invalid YAML: " + e.what());
    }
    if (!errors.empty()) {
        for (auto& e : errors) {
            e = std::string(origin) + ": " + e;
        }
        return unexpected(join_lines(errors));
    }
    return raw;
}

}  // namespace

// -------------------------------------------------------------------------------------------------
// Public helpers

int8_t describe_configs_source(ConfigSource source) {
    return source == ConfigSource::DefaultConfig ? 5 : 4;
}

std::string_view to_string(ConfigType type) {
    switch (type) {
        case ConfigType::Boolean:
            return "BOOLEAN";
        case ConfigType::String:
            return "STRING";
        case ConfigType::Int:
            return "INT";
        case ConfigType::Short:
            return "SHORT";
        case ConfigType::Long:
            return "LONG";
        case ConfigType::Double:
            return "DOUBLE";
        case ConfigType::List:
            return "LIST";
        case ConfigType::Class:
            return "CLASS";
        case ConfigType::Password:
            return "PASSWORD";
    }
    return "UNKNOWN";
}

std::string_view to_string(UpdateMode mode) {
    switch (mode) {
        case UpdateMode::ReadOnly:
            return "read-only";
        case UpdateMode::PerBroker:
            return "per-broker";
        case UpdateMode::ClusterWide:
            return "cluster-wide";
    }
    return "read-only";
}

std::string_view to_string(ConfigSource source) {
    switch (source) {
        case ConfigSource::DefaultConfig:
            return "DEFAULT_CONFIG";
        case ConfigSource::StaticBrokerConfig:
            return "STATIC_BROKER_CONFIG";
        case ConfigSource::CommandLineOverride:
            return "COMMAND_LINE_OVERRIDE";
    }
    return "DEFAULT_CONFIG";
}

std::string_view to_string(SecurityProtocol protocol) {
    switch (protocol) {
        case SecurityProtocol::Plaintext:
            return "PLAINTEXT";
        case SecurityProtocol::Ssl:
            return "SSL";
        case SecurityProtocol::SaslPlaintext:
            return "SASL_PLAINTEXT";
        case SecurityProtocol::SaslSsl:
            return "SASL_SSL";
    }
    return "PLAINTEXT";
}

std::optional<SecurityProtocol> parse_security_protocol(std::string_view text) {
    // Kafka upper-cases the protocol before looking it up.
    std::string upper = to_upper(trim(text));
    for (auto p : {SecurityProtocol::Plaintext, SecurityProtocol::Ssl,
                   SecurityProtocol::SaslPlaintext, SecurityProtocol::SaslSsl}) {
        if (upper == to_string(p)) {
            return p;
        }
    }
    return std::nullopt;
}

result<std::vector<Endpoint>, std::string> parse_endpoints(std::string_view csv) {
    std::vector<Endpoint> out;
    for (const auto& item : split_csv(csv)) {
        size_t sep = item.find("://");
        std::string_view name =
            sep == std::string::npos ? std::string_view() : std::string_view(item).substr(0, sep);
        if (!is_listener_name(name)) {
            return unexpected("unable to parse '" + item
                              + "' as a listener: expected NAME://host:port");
        }
        auto hp = parse_host_port(std::string_view(item).substr(sep + 3));
        if (!hp) {
            return unexpected("unable to parse '" + item + "' as a listener: " + hp.error());
        }
        out.push_back(Endpoint{to_upper(name), std::move(hp->host), hp->port});
    }
    return out;
}

std::string format_host_port(std::string_view host, uint16_t port) {
    std::string out = host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]"
                                                               : std::string(host);
    return out + ":" + std::to_string(port);
}

std::string ListenerConfig::endpoint() const {
    return name + "://" + format_host_port(host, port);
}

const std::vector<TopicConfigSynonyms>& topic_config_synonyms() {
    using U = SynonymUnit;
    static const std::vector<TopicConfigSynonyms> kTable = {
        {"segment.bytes", {{"log.segment.bytes", U::Same}}},
        {"segment.ms", {{"log.roll.ms", U::Same}, {"log.roll.hours", U::HoursToMs}}},
        {"segment.jitter.ms",
         {{"log.roll.jitter.ms", U::Same}, {"log.roll.jitter.hours", U::HoursToMs}}},
        {"segment.index.bytes", {{"log.index.size.max.bytes", U::Same}}},
        {"flush.messages", {{"log.flush.interval.messages", U::Same}}},
        {"flush.ms",
         {{"log.flush.interval.ms", U::Same}, {"log.flush.scheduler.interval.ms", U::Same}}},
        {"retention.bytes", {{"log.retention.bytes", U::Same}}},
        {"retention.ms",
         {{"log.retention.ms", U::Same},
          {"log.retention.minutes", U::MinutesToMs},
          {"log.retention.hours", U::HoursToMs}}},
        {"max.message.bytes", {{"message.max.bytes", U::Same}}},
        {"index.interval.bytes", {{"log.index.interval.bytes", U::Same}}},
        {"delete.retention.ms", {{"log.cleaner.delete.retention.ms", U::Same}}},
        {"min.compaction.lag.ms", {{"log.cleaner.min.compaction.lag.ms", U::Same}}},
        {"max.compaction.lag.ms", {{"log.cleaner.max.compaction.lag.ms", U::Same}}},
        {"file.delete.delay.ms", {{"log.segment.delete.delay.ms", U::Same}}},
        {"min.cleanable.dirty.ratio", {{"log.cleaner.min.cleanable.ratio", U::Same}}},
        {"cleanup.policy", {{"log.cleanup.policy", U::Same}}},
        {"unclean.leader.election.enable", {{"unclean.leader.election.enable", U::Same}}},
        {"min.insync.replicas", {{"min.insync.replicas", U::Same}}},
        {"compression.type", {{"compression.type", U::Same}}},
        {"compression.gzip.level", {{"compression.gzip.level", U::Same}}},
        {"compression.lz4.level", {{"compression.lz4.level", U::Same}}},
        {"compression.zstd.level", {{"compression.zstd.level", U::Same}}},
        {"preallocate", {{"log.preallocate", U::Same}}},
        {"message.timestamp.type", {{"log.message.timestamp.type", U::Same}}},
        {"message.timestamp.before.max.ms", {{"log.message.timestamp.before.max.ms", U::Same}}},
        {"message.timestamp.after.max.ms", {{"log.message.timestamp.after.max.ms", U::Same}}},
        {"local.retention.ms", {{"log.local.retention.ms", U::Same}}},
        {"local.retention.bytes", {{"log.local.retention.bytes", U::Same}}},
    };
    return kTable;
}

const TopicConfigSynonyms* find_topic_config_synonyms(std::string_view topic_config) {
    for (const auto& entry : topic_config_synonyms()) {
        if (entry.topic_config == topic_config) {
            return &entry;
        }
    }
    return nullptr;
}

// Mirrors DynamicBrokerConfig.brokerConfigSynonyms: the roll, jitter and retention families are
// synonyms of each other; log.flush.interval.ms falls back to log.flush.scheduler.interval.ms but
// not the other way round.
std::vector<std::string> broker_config_synonyms(std::string_view name) {
    for (const auto& entry : topic_config_synonyms()) {
        const auto& group = entry.broker_configs;
        for (size_t i = 0; i < group.size(); ++i) {
            if (group[i].name != name) {
                continue;
            }
            if (group.size() > 1 && (i == 0 || group[i].unit != SynonymUnit::Same)) {
                std::vector<std::string> out;
                for (const auto& s : group) {
                    out.emplace_back(s.name);
                }
                return out;
            }
        }
    }
    return {std::string(name)};
}

const std::vector<ConfigDef>& config_definitions() {
    static const std::vector<ConfigDef> kDefs = [] {
        const std::string cores = std::to_string(std::max(1U, std::thread::hardware_concurrency()));
        std::vector<ConfigDef> defs;
        for (auto& row : definition_rows(cores.c_str())) {
            ConfigDef def{row.name,       row.type, std::nullopt, ConfigValue(), row.validator,
                          row.importance, row.mode, row.doc,      row.origin,    ""};
            if (row.default_text != nullptr) {
                def.default_text = row.default_text;
                auto parsed = parse_text(row.type, row.default_text);
                GREGOR_ASSERT(parsed.has_value(), "config table: unparseable default");
                GREGOR_ASSERT(!check_value(row.validator, *parsed),
                              "config table: default fails its own validator");
                def.default_value = std::move(*parsed);
            }
            defs.push_back(std::move(def));
        }
        std::sort(defs.begin(), defs.end(),
                  [](const ConfigDef& a, const ConfigDef& b) { return a.name < b.name; });
        for (size_t i = 1; i < defs.size(); ++i) {
            GREGOR_ASSERT(defs[i - 1].name != defs[i].name, "config table: duplicate name");
        }
        for (const auto& entry : topic_config_synonyms()) {
            for (const auto& synonym : entry.broker_configs) {
                auto it = std::lower_bound(
                    defs.begin(), defs.end(), synonym.name,
                    [](const ConfigDef& d, std::string_view n) { return d.name < n; });
                GREGOR_ASSERT(it != defs.end() && it->name == synonym.name,
                              "config table: topic synonym names an undefined broker config");
                it->topic_synonym = entry.topic_config;
            }
        }
        return defs;
    }();
    return kDefs;
}

const ConfigDef* find_config_definition(std::string_view name) {
    const auto& defs = config_definitions();
    auto it = std::lower_bound(defs.begin(), defs.end(), name,
                               [](const ConfigDef& d, std::string_view n) { return d.name < n; });
    return it != defs.end() && it->name == name ? &*it : nullptr;
}

result<std::pair<std::string, std::string>, std::string> parse_override(std::string_view arg) {
    size_t eq = arg.find('=');
    std::string key(trim(arg.substr(0, eq)));
    if (eq == std::string_view::npos || key.empty()) {
        return unexpected("override '" + std::string(arg) + "' is not of the form key=value");
    }
    return std::pair(std::move(key), std::string(arg.substr(eq + 1)));
}

// -------------------------------------------------------------------------------------------------
// Building a Config: typed values, then Kafka's cross-config rules and derived values.

class ConfigBuilder {
public:
    static result<Config, std::string> build(const RawMap& raw, std::string origin) {
        ConfigBuilder b;
        b.config_.origin_ = std::move(origin);
        b.set_values(raw);
        b.alias_node_id();
        b.check_required();
        if (b.errors_.empty()) {
            b.derive_log_settings();
            b.derive_roles_and_quorum();
            b.derive_listeners();
        }
        if (!b.errors_.empty()) {
            return unexpected(join_lines(b.errors_));
        }
        for (const auto& w : b.config_.warnings_) {
            log::get("broker")->warn("{}", w);
        }
        return std::move(b.config_);
    }

private:
    Config config_;
    std::vector<std::string> errors_;

    Config::Entry& at(std::string_view name) {
        auto it = config_.values_.find(name);
        GREGOR_ASSERT(it != config_.values_.end(), "ConfigBuilder: undefined name");
        return it->second;
    }
    bool is_set(std::string_view name) { return at(name).source != ConfigSource::DefaultConfig; }
    bool is_null(std::string_view name) {
        return std::holds_alternative<std::monostate>(at(name).value);
    }
    template <typename T>
    const T& get(std::string_view name) {
        return std::get<T>(at(name).value);
    }

    void fail(std::string message) { errors_.push_back(std::move(message)); }

    void invalid(const ConfigDef& def, const RawValue& raw, const std::string& reason) {
        std::string shown =
            def.sensitive() ? std::string(log::kRedacted) : "'" + raw_text(raw) + "'";
        fail("Invalid value " + shown + " for configuration " + def.name + ": " + reason);
    }

    void set_values(const RawMap& raw) {
        for (const auto& def : config_definitions()) {
            auto it = raw.find(def.name);
            if (it == raw.end()) {
                config_.values_.emplace(
                    def.name, Config::Entry{def.default_value, ConfigSource::DefaultConfig});
                continue;
            }
            auto parsed = parse_raw(def, it->second.value);
            if (!parsed) {
                invalid(def, it->second.value, parsed.error());
                continue;
            }
            if (auto err = check_value(def.validator, *parsed)) {
                invalid(def, it->second.value, *err);
                continue;
            }
            config_.values_.emplace(def.name, Config::Entry{std::move(*parsed), it->second.source});
        }
        for (const auto& [name, entry] : raw) {
            if (find_config_definition(name) != nullptr) {
                continue;
            }
            config_.unknown_.emplace(name, raw_text(entry.value));
            // Listener-prefixed settings are Kafka's per-listener overrides, not typos.
            if (name.rfind("listener.name.", 0) != 0) {
                config_.warnings_.push_back("unknown configuration '" + name
                                            + "' (kept as a string; check the spelling)");
            }
        }
    }

    // Kafka's populateSynonyms: node.id and broker.id stand in for each other.
    void alias_node_id() {
        if (!config_.values_.count("node.id") || !config_.values_.count("broker.id")) {
            return;  // one of them failed to parse; that error is already reported
        }
        Config::Entry& node = at("node.id");
        Config::Entry& broker = at("broker.id");
        bool node_set = node.source != ConfigSource::DefaultConfig;
        bool broker_set = broker.source != ConfigSource::DefaultConfig;
        if (node_set && broker_set && node.value != broker.value) {
            fail("broker.id: must equal node.id when both are set (broker.id="
                 + *value_text(broker.value) + ", node.id=" + *value_text(node.value) + ")");
        } else if (broker_set && !node_set) {
            if (std::get<int32_t>(broker.value) < 0) {
                fail("broker.id: must be at least 0 when used as node.id");
            }
            node = broker;
        } else if (node_set && !broker_set) {
            broker = node;
        }
    }

    void check_required() {
        for (const auto& def : config_definitions()) {
            auto it = config_.values_.find(def.name);
            if (def.validator.required && it != config_.values_.end()
                && std::holds_alternative<std::monostate>(it->second.value)) {
                fail("Missing required configuration \"" + def.name
                     + "\" which has no default value.");
            }
        }
    }

    // KafkaConfig.logRetentionTimeMillis and friends: the finer unit wins when set.
    void derive_log_settings() {
        constexpr int64_t kMinute = 60'000;
        constexpr int64_t kHour = 60 * kMinute;
        std::string retention_key = "log.retention.hours";
        int64_t retention = kHour * get<int32_t>("log.retention.hours");
        if (!is_null("log.retention.ms")) {
            retention_key = "log.retention.ms";
            retention = get<int64_t>("log.retention.ms");
        } else if (!is_null("log.retention.minutes")) {
            retention_key = "log.retention.minutes";
            retention = kMinute * get<int32_t>("log.retention.minutes");
        }
        if (retention == 0) {
            fail(retention_key + ": log retention must be unlimited (-1) or at least 1 ms");
        }
        config_.log_retention_ms_ = retention < 0 ? -1 : retention;

        config_.log_roll_ms_ = is_null("log.roll.ms") ? kHour * get<int32_t>("log.roll.hours")
                                                      : get<int64_t>("log.roll.ms");
        config_.log_roll_jitter_ms_ = is_null("log.roll.jitter.ms")
                                          ? kHour * get<int32_t>("log.roll.jitter.hours")
                                          : get<int64_t>("log.roll.jitter.ms");
        config_.log_flush_interval_ms_ = is_null("log.flush.interval.ms")
                                             ? get<int64_t>("log.flush.scheduler.interval.ms")
                                             : get<int64_t>("log.flush.interval.ms");

        config_.log_dirs_ = is_null("log.dirs") ? get<std::vector<std::string>>("log.dir")
                                                : get<std::vector<std::string>>("log.dirs");
        config_.metadata_log_dir_ = is_null("metadata.log.dir")
                                        ? config_.log_dirs_.front()
                                        : get<std::string>("metadata.log.dir");
    }

    void derive_roles_and_quorum() {
        const auto& roles = get<std::vector<std::string>>("process.roles");
        auto has = [&](std::string_view r) {
            return std::find(roles.begin(), roles.end(), r) != roles.end();
        };
        config_.broker_role_ = has("broker");
        config_.controller_role_ = has("controller");
        config_.node_id_ = get<int32_t>("node.id");

        config_.quorum_voters_ =
            *parse_voters(get<std::vector<std::string>>("controller.quorum.voters"));
        config_.bootstrap_servers_ =
            *parse_host_ports(get<std::vector<std::string>>("controller.quorum.bootstrap.servers"));
        if (config_.quorum_voters_.empty() && config_.bootstrap_servers_.empty()) {
            fail(
                "controller.quorum.voters: either controller.quorum.voters (id@host:port,...) or "
                "controller.quorum.bootstrap.servers (host:port,...) must be set");
        }
        std::set<int32_t> ids;
        bool self_is_voter = false;
        for (const auto& voter : config_.quorum_voters_) {
            if (!ids.insert(voter.id).second) {
                fail("controller.quorum.voters: voter id " + std::to_string(voter.id)
                     + " appears more than once");
            }
            self_is_voter = self_is_voter || voter.id == config_.node_id_;
        }
        if (config_.quorum_voters_.empty()) {
            return;
        }
        if (config_.controller_role_ && !self_is_voter) {
            fail(
                "controller.quorum.voters: a node with the controller role must be a voter, but "
                "node.id "
                + std::to_string(config_.node_id_) + " is not listed");
        }
        if (!config_.controller_role_ && self_is_voter) {
            fail("controller.quorum.voters: a broker-only node must not be a voter, but node.id "
                 + std::to_string(config_.node_id_) + " is listed");
        }
    }

    // KafkaConfig.effectiveListenerSecurityProtocolMap: with the map left at its default and no
    // SSL/SASL listener in sight, controller listeners are PLAINTEXT without being listed.
    ProtocolMap effective_protocol_map(const std::vector<Endpoint>& endpoints,
                                       const std::vector<std::string>& controller_names) {
        ProtocolMap map = *parse_protocol_map(get<std::string>("listener.security.protocol.map"));
        if (is_set("listener.security.protocol.map")) {
            return map;
        }
        auto ssl_or_sasl = [](std::string_view n) {
            return n == "SSL" || n == "SASL_SSL" || n == "SASL_PLAINTEXT";
        };
        bool secured = std::any_of(controller_names.begin(), controller_names.end(), ssl_or_sasl)
                       || std::any_of(endpoints.begin(), endpoints.end(),
                                      [&](const Endpoint& e) { return ssl_or_sasl(e.name); });
        if (secured) {
            return map;
        }
        for (const auto& name : controller_names) {
            bool present = std::any_of(map.begin(), map.end(),
                                       [&](const auto& entry) { return entry.first == name; });
            if (!present) {
                map.emplace_back(name, SecurityProtocol::Plaintext);
            }
        }
        return map;
    }

    // Same port twice only as one IPv4 and one IPv6 address (Kafka's rule); port 0 never clashes.
    void check_ports(const std::vector<Endpoint>& endpoints) {
        std::map<uint16_t, std::vector<const Endpoint*>> by_port;
        for (const auto& e : endpoints) {
            if (e.port != 0) {
                by_port[e.port].push_back(&e);
            }
        }
        for (const auto& [port, eps] : by_port) {
            if (eps.size() < 2) {
                continue;
            }
            bool v4_and_v6 = eps.size() == 2
                             && ((ip_family(eps[0]->host) == IpFamily::V4
                                  && ip_family(eps[1]->host) == IpFamily::V6)
                                 || (ip_family(eps[0]->host) == IpFamily::V6
                                     && ip_family(eps[1]->host) == IpFamily::V4));
            if (!v4_and_v6) {
                fail("listeners: port " + std::to_string(port) + " is used by both " + eps[0]->name
                     + " and " + eps[1]->name
                     + " (only an IPv4 and an IPv6 listener may share a port)");
            }
        }
    }

    static bool has_name(const std::vector<Endpoint>& eps, std::string_view name) {
        return std::any_of(eps.begin(), eps.end(),
                           [&](const Endpoint& e) { return e.name == name; });
    }

    bool check_unique_names(const std::vector<Endpoint>& eps, std::string_view key) {
        std::set<std::string_view> seen;
        for (const auto& e : eps) {
            if (!seen.insert(e.name).second) {
                fail(std::string(key) + ": listener name " + e.name + " appears more than once");
                return false;
            }
        }
        return true;
    }

    void derive_listeners() {
        auto endpoints = *parse_endpoints(get<std::string>("listeners"));
        std::vector<std::string> controller_names;
        for (const auto& n : get<std::vector<std::string>>("controller.listener.names")) {
            controller_names.push_back(to_upper(n));
        }
        auto is_controller = [&](std::string_view name) {
            return std::find(controller_names.begin(), controller_names.end(), name)
                   != controller_names.end();
        };
        ProtocolMap map = effective_protocol_map(endpoints, controller_names);
        auto protocol_of = [&](std::string_view name) -> std::optional<SecurityProtocol> {
            for (const auto& [n, p] : map) {
                if (n == name) {
                    return p;
                }
            }
            return std::nullopt;
        };

        if (!check_unique_names(endpoints, "listeners")) {
            return;
        }
        check_ports(endpoints);

        std::optional<std::vector<Endpoint>> advertised;
        if (!is_null("advertised.listeners")) {
            advertised = *parse_endpoints(get<std::string>("advertised.listeners"));
            if (!check_unique_names(*advertised, "advertised.listeners")) {
                return;
            }
            for (const auto& a : *advertised) {
                if (!has_name(endpoints, a.name)) {
                    fail("advertised.listeners: " + a.name
                         + " is not one of the listeners in 'listeners'");
                }
            }
        }

        for (const auto& e : endpoints) {
            ListenerConfig l;
            l.name = e.name;
            l.host = e.host;
            l.port = e.port;
            l.controller = is_controller(e.name);
            if (auto p = protocol_of(e.name)) {
                l.security_protocol = *p;
            } else {
                fail("listeners: no security protocol defined for listener " + e.name
                     + " (add it to listener.security.protocol.map)");
            }
            l.advertised_host = e.host;
            l.advertised_port = e.port;
            if (advertised) {
                auto it = std::find_if(advertised->begin(), advertised->end(),
                                       [&](const Endpoint& a) { return a.name == e.name; });
                // A controller listener left out of advertised.listeners is still reachable at
                // its bound address (KIP-853); a broker listener left out is simply not published.
                l.advertised = it != advertised->end() || l.controller;
                if (it != advertised->end()) {
                    l.advertised_host = it->host;
                    l.advertised_port = it->port;
                }
            }
            if (l.advertised && (l.advertised_host == "0.0.0.0" || l.advertised_host == "::")) {
                fail(std::string(advertised ? "advertised.listeners" : "listeners") + ": " + l.name
                     + " cannot advertise the non-routable meta-address " + l.advertised_host
                     + "; set advertised.listeners to a routable address");
            }
            config_.listeners_.push_back(std::move(l));
        }
        check_roles_against_listeners(endpoints, controller_names);
        for (const auto& name : controller_names) {
            // Names bound here were reported above; a broker-only node still needs the protocol
            // to reach the controllers.
            if (!has_name(endpoints, name) && !protocol_of(name)) {
                fail("controller.listener.names: no security protocol defined for listener " + name
                     + " (add it to listener.security.protocol.map)");
            }
        }
    }

    void check_roles_against_listeners(const std::vector<Endpoint>& endpoints,
                                       const std::vector<std::string>& controller_names) {
        if (config_.controller_role_) {
            for (const auto& name : controller_names) {
                if (!has_name(endpoints, name)) {
                    fail("controller.listener.names: " + name
                         + " must appear in 'listeners' on a node with the controller role");
                }
            }
        }
        if (!config_.broker_role_) {
            return;
        }
        if (!config_.controller_role_) {
            for (const auto& name : controller_names) {
                if (has_name(endpoints, name)) {
                    fail("controller.listener.names: " + name
                         + " must not appear in 'listeners' on a broker-only node");
                }
            }
        }
        std::vector<std::string> broker_listeners;
        for (const auto& l : config_.listeners_) {
            if (l.advertised && !l.controller) {
                broker_listeners.push_back(l.name);
            }
        }
        if (broker_listeners.empty()) {
            fail(
                "listeners: a broker needs at least one advertised listener that is not a "
                "controller listener");
            return;
        }
        derive_inter_broker_listener(broker_listeners, controller_names);
    }

    void derive_inter_broker_listener(const std::vector<std::string>& broker_listeners,
                                      const std::vector<std::string>& controller_names) {
        if (is_set("inter.broker.listener.name") && is_set("security.inter.broker.protocol")) {
            fail(
                "inter.broker.listener.name: only one of inter.broker.listener.name and "
                "security.inter.broker.protocol may be set");
            return;
        }
        std::string name = is_null("inter.broker.listener.name")
                               ? get<std::string>("security.inter.broker.protocol")
                               : to_upper(get<std::string>("inter.broker.listener.name"));
        config_.inter_broker_listener_ = name;
        if (std::find(controller_names.begin(), controller_names.end(), name)
            != controller_names.end()) {
            fail("inter.broker.listener.name: " + name + " is a controller listener");
        } else if (std::find(broker_listeners.begin(), broker_listeners.end(), name)
                   == broker_listeners.end()) {
            fail("inter.broker.listener.name: " + name
                 + " must be an advertised broker listener; the options are "
                 + join(broker_listeners, ","));
        }
    }
};

// -------------------------------------------------------------------------------------------------
// Loading

namespace {

result<Config, std::string> load_raw(result<RawMap, std::string> raw,
                                     const std::vector<std::string>& overrides,
                                     std::string origin) {
    if (!raw) {
        return unexpected(raw.error());
    }
    std::vector<std::string> errors;
    for (const auto& arg : overrides) {
        auto kv = parse_override(arg);
        if (!kv) {
            errors.push_back(kv.error());
            continue;
        }
        raw->insert_or_assign(kv->first,
                              RawEntry{std::move(kv->second), ConfigSource::CommandLineOverride});
    }
    if (!errors.empty()) {
        return unexpected(join_lines(errors));
    }
    return ConfigBuilder::build(*raw, std::move(origin));
}

// The embedded default. Keep config/gregor.yaml in step: a test loads both and compares.
constexpr std::string_view kEmbeddedDefault = R"yaml(
process.roles: broker,controller
node.id: 1
listeners: PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
controller.listener.names: CONTROLLER
controller.quorum.voters: 1@localhost:9093
log.dirs: ./data
offsets.topic.replication.factor: 1
transaction.state.log.replication.factor: 1
transaction.state.log.min.isr: 1
)yaml";

}  // namespace

std::string_view Config::embedded_default_yaml() {
    return kEmbeddedDefault;
}

result<Config, std::string> Config::load_file(const std::string& path,
                                              const std::vector<std::string>& overrides) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return unexpected("cannot read config file '" + path + "'");
    }
    std::stringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return unexpected("cannot read config file '" + path + "'");
    }
    return load_raw(read_yaml(text.str(), path), overrides, path);
}

result<Config, std::string> Config::load_yaml(std::string_view yaml,
                                              const std::vector<std::string>& overrides,
                                              std::string_view origin) {
    return load_raw(read_yaml(yaml, origin), overrides, std::string(origin));
}

result<Config, std::string> Config::load_default(const std::vector<std::string>& overrides) {
    return load_yaml(kEmbeddedDefault, overrides, "<embedded default>");
}

// -------------------------------------------------------------------------------------------------
// Reading

const Config::Entry& Config::entry(std::string_view name, const char* getter) const {
    auto it = values_.find(name);
    if (it == values_.end()) {
        log::get("broker")->critical("Config::{}(\"{}\"): not a defined configuration", getter,
                                     name);
    }
    GREGOR_ASSERT(it != values_.end(), "Config getter: name is not a defined configuration");
    return it->second;
}

namespace {

const ConfigDef& def_of(std::string_view name) {
    const ConfigDef* def = find_config_definition(name);
    GREGOR_ASSERT(def != nullptr, "Config: name is not a defined configuration");
    return *def;
}

template <typename T>
const T& typed(const ConfigValue& value,
               std::string_view name,
               const char* getter,
               std::initializer_list<ConfigType> types) {
    ConfigType type = def_of(name).type;
    bool type_ok = std::find(types.begin(), types.end(), type) != types.end();
    if (!type_ok) {
        log::get("broker")->critical("Config::{}(\"{}\"): the config is of type {}", getter, name,
                                     to_string(type));
    }
    GREGOR_ASSERT(type_ok, "Config getter does not match the config's type");
    if (std::holds_alternative<std::monostate>(value)) {
        log::get("broker")->critical("Config::{}(\"{}\"): the value is null", getter, name);
    }
    GREGOR_ASSERT(!std::holds_alternative<std::monostate>(value),
                  "Config getter on a null value (check has_value first)");
    return std::get<T>(value);
}

}  // namespace

int32_t Config::get_int(std::string_view name) const {
    return typed<int32_t>(entry(name, "get_int").value, name, "get_int",
                          {ConfigType::Int, ConfigType::Short});
}

int64_t Config::get_long(std::string_view name) const {
    return typed<int64_t>(entry(name, "get_long").value, name, "get_long", {ConfigType::Long});
}

bool Config::get_bool(std::string_view name) const {
    return typed<bool>(entry(name, "get_bool").value, name, "get_bool", {ConfigType::Boolean});
}

double Config::get_double(std::string_view name) const {
    return typed<double>(entry(name, "get_double").value, name, "get_double", {ConfigType::Double});
}

const std::string& Config::get_string(std::string_view name) const {
    return typed<std::string>(entry(name, "get_string").value, name, "get_string",
                              {ConfigType::String, ConfigType::Class});
}

const std::string& Config::get_password(std::string_view name) const {
    return typed<std::string>(entry(name, "get_password").value, name, "get_password",
                              {ConfigType::Password});
}

const std::vector<std::string>& Config::get_list(std::string_view name) const {
    return typed<std::vector<std::string>>(entry(name, "get_list").value, name, "get_list",
                                           {ConfigType::List});
}

bool Config::has_value(std::string_view name) const {
    return !std::holds_alternative<std::monostate>(entry(name, "has_value").value);
}

bool Config::is_default(std::string_view name) const {
    return entry(name, "is_default").source == ConfigSource::DefaultConfig;
}

ConfigSource Config::source(std::string_view name) const {
    return entry(name, "source").source;
}

const ConfigValue& Config::value(std::string_view name) const {
    return entry(name, "value").value;
}

std::optional<std::string> Config::describe_value(std::string_view name) const {
    const Entry& e = entry(name, "describe_value");
    if (def_of(name).sensitive()) {
        return std::nullopt;
    }
    return value_text(e.value);
}

std::string Config::dump() const {
    std::ostringstream out;
    out << "Gregor configuration (" << origin_ << "):\n";
    for (const auto& [name, e] : values_) {
        std::optional<std::string> text = value_text(e.value);
        if (text && def_of(name).sensitive()) {
            text = std::string(log::kRedacted);
        }
        out << "\t" << name << " = " << text.value_or("null") << "\n";
    }
    for (const auto& [name, text] : unknown_) {
        out << "\t" << name << " = " << (looks_sensitive(name) ? log::kRedacted : text)
            << " (unknown)\n";
    }
    return out.str();
}

std::map<std::string, std::string, std::less<>> Config::log_levels() const {
    std::map<std::string, std::string, std::less<>> out;
    out.emplace("", get_string("log.level"));
    for (std::string_view module : log::kModules) {
        std::string key = "log.level." + std::string(module);
        if (has_value(key)) {
            out.emplace(std::string(module), get_string(key));
        }
    }
    return out;
}

void apply_log_levels(const Config& config) {
    log::LevelMap levels;
    for (const auto& [module, text] : config.log_levels()) {
        auto level = log::parse_level(text);
        GREGOR_ASSERT(level.has_value(), "apply_log_levels: level passed validation but not parse");
        levels.emplace(module, *level);
    }
    log::set_levels(levels);
}

void log_config(const Config& config) {
    log::get("broker")->info("{}", config.dump());
}

}  // namespace gregor::broker
