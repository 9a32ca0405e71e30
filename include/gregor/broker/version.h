#pragma once

namespace gregor::broker {

// The software version the broker reports (ApiVersions client software, logs, metrics).
const char* version();

}  // namespace gregor::broker
