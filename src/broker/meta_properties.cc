#include "gregor/broker/meta_properties.h"

#include "gregor/protocol/wire.h"
#include "gregor/storage/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace gregor::broker {

namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> parse_properties(std::istream& in) {
    std::map<std::string, std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

}  // namespace

result<MetaProperties, std::string> read_meta_properties(const std::string& dir) {
    const fs::path path = fs::path(dir) / "meta.properties";
    std::ifstream in(path);
    if (!in) {
        return unexpected<std::string>("no " + path.string());
    }
    auto props = parse_properties(in);
    if (props["version"] != "1") {
        return unexpected<std::string>(path.string() + ": unsupported version '" + props["version"]
                                       + "'");
    }
    MetaProperties meta;
    meta.cluster_id = props["cluster.id"];
    meta.directory_id = props["directory.id"];
    try {
        meta.node_id = std::stoi(props["node.id"]);
    } catch (const std::exception&) {
        return unexpected<std::string>(path.string() + ": bad node.id '" + props["node.id"] + "'");
    }
    if (meta.cluster_id.empty()) {
        return unexpected<std::string>(path.string() + ": no cluster.id");
    }
    return meta;
}

result<bool, std::string> write_meta_properties(const std::string& dir,
                                                const MetaProperties& meta) {
    std::ostringstream text;
    text << "#\n#Written by Gregor\n"
         << "node.id=" << meta.node_id << "\n"
         << "directory.id=" << meta.directory_id << "\n"
         << "version=1\n"
         << "cluster.id=" << meta.cluster_id << "\n";
    // tmp + fsync + rename + fsync of the directory: a crash leaves the old file or the new one.
    auto written = storage::write_file_atomically(fs::path(dir) / "meta.properties", text.str());
    if (!written) {
        return unexpected<std::string>(written.error().message);
    }
    return true;
}

result<std::string, std::string> format_or_check_log_dirs(
    const std::vector<std::string>& dirs,
    int32_t node_id,
    const std::string& configured_cluster_id) {
    std::string cluster_id = configured_cluster_id;
    std::vector<std::string> unformatted;
    for (const auto& dir : dirs) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) {
            return unexpected<std::string>("cannot create log dir " + dir + ": " + ec.message());
        }
        auto meta = read_meta_properties(dir);
        if (!meta) {
            if (fs::exists(fs::path(dir) / "meta.properties")) {
                return unexpected<std::string>(meta.error());
            }
            unformatted.push_back(dir);
            continue;
        }
        if (meta->node_id != node_id) {
            return unexpected<std::string>(dir + " belongs to node " + std::to_string(meta->node_id)
                                           + ", not node.id " + std::to_string(node_id));
        }
        if (!cluster_id.empty() && meta->cluster_id != cluster_id) {
            return unexpected<std::string>(dir + " belongs to cluster " + meta->cluster_id
                                           + ", not " + cluster_id);
        }
        cluster_id = meta->cluster_id;
    }
    if (cluster_id.empty()) {
        cluster_id = protocol::Uuid::random().to_string();
    }
    for (const auto& dir : unformatted) {
        MetaProperties meta{cluster_id, node_id, protocol::Uuid::random().to_string()};
        auto written = write_meta_properties(dir, meta);
        if (!written) {
            return unexpected<std::string>(written.error());
        }
    }
    return cluster_id;
}

}  // namespace gregor::broker
