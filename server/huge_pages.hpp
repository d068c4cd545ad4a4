#pragma once

#include <string>

namespace spur::server {

// Tells the kernel to give this process no new transparent huge pages; those it has
// keep theirs. Called once recovery is done. jemalloc asks for huge pages
// (cli/jemalloc_conf.cpp) because recovery makes millions of small objects at once and
// 4 KiB page faults were a third of its time. Once the server answers requests, though,
// a huge page's first touch stalls the thread that allocates for the whole 2 MiB (on a
// virtual machine that reports free pages to its host, about 20 ms): while a server's
// state was growing, decide's p99 at 30,000/s was 23 ms with them and 1.1 ms without,
// and ingestion was no slower (docs/performance.md, "Huge pages after recovery").
// Returns an empty string, or why the kernel refused (the server runs on regardless).
std::string stop_new_huge_pages();

}  // namespace spur::server
