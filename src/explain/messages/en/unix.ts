// English messages of the 'unix' area: the /proc/net/unix fallback and listening Unix sockets in the overview. Keys start with 'unix.'.
export const unix = {
  'unix.proc-note': 'Note: Unix sockets read from {path}{why}: it has no peers, queues or owners, so those show as "?" or not at all (netlink UNIX_DIAG has them).',
  'unix.proc-why': ' because netlink UNIX_DIAG failed ({detail})',
  'unix.issue': 'Note: {subject}: {detail}',
  'unix.overview.failed': 'Note: the listening Unix sockets could not be read: {detail}',
  'unix.overview.title': 'Listening Unix sockets ({n})',
  'unix.overview.more': '… and {n} more (sockscope list -x -l)',
  'unix.overview.col.path': 'PATH',
  'unix.overview.col.type': 'TYPE',
} as const;
