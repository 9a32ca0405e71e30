#include "gregor/common/file_handle.h"

#include <unistd.h>

namespace gregor {

FileHandle::~FileHandle() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

}  // namespace gregor
