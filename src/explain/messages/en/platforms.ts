// Sockets on macOS, Windows and the BSDs: what their sources give, and what not.
export const platforms = {
  'platform.replay': 'Test seam on: the output of {platform} tools is replayed from {dir} (SOCKSCOPE_EXEC_REPLAY); nothing is read from this machine.',
  'platform.note.absent': 'Note: {source} does not give {fields}; where a row has no value for them it is unknown (0 in --json means unknown here, not root or no file).',
  'platform.field.fd': 'file descriptors',
  'platform.field.uid': "the socket's owner (uid)",
  'platform.field.inode': 'socket inodes',
  'platform.field.queues': 'queues (Recv-Q, Send-Q)',
  'platform.field.backlog': 'listen backlogs',
  'platform.field.user': 'user names',
  'platform.field.command': 'command lines',
  'platform.note.tool-failed': 'Note: {n} program(s) this source reads could not run, and what they tell is missing: {tools}.',
  'platform.not-installed': 'not found',
  'platform.note.unnamed': '{n} process(es) holding sockets had exited before their names were read (pid {pids}): shown by pid only.',
  'note.backlog-unknown-windows': 'Note: Windows netstat shows neither queues nor listen backlogs, so Recv-Q and Send-Q read 0 and a LISTEN row\'s backlog "?".',
  'note.backlog-unknown-macos': 'Note: netstat -anv does not show listen backlogs, so a LISTEN row shows its backlog (Send-Q) as "?".',
  'err.kill-signal-windows': 'Windows has no {signal}: kill sends TERM (taskkill, a request to close) or KILL (taskkill /F, the process is ended)',
  'err.kill-windows-system': 'refusing to stop pid {pid}: on Windows it is the kernel ("System"; HTTP.sys and SMB listen there), not a program. Stop the service behind the port instead (for HTTP.sys: netsh http show servicestate names it)',
} as const;
