// The live table's netlink reads (watch, one dump of the socket table a
// second). The npm `netlink` socket hands JavaScript one datagram per libuv
// wake-up and allocates a Buffer for each; at 100k sockets that is ~300
// callbacks and ~10 MB of fresh Buffers per dump, every second. Here a worker
// thread reads the whole reply with big recv() calls straight into one buffer
// that JavaScript owns and hands back every time (no fresh pages per dump),
// and the promise settles once, with the reply's length. Decoding stays in
// TypeScript (src/collectors/sockdiag/codec.ts and live-table.ts), which reads
// the bytes where they landed.
//
//   diagOpen() -> fd of a NETLINK_SOCK_DIAG socket in our own network namespace
//   diagDump(fd, request: Uint8Array, into: Buffer) -> Promise<{ length, bytes?, truncated }>
//     every reply datagram of the request (up to NLMSG_DONE / NLMSG_ERROR of its
//     seq), in order, written to `into` from offset 0; when the reply does not
//     fit, `bytes` is a new Buffer holding all of it (and `into` is left as scratch)
//   diagClose(fd)
#include <node_api.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "common.h"

namespace sockscope_live {

// Largest reply kept from one dump (~100 bytes a socket without extensions);
// the rest is read and dropped, and the result says so.
const size_t kCap = 512u << 20;
// Room left for one datagram: the kernel sizes dump datagrams to at most 32 KiB
// (netlink_recvmsg caps max_recvmsg_len), so 64 KiB never truncates one.
const size_t kDatagram = 1 << 16;

using sockscope::ThrowErrno;

napi_value ErrnoError(napi_env env, int err) {
  char text[64];
  snprintf(text, sizeof text, "errno %d", err);
  napi_value code, message, e = nullptr;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &e);
  return e;
}

napi_value DiagOpen(napi_env env, napi_callback_info) {
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (sock < 0) {
    ThrowErrno(env, errno);
    return nullptr;
  }
  sockscope::TuneDiagSocket(sock);  // room for the datagrams while the worker copies
  napi_value out;
  napi_create_int32(env, sock, &out);
  return out;
}

const napi_callback DiagClose = sockscope::CloseFd;

struct Dump {
  int fd;
  std::vector<char> request;
  // JavaScript's buffer (kept alive by `ref`), written by the worker only.
  char* into;
  size_t cap;
  napi_ref ref = nullptr;
  size_t length = 0;
  // What did not fit in `into`, in order after it.
  std::vector<char> overflow;
  bool truncated = false;
  int err = 0;
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
};

// Append one datagram's worth: recv() into `into` while 64 KiB remain there,
// else into scratch then onto the overflow.
void RunDump(Dump* d) {
  uint32_t seq;
  memcpy(&seq, d->request.data() + 8, 4);
  struct sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  if (sendto(d->fd, d->request.data(), d->request.size(), 0, (struct sockaddr*)&kernel, sizeof kernel) < 0) {
    d->err = errno;
    return;
  }
  std::vector<char> scratch;
  bool done = false;
  while (!done) {
    bool direct = d->overflow.empty() && d->cap - d->length >= kDatagram;
    char* at;
    if (direct) {
      at = d->into + d->length;
    } else {
      if (scratch.empty()) scratch.resize(kDatagram);
      at = scratch.data();
    }
    ssize_t n = recv(d->fd, at, kDatagram, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      d->err = errno;
      return;
    }
    if (n == 0) break;
    // The end of our dump: NLMSG_DONE or NLMSG_ERROR with the request's seq.
    for (ssize_t p = 0; p + 16 <= n;) {
      struct nlmsghdr h;
      memcpy(&h, at + p, sizeof h);
      if (h.nlmsg_len < 16 || p + (ssize_t)h.nlmsg_len > n) break;
      if (h.nlmsg_seq == seq && (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR)) done = true;
      p += (h.nlmsg_len + 3) & ~3u;
    }
    if (d->length + d->overflow.size() + (size_t)n > kCap) {
      // Read on to the end (the socket is reused), keeping nothing more.
      d->truncated = true;
      continue;
    }
    if (direct) d->length += (size_t)n;
    else d->overflow.insert(d->overflow.end(), at, at + n);
  }
}

void Complete(napi_env env, napi_status status, void* data) {
  auto* d = static_cast<Dump*>(data);
  napi_value result = nullptr, len, t, bytes;
  if (status == napi_cancelled) d->err = ECANCELED;
  if (d->err != 0) {
    napi_value e = ErrnoError(env, d->err);
    if (!e) napi_get_undefined(env, &e);
    napi_reject_deferred(env, d->deferred, e);
  } else {
    bool ok = napi_create_object(env, &result) == napi_ok &&
      napi_create_double(env, (double)(d->length + d->overflow.size()), &len) == napi_ok &&
      napi_get_boolean(env, d->truncated, &t) == napi_ok &&
      napi_set_named_property(env, result, "length", len) == napi_ok &&
      napi_set_named_property(env, result, "truncated", t) == napi_ok;
    if (ok && !d->overflow.empty()) {
      // Did not fit: all of it in a new Buffer (JavaScript keeps a bigger one for next time).
      void* out = nullptr;
      ok = napi_create_buffer(env, d->length + d->overflow.size(), &out, &bytes) == napi_ok && out != nullptr;
      if (ok) {
        memcpy(out, d->into, d->length);
        memcpy((char*)out + d->length, d->overflow.data(), d->overflow.size());
        ok = napi_set_named_property(env, result, "bytes", bytes) == napi_ok;
      }
    }
    if (ok) {
      napi_resolve_deferred(env, d->deferred, result);
    } else {
      napi_value e = nullptr, text;
      napi_create_string_utf8(env, "diagDump: could not build the result", NAPI_AUTO_LENGTH, &text);
      napi_create_error(env, nullptr, text, &e);
      if (!e) napi_get_undefined(env, &e);
      napi_reject_deferred(env, d->deferred, e);
    }
  }
  if (d->ref) napi_delete_reference(env, d->ref);
  napi_delete_async_work(env, d->work);
  delete d;
}

napi_value DiagDump(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t fd = -1;
  void* req = nullptr;
  size_t reqlen = 0;
  void* into = nullptr;
  size_t cap = 0;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  bool isbuf = false;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_typedarray_info(env, argv[1], &type, &reqlen, &req, &ab, &off) != napi_ok || type != napi_uint8_array || reqlen < 16 ||
      napi_is_buffer(env, argv[2], &isbuf) != napi_ok || !isbuf || napi_get_buffer_info(env, argv[2], &into, &cap) != napi_ok) {
    napi_throw_type_error(env, nullptr, "diagDump(fd: number, request: Uint8Array, into: Buffer)");
    return nullptr;
  }
  auto* d = new Dump();
  d->fd = fd;
  d->request.assign((char*)req, (char*)req + reqlen);
  d->into = (char*)into;
  d->cap = cap;
  napi_value promise, name;
  if (napi_create_reference(env, argv[2], 1, &d->ref) != napi_ok || napi_create_promise(env, &d->deferred, &promise) != napi_ok) {
    if (d->ref) napi_delete_reference(env, d->ref);
    delete d;
    napi_throw_error(env, nullptr, "diagDump: could not start");
    return nullptr;
  }
  napi_create_string_utf8(env, "sockscope_diag_dump", NAPI_AUTO_LENGTH, &name);
  napi_status queued = napi_create_async_work(
      env, nullptr, name, [](napi_env, void* data) { RunDump(static_cast<Dump*>(data)); }, Complete, d, &d->work);
  if (queued == napi_ok) queued = napi_queue_async_work(env, d->work);
  if (queued != napi_ok) {
    // Never a promise that cannot settle.
    napi_value e = nullptr, text;
    napi_create_string_utf8(env, "diagDump: could not queue the dump", NAPI_AUTO_LENGTH, &text);
    napi_create_error(env, nullptr, text, &e);
    if (!e) napi_get_undefined(env, &e);
    napi_reject_deferred(env, d->deferred, e);
    if (d->work) napi_delete_async_work(env, d->work);
    napi_delete_reference(env, d->ref);
    delete d;
  }
  return promise;
}

void Set(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn) == napi_ok) napi_set_named_property(env, exports, name, fn);
}

}  // namespace sockscope_live

// Called from Init in scan.cc (one addon, one module).
void RegisterLive(napi_env env, napi_value exports) {
  using namespace sockscope_live;
  Set(env, exports, "diagOpen", DiagOpen);
  Set(env, exports, "diagDump", DiagDump);
  Set(env, exports, "diagClose", DiagClose);
}
