// jemalloc's options for spur, read by jemalloc when the process starts (MALLOC_CONF in
// the environment overrides them).
//
// thp:always: jemalloc asks for transparent huge pages for its memory (the kernel's
// default, `madvise`, gives them only to memory that asks). A server's state is millions
// of small objects made at once: at recovery, page faults on fresh 4 KiB pages were a
// third of the time, and 1,000,000 users came back in 4-6 s instead of 11-13 s
// (docs/performance.md).
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's interface
const char* malloc_conf = "thp:always";
}
