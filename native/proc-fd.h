// What both native files read from /proc/<pid>/fd links.
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <cstring>

namespace sockscope {

// "socket:[12345]" -> 12345; 0 when the link is not a socket. Socket inodes
// are 32-bit (get_next_ino(), and sock_diag's idiag_inode is a u32): a larger
// number (only a crafted tree has one) names no socket, rather than wrapping
// around onto another socket's inode.
inline uint32_t socket_inode(const char* buf, ssize_t n) {
  if (n < 10 || n > 8 + 10 + 1 || memcmp(buf, "socket:[", 8) != 0 || buf[n - 1] != ']') return 0;
  uint64_t v = 0;
  for (ssize_t i = 8; i < n - 1; i++) {
    if (buf[i] < '0' || buf[i] > '9') return 0;
    v = v * 10 + (uint64_t)(buf[i] - '0');
  }
  return v > 0xffffffffull ? 0 : (uint32_t)v;
}

}  // namespace sockscope
