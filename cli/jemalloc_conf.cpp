// jemalloc's options for spur, read by jemalloc when the process starts (MALLOC_CONF in
// the environment overrides them).
//
// thp:always: jemalloc asks for transparent huge pages for its memory (the kernel's
// default, `madvise`, gives them only to memory that asks). A server's state is millions
// of small objects made at once: at recovery, page faults on fresh 4 KiB pages were a
// third of the time, and 1,000,000 users came back in 4-6 s instead of 11-13 s
// (docs/performance.md). Once recovered, `spur serve` asks the kernel for no more huge
// pages (server/huge_pages.hpp): a request must not wait for a 2 MiB page's first touch.
//
// dirty_decay_ms:-1: memory freed is kept for the next allocation instead of being given
// back to the kernel on a timer. Given back, it comes back as page faults on the loop that
// next allocates it, a whole huge page at a time, and on a virtual machine that reports
// free pages to its host each fault waits for the host too: 20 ms for 2 MiB on the
// benchmark's machine, the decisions' p99 at half of the peak 6-9 ms instead of 0.4-0.6
// ms in storage mode disk (docs/performance.md, "Decisions over HTTP"). The price: the
// process keeps its peak footprint.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's interface
const char* malloc_conf = "thp:always,dirty_decay_ms:-1";
}
