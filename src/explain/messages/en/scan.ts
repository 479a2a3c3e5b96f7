// English messages of the collectors: what a scan could not see or read, and why
// (keys start with 'scan.'). Said as notes on stderr, so they never spoil JSON or CSV.
export const scan = {
  'scan.note.parse-error': 'Note: {n} record(s) (lines of a table, entries of the tree) could not be read and are not shown; first: {subject} ({reason}): {text}',
  'scan.note.source-error': 'Note: {n} file(s) could not be read; first: {subject} ({reason}).',
  'scan.note.truncated': 'Note: {n} file(s) were longer than sockscope reads; only their start was used; first: {subject} (read up to {detail}).',
  'scan.note.hidepid': 'Note: {root} is mounted with {option}, which hides other users\' processes from us; {sockets} socket(s) show no owner because of it — {advice}.',
  'scan.note.hidepid.advice': 'run as root (sudo) to see them',
  'scan.reason.malformed': 'not in the expected format',
  'scan.reason.out-of-range': 'a number too large for its field',
  'scan.reason.too-long': 'line too long',
  'scan.reason.ELOOP': 'symlink loop',
  'scan.reason.ENOTREG': 'not a regular file',
  'scan.reason.EISDIR': 'a directory, not a file',
  'scan.reason.EACCES': 'permission denied',
  'scan.reason.ENOENT': 'no such file',
  'scan.reason.EIO': 'input/output error',
  'scan.input-too-large': '{file} is larger than the {cap} MiB sockscope reads; give it the part to explain (for example with head -c)',
  'scan.pid-hidden': 'pid {pid} exists but {root} does not show it: /proc is mounted with {option}, which hides other users\' processes — run as root or as its owner',
  'scan.pid-unreadable': 'cannot read the file descriptors of pid {pids}: permission denied{advice}',
  'scan.process-hidden': '{root} is mounted with {option}, which hides other users\' processes: run as root to search them too',
  'scan.pid-unreadable.sudo': ' — run as root (sudo)',
  'scan.pid-unreadable.root': ' — even root was refused (the kernel guards this process)',
} as const;
