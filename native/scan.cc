// Native fd scan: every /proc/<pid>/fd/<n> that is a socket, as (inode, pid, fd)
// triples. Why native: the scan is ~100k readlink() calls on a busy server, and
// each costs ~3.4 us in the kernel alone; Node adds ~2 us of path building and
// string handling per call on one thread. Here the readlinks run on
// several threads with readlinkat() relative to an open fd directory.
// The JavaScript scan in src/collectors/procfs/holders.ts is the reference and
// the fallback; tests check that both give the same answer.
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <atomic>
#include <memory>
#include <vector>

#include "common.h"

namespace fastpath {
void Register(napi_env env, napi_value exports);
}
// native/live.cc: the live table's netlink dump (diagOpen, diagDump, diagClose).
void RegisterLive(napi_env env, napi_value exports);

namespace {

// Cancellation is per scan: each background scan owns a flag, shared (by
// shared_ptr) between the worker and the cancel() function handed to
// JavaScript, and a cancelled scan stops between readlinks and says so in its
// result. A caller that no longer needs a scan cancels it so that the process
// can exit at once (libuv joins its worker threads at exit); other scans in
// flight, started by other queries of the same process, are not touched.
struct CancelFlag {
  std::atomic<bool> set{false};
};

inline bool cancelled(const CancelFlag* c) { return c != nullptr && c->set.load(std::memory_order_relaxed); }

struct Job {
  int dirfd;    // the open /proc/<pid>/fd directory
  int32_t pid;
  int32_t fd;
};

struct Found {
  uint32_t inode;
  int32_t pid;
  int32_t fd;
};

struct Result {
  std::vector<Found> found;
  std::vector<int32_t> unreadable;
  std::vector<int32_t> exited;
  std::vector<int32_t> failed;  // (pid, errno) pairs: fd directory could not be opened for another reason
  bool cancelled = false;       // stopped early: the lists above may be partial
};

using sockscope::socket_inode;
using sockscope::ThrowErrno;

void run_jobs(const Job* jobs, size_t count, std::vector<Found>* out, std::vector<int32_t>* exited,
              std::vector<int32_t>* denied, const CancelFlag* cancel) {
  char buf[64];
  char name[16];
  for (size_t i = 0; i < count; i++) {
    if ((i & 1023) == 0 && cancelled(cancel)) return;
    const Job& j = jobs[i];
    snprintf(name, sizeof name, "%d", j.fd);
    ssize_t n = readlinkat(j.dirfd, name, buf, sizeof buf);
    if (n < 0) {
      // Reported once per pid (the caller dedupes); ENOENT: the fd was closed meanwhile.
      if (errno == ESRCH) exited->push_back(j.pid);
      else if ((errno == EACCES || errno == EPERM) && (denied->empty() || denied->back() != j.pid)) denied->push_back(j.pid);
      continue;
    }
    uint32_t ino = socket_inode(buf, n);
    if (ino != 0) out->push_back({ino, j.pid, j.fd});
  }
}

// Run the readlink jobs of one batch on up to `threads` threads, appending to r.
void run_batch(std::vector<Job>& jobs, unsigned threads, Result& r, const CancelFlag* cancel) {
  if (jobs.empty()) return;
  if (threads < 1) threads = 1;
  if (jobs.size() < 4096) threads = 1;  // not worth a thread
  std::vector<std::vector<Found>> parts(threads);
  std::vector<std::vector<int32_t>> gone(threads);
  std::vector<std::vector<int32_t>> denied(threads);
  std::vector<std::thread> pool;
  size_t per = (jobs.size() + threads - 1) / threads;
  for (unsigned t = 1; t < threads; t++) {
    size_t from = t * per;
    if (from >= jobs.size()) break;
    size_t count = std::min(per, jobs.size() - from);
    pool.emplace_back(run_jobs, jobs.data() + from, count, &parts[t], &gone[t], &denied[t], cancel);
  }
  run_jobs(jobs.data(), std::min(per, jobs.size()), &parts[0], &gone[0], &denied[0], cancel);
  for (auto& th : pool) th.join();
  for (auto& p : parts) r.found.insert(r.found.end(), p.begin(), p.end());
  for (auto& g : gone) r.exited.insert(r.exited.end(), g.begin(), g.end());
  for (auto& g : denied) r.unreadable.insert(r.unreadable.end(), g.begin(), g.end());
  jobs.clear();
}

// Directories kept open at once: a low open-file limit (RLIMIT_NOFILE) must
// never cost a holder, so the scan works in batches and flushes a batch early
// when the kernel refuses another descriptor. It also leaves most of the limit
// to the rest of the program, which reads the socket table at the same time.
size_t batch_dirs() {
  struct rlimit rl;
  size_t limit = 128;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) limit = std::min<size_t>(limit, rl.rlim_cur / 4);
  return std::max<size_t>(limit, 1);
}

// `cancel` may be null (a synchronous scan cannot be cancelled).
Result scan(const std::string& root, const std::vector<int32_t>& pids, unsigned threads, const CancelFlag* cancel) {
  Result r;
  std::vector<Job> jobs;
  std::vector<DIR*> open_dirs;
  const size_t kBatchDirs = batch_dirs();
  auto flush = [&]() {
    run_batch(jobs, threads, r, cancel);
    for (DIR* d : open_dirs) closedir(d);
    open_dirs.clear();
  };
  for (int32_t pid : pids) {
    if (cancelled(cancel)) break;
    if (open_dirs.size() >= kBatchDirs) flush();
    std::string dir = root + "/" + std::to_string(pid) + "/fd";
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 && (errno == EMFILE || errno == ENFILE) && !open_dirs.empty()) {
      flush();
      dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd < 0) {
      if (errno == EACCES || errno == EPERM) r.unreadable.push_back(pid);
      else if (errno == ENOENT || errno == ESRCH) r.exited.push_back(pid);
      else {
        // e.g. EMFILE with nothing left to free, or ELOOP in a crafted tree: said with its errno, not hidden.
        r.failed.push_back(pid);
        r.failed.push_back(errno);
      }
      continue;
    }
    // The DIR owns dfd, which stays open for readlinkat until the batch is flushed.
    DIR* d = fdopendir(dfd);
    if (!d) {
      int err = errno;
      close(dfd);
      r.failed.push_back(pid);
      r.failed.push_back(err);
      continue;
    }
    errno = 0;
    size_t before = jobs.size();
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      jobs.push_back({dfd, pid, atoi(e->d_name)});
    }
    if (errno == EACCES || errno == EPERM) {
      jobs.resize(before);
      r.unreadable.push_back(pid);
    }
    open_dirs.push_back(d);
  }
  flush();
  // The flag only goes from false to true: unset now means it was never set
  // while we scanned, so the answer is whole.
  r.cancelled = cancelled(cancel);
  return r;
}

// Every N-API call below can fail (out of memory, an exception pending while
// the environment shuts down): a failure gives nullptr, never a write through
// a null pointer. The callers turn nullptr into a thrown or rejected Error.
napi_value Int32List(napi_env env, const std::vector<int32_t>& v) {
  napi_value ab, arr;
  void* data = nullptr;
  if (napi_create_arraybuffer(env, v.size() * 4, &data, &ab) != napi_ok || (data == nullptr && !v.empty())) return nullptr;
  if (!v.empty()) memcpy(data, v.data(), v.size() * 4);
  if (napi_create_typedarray(env, napi_int32_array, v.size(), ab, 0, &arr) != napi_ok) return nullptr;
  return arr;
}

napi_value ToJs(napi_env env, const Result& r) {
  napi_value found_ab, found, obj, c;
  void* fdata = nullptr;
  if (napi_create_arraybuffer(env, r.found.size() * 12, &fdata, &found_ab) != napi_ok || (fdata == nullptr && !r.found.empty())) return nullptr;
  uint32_t* w = (uint32_t*)fdata;
  for (size_t i = 0; i < r.found.size(); i++) {
    w[3 * i] = r.found[i].inode;
    w[3 * i + 1] = (uint32_t)r.found[i].pid;
    w[3 * i + 2] = (uint32_t)r.found[i].fd;
  }
  if (napi_create_typedarray(env, napi_uint32_array, r.found.size() * 3, found_ab, 0, &found) != napi_ok) return nullptr;
  if (napi_create_object(env, &obj) != napi_ok) return nullptr;
  napi_value unreadable = Int32List(env, r.unreadable);
  napi_value exited = Int32List(env, r.exited);
  napi_value failed = Int32List(env, r.failed);
  if (!unreadable || !exited || !failed || napi_get_boolean(env, r.cancelled, &c) != napi_ok) return nullptr;
  if (napi_set_named_property(env, obj, "found", found) != napi_ok || napi_set_named_property(env, obj, "unreadable", unreadable) != napi_ok ||
      napi_set_named_property(env, obj, "exited", exited) != napi_ok || napi_set_named_property(env, obj, "failed", failed) != napi_ok ||
      napi_set_named_property(env, obj, "cancelled", c) != napi_ok) return nullptr;
  return obj;
}

// The pending exception, or a new Error saying what failed (to reject or throw).
napi_value FailureValue(napi_env env, const char* what) {
  bool pending = false;
  napi_value e = nullptr;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending && napi_get_and_clear_last_exception(env, &e) == napi_ok && e) return e;
  napi_value text;
  if (napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &text) != napi_ok || napi_create_error(env, nullptr, text, &e) != napi_ok) return nullptr;
  return e;
}

// Read (procRoot: string, pids: Int32Array, threads: number); false after a thrown TypeError.
bool ReadArgs(napi_env env, napi_callback_info info, std::string* root, std::vector<int32_t>* pids, uint32_t* threads) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) {
    napi_throw_type_error(env, nullptr, "scan(procRoot, pids, threads)");
    return false;
  }
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "procRoot must be a string");
    return false;
  }
  root->assign(len, '\0');
  napi_get_value_string_utf8(env, argv[0], &(*root)[0], len + 1, &len);
  napi_typedarray_type type;
  size_t count;
  void* data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[1], &type, &count, &data, &ab, &off) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, nullptr, "pids must be an Int32Array");
    return false;
  }
  pids->assign((int32_t*)data, (int32_t*)data + count);
  *threads = 1;
  napi_get_value_uint32(env, argv[2], threads);
  return true;
}

// scan(procRoot, pids, threads) -> { found: Uint32Array [inode, pid, fd]*, unreadable: Int32Array, exited: Int32Array }
napi_value Scan(napi_env env, napi_callback_info info) {
  std::string root;
  std::vector<int32_t> pids;
  uint32_t threads;
  if (!ReadArgs(env, info, &root, &pids, &threads)) return nullptr;
  napi_value v = ToJs(env, scan(root, pids, threads, nullptr));
  if (!v) {
    napi_value e = FailureValue(env, "scan: could not build the result");
    if (e) napi_throw(env, e);
  }
  return v;
}

struct AsyncScan {
  std::string root;
  std::vector<int32_t> pids;
  uint32_t threads;
  std::shared_ptr<CancelFlag> cancel;
  Result result;
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
};

// cancel() of one scan: sets that scan's flag. The function owns a reference
// to the flag (released by its finalizer), so a late call after the scan
// finished is harmless.
napi_value CancelOne(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  if (data) (*static_cast<std::shared_ptr<CancelFlag>*>(data))->set.store(true);
  return nullptr;
}

void FreeFlag(napi_env, void* data, void*) { delete static_cast<std::shared_ptr<CancelFlag>*>(data); }

// scanAsync(procRoot, pids, threads) -> { done: Promise of the same object
// (with cancelled: true when cut short), cancel(): stop this scan }, computed
// off the JavaScript thread so that the netlink dump can be read meanwhile.
napi_value ScanAsync(napi_env env, napi_callback_info info) {
  auto* job = new AsyncScan();
  if (!ReadArgs(env, info, &job->root, &job->pids, &job->threads)) {
    delete job;
    return nullptr;
  }
  job->cancel = std::make_shared<CancelFlag>();
  napi_value promise, name, cancel_fn, handle;
  auto* ref = new std::shared_ptr<CancelFlag>(job->cancel);
  if (napi_create_function(env, "cancel", NAPI_AUTO_LENGTH, CancelOne, ref, &cancel_fn) != napi_ok) {
    delete ref;
    delete job;
    napi_throw_error(env, nullptr, "scanAsync: could not create the cancel handle");
    return nullptr;
  }
  if (napi_add_finalizer(env, cancel_fn, ref, FreeFlag, nullptr, nullptr) != napi_ok) {
    delete ref;  // a leak avoided; cancel() would then touch freed memory, so no scan either
    delete job;
    napi_throw_error(env, nullptr, "scanAsync: could not create the cancel handle");
    return nullptr;
  }
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_object(env, &handle);
  napi_set_named_property(env, handle, "done", promise);
  napi_set_named_property(env, handle, "cancel", cancel_fn);
  napi_create_string_utf8(env, "sockscope_scan", NAPI_AUTO_LENGTH, &name);
  napi_status queued = napi_create_async_work(
      env, nullptr, name,
      [](napi_env, void* data) {
        auto* j = static_cast<AsyncScan*>(data);
        j->result = scan(j->root, j->pids, j->threads, j->cancel.get());
      },
      [](napi_env env, napi_status status, void* data) {
        auto* j = static_cast<AsyncScan*>(data);
        // napi_cancelled: the work never ran (the environment is going away).
        if (status == napi_cancelled) j->result.cancelled = true;
        napi_value v = ToJs(env, j->result);
        if (v) {
          napi_resolve_deferred(env, j->deferred, v);
        } else {
          napi_value e = FailureValue(env, "scanAsync: could not build the result");
          if (!e) napi_get_undefined(env, &e);
          napi_reject_deferred(env, j->deferred, e);
        }
        napi_delete_async_work(env, j->work);
        delete j;
      },
      job, &job->work);
  if (queued == napi_ok) queued = napi_queue_async_work(env, job->work);
  if (queued != napi_ok) {
    // Never a promise that cannot settle: reject it now.
    napi_value e = FailureValue(env, "scanAsync: could not start the scan");
    if (!e) napi_get_undefined(env, &e);
    napi_reject_deferred(env, job->deferred, e);
    if (job->work) napi_delete_async_work(env, job->work);
    delete job;
  }
  return handle;
}

// ---- Sockets of another network namespace ------------------------------------
// A netlink socket belongs to the network namespace of the thread that created
// it, for its whole life (net/netlink/af_netlink.c: sock_net is set at create).
// So: a fresh thread enters the namespace with setns(2), creates the
// NETLINK_SOCK_DIAG socket and ends; the socket, kept by its fd, answers dumps
// about that namespace from any thread. A fresh thread, never a pooled one: a
// pooled thread left in another namespace would run later work there.

// netnsOpen(path, expectedInode) -> fd of a NETLINK_SOCK_DIAG socket in the
// namespace that `path` (/proc/<pid>/ns/net or a bind mount) names. Throws an
// Error whose code is the errno name's number ("errno N") when it cannot:
// ESTALE when the file names another namespace than expected (the pid was reused).
napi_value NetnsOpen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 2) {
    napi_throw_type_error(env, nullptr, "netnsOpen(path, inode)");
    return nullptr;
  }
  char path[4096];
  size_t len = 0;
  double expected = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len >= sizeof path - 1 ||
      napi_get_value_double(env, argv[1], &expected) != napi_ok) {
    napi_throw_type_error(env, nullptr, "netnsOpen(path: string, inode: number)");
    return nullptr;
  }
  int err = 0;
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  int sock = -1;
  if (nsfd < 0) {
    err = errno;
  } else {
    struct stat st;
    if (fstat(nsfd, &st) != 0) err = errno;
    else if (expected > 0 && (double)st.st_ino != expected) err = ESTALE;
    if (err == 0) {
      std::thread t([&]() {
        if (setns(nsfd, CLONE_NEWNET) != 0) {
          err = errno;
          return;
        }
        sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (sock < 0) err = errno;
      });
      t.join();
    }
    close(nsfd);
  }
  if (sock < 0) {
    ThrowErrno(env, err);
    return nullptr;
  }
  sockscope::TuneDiagSocket(sock);
  napi_value out;
  napi_create_int32(env, sock, &out);
  return out;
}

// Largest reply kept from one dump (a namespace's whole table; ~100 bytes a
// socket without extensions): a bigger one is cut here and said so.
const size_t kDumpCap = 512u << 20;

// netnsDump(fd, request: Uint8Array) -> { bytes: Buffer (every reply datagram,
// in order), truncated: boolean }. The request's nlmsg_seq marks our replies;
// the dump ends at NLMSG_DONE or NLMSG_ERROR with that seq. Throws on a
// socket error (its errno), including the 10 s timeout (EAGAIN).
napi_value NetnsDump(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t fd = -1;
  void* req = nullptr;
  size_t reqlen = 0;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &reqlen, &req, &ab, &off) != napi_ok || type != napi_uint8_array || reqlen < 16) {
    napi_throw_type_error(env, nullptr, "netnsDump(fd: number, request: Uint8Array)");
    return nullptr;
  }
  uint32_t seq;
  memcpy(&seq, (char*)req + 8, 4);
  struct sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  int err = 0;
  if (sendto(fd, req, reqlen, 0, (struct sockaddr*)&kernel, sizeof kernel) < 0) err = errno;
  std::vector<char> out;
  bool truncated = false;
  std::vector<char> buf(1 << 16);
  bool done = err != 0;
  while (!done) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (n == 0) break;
    // Find the end of our dump in this datagram.
    for (ssize_t p = 0; p + 16 <= n;) {
      struct nlmsghdr h;
      memcpy(&h, buf.data() + p, sizeof h);
      if (h.nlmsg_len < 16 || p + (ssize_t)h.nlmsg_len > n) break;
      if (h.nlmsg_seq == seq && (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR)) done = true;
      p += (h.nlmsg_len + 3) & ~3u;
    }
    if (out.size() + (size_t)n > kDumpCap) {
      // Keep reading to the end (the socket is reused), keeping nothing more.
      truncated = true;
      continue;
    }
    out.insert(out.end(), buf.data(), buf.data() + n);
  }
  if (err != 0) {
    ThrowErrno(env, err);
    return nullptr;
  }
  napi_value bytes, obj, t;
  void* data = nullptr;
  if (napi_create_buffer_copy(env, out.size(), out.empty() ? "" : out.data(), &data, &bytes) != napi_ok ||
      napi_create_object(env, &obj) != napi_ok || napi_get_boolean(env, truncated, &t) != napi_ok) {
    napi_value e = FailureValue(env, "netnsDump: could not build the result");
    if (e) napi_throw(env, e);
    return nullptr;
  }
  napi_set_named_property(env, obj, "bytes", bytes);
  napi_set_named_property(env, obj, "truncated", t);
  return obj;
}

// netnsClose(fd): close a socket netnsOpen() gave.
const napi_callback NetnsClose = sockscope::CloseFd;

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn, afn;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, nullptr, &fn);
  napi_set_named_property(env, exports, "scan", fn);
  napi_create_function(env, "scanAsync", NAPI_AUTO_LENGTH, ScanAsync, nullptr, &afn);
  napi_set_named_property(env, exports, "scanAsync", afn);
  napi_value o, d, c;
  napi_create_function(env, "netnsOpen", NAPI_AUTO_LENGTH, NetnsOpen, nullptr, &o);
  napi_set_named_property(env, exports, "netnsOpen", o);
  napi_create_function(env, "netnsDump", NAPI_AUTO_LENGTH, NetnsDump, nullptr, &d);
  napi_set_named_property(env, exports, "netnsDump", d);
  napi_create_function(env, "netnsClose", NAPI_AUTO_LENGTH, NetnsClose, nullptr, &c);
  napi_set_named_property(env, exports, "netnsClose", c);
  fastpath::Register(env, exports);
  RegisterLive(env, exports);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
