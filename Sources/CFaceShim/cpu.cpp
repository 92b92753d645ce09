#include "common.hpp"
#include <sched.h>
#include <thread>

// The CPUs this process may run on (its affinity mask; the hardware's count if that is unknown).
extern "C" int fsx_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? (int)n : 1;
}
