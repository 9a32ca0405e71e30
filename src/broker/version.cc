#include "gregor/broker/version.h"

namespace gregor::broker {

const char* version() {
    return "0.1.0";
}

}  // namespace gregor::broker
