// Internal helpers shared by the shim's C++ files.
#pragma once
#include "fs_shim.h"
#include "../../include/faceswap.h"  // the status codes (FS_ERR_*): one definition, the public header's
#include <exception>
#include <new>
#include <string>

namespace fsx {

inline int fail(int status, const std::string &message) {
    fsx_set_status(status);
    fsx_set_error(message.c_str());
    return status;
}

inline int channels_of(int format) {
    switch (format) {
    case 1: return 1;
    case 2: case 3: return 3;
    case 4: case 5: return 4;
    default: return 0;
    }
}

}  // namespace fsx

// Runs body; turns any exception into a status and message. body returns int.
#define FSX_GUARD(where, ...)                                                          \
    try {                                                                                 \
        __VA_ARGS__                                                                       \
    } catch (const std::bad_alloc &) {                                                    \
        return fsx::fail(FS_ERR_OUT_OF_MEMORY, std::string(where) + ": out of memory");     \
    } catch (const std::exception &e) {                                                   \
        return fsx::fail(FS_ERR_INTERNAL, std::string(where) + ": " + e.what());            \
    } catch (...) {                                                                       \
        return fsx::fail(FS_ERR_INTERNAL, std::string(where) + ": unknown C++ exception");  \
    }

// Same for functions that return a pointer (NULL on failure).
#define FSX_GUARD_PTR(where, status, ...)                                              \
    try {                                                                                 \
        __VA_ARGS__                                                                       \
    } catch (const std::bad_alloc &) {                                                    \
        fsx::fail(FS_ERR_OUT_OF_MEMORY, std::string(where) + ": out of memory");            \
        return nullptr;                                                                   \
    } catch (const std::exception &e) {                                                   \
        fsx::fail(status, std::string(where) + ": " + e.what());                          \
        return nullptr;                                                                   \
    } catch (...) {                                                                       \
        fsx::fail(status, std::string(where) + ": unknown C++ exception");                \
        return nullptr;                                                                   \
    }
