// What the native files share: the reading of /proc/<pid>/fd links, the
// sock_diag socket's settings, and errors thrown with their errno.
#pragma once
#include <node_api.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>
#include <cstdint>
#include <cstdio>
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

// Throws an Error whose code is "errno N" and whose message is strerror(N).
inline void ThrowErrno(napi_env env, int err) {
  char text[64];
  snprintf(text, sizeof text, "errno %d", err);
  napi_value code, message, e;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &e);
  napi_throw(env, e);
}

// A sock_diag socket's settings: room for a dump's big datagrams, and a bound in
// time (a dump never waits long).
inline void TuneDiagSocket(int sock) {
  int rcvbuf = 1 << 21;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = {10, 0};
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// fd => close(fd): a socket diagOpen() or netnsOpen() gave (a negative or missing fd is ignored).
inline napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t fd = -1;
  if (argc >= 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) close(fd);
  return nullptr;
}

}  // namespace sockscope
