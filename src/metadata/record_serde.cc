#include "gregor/metadata/record_serde.h"

#include <fmt/format.h>

namespace gregor::metadata {

namespace {

template <typename M>
bool decode_as(protocol::Reader& r, int16_t version, MetadataRecord& out, std::string& error) {
    if (version < M::min_version || version > M::max_version) {
        error = fmt::format("{} version {} is outside [{}, {}]", M::message_name, version,
                            M::min_version, M::max_version);
        return false;
    }
    M m;
    m.read(r, version);
    if (!r.ok()) {
        error = fmt::format("malformed {} v{}: {}", M::message_name, version,
                            protocol::to_string(r.error()));
        return false;
    }
    out = std::move(m);
    return true;
}

}  // namespace

int16_t api_key_of(const MetadataRecord& record) {
    return std::visit(
        [](const auto& m) -> int16_t {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, UnknownRecord>) {
                return m.api_key;
            } else {
                return M::api_key;
            }
        },
        record);
}

void serialize_to(const ApiMessageAndVersion& record, std::vector<uint8_t>& out) {
    protocol::Writer w(out);
    w.write_uvarint(kFrameVersion);
    w.write_uvarint(static_cast<uint32_t>(api_key_of(record.message)));
    w.write_uvarint(static_cast<uint32_t>(record.version));
    std::visit(
        [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, UnknownRecord>) {
                w.write_raw(m.data);
            } else {
                m.write(w, record.version);
            }
        },
        record.message);
}

std::vector<uint8_t> serialize(const ApiMessageAndVersion& record) {
    std::vector<uint8_t> out;
    serialize_to(record, out);
    return out;
}

DeserializeResult deserialize(std::span<const uint8_t> bytes) {
    DeserializeResult res;
    protocol::Reader r(bytes);
    const uint32_t frame = r.read_uvarint();
    const uint32_t api_key = r.read_uvarint();
    const uint32_t version = r.read_uvarint();
    if (!r.ok()) {
        res.error = "truncated record frame header";
        return res;
    }
    if (frame != kFrameVersion) {
        res.error = fmt::format("unknown frame version {}", frame);
        return res;
    }
    if (api_key > 0x7fff || version > 0x7fff) {
        res.error = fmt::format("api key {} or version {} out of range", api_key, version);
        return res;
    }
    const auto v = static_cast<int16_t>(version);
    res.record.version = v;
    bool ok = false;
    namespace p = protocol;
    switch (static_cast<int16_t>(api_key)) {
        case p::RegisterBrokerRecord::api_key:
            ok = decode_as<p::RegisterBrokerRecord>(r, v, res.record.message, res.error);
            break;
        case p::UnregisterBrokerRecord::api_key:
            ok = decode_as<p::UnregisterBrokerRecord>(r, v, res.record.message, res.error);
            break;
        case p::TopicRecord::api_key:
            ok = decode_as<p::TopicRecord>(r, v, res.record.message, res.error);
            break;
        case p::PartitionRecord::api_key:
            ok = decode_as<p::PartitionRecord>(r, v, res.record.message, res.error);
            break;
        case p::ConfigRecord::api_key:
            ok = decode_as<p::ConfigRecord>(r, v, res.record.message, res.error);
            break;
        case p::PartitionChangeRecord::api_key:
            ok = decode_as<p::PartitionChangeRecord>(r, v, res.record.message, res.error);
            break;
        case p::FenceBrokerRecord::api_key:
            ok = decode_as<p::FenceBrokerRecord>(r, v, res.record.message, res.error);
            break;
        case p::UnfenceBrokerRecord::api_key:
            ok = decode_as<p::UnfenceBrokerRecord>(r, v, res.record.message, res.error);
            break;
        case p::RemoveTopicRecord::api_key:
            ok = decode_as<p::RemoveTopicRecord>(r, v, res.record.message, res.error);
            break;
        case p::FeatureLevelRecord::api_key:
            ok = decode_as<p::FeatureLevelRecord>(r, v, res.record.message, res.error);
            break;
        case p::ProducerIdsRecord::api_key:
            ok = decode_as<p::ProducerIdsRecord>(r, v, res.record.message, res.error);
            break;
        case p::BrokerRegistrationChangeRecord::api_key:
            ok = decode_as<p::BrokerRegistrationChangeRecord>(r, v, res.record.message, res.error);
            break;
        case p::NoOpRecord::api_key:
            ok = decode_as<p::NoOpRecord>(r, v, res.record.message, res.error);
            break;
        default: {
            UnknownRecord u;
            u.api_key = static_cast<int16_t>(api_key);
            u.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(r.position()), bytes.end());
            r.skip(r.remaining());
            res.record.message = std::move(u);
            ok = true;
            break;
        }
    }
    if (!ok) {
        return res;
    }
    if (r.remaining() != 0) {
        res.error =
            fmt::format("{} bytes left after record type {} v{}", r.remaining(), api_key, version);
        return res;
    }
    res.ok = true;
    return res;
}

}  // namespace gregor::metadata
