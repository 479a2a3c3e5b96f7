// English messages of the 'web-server' area (keys start with 'webserver.'):
// `sockscope web`'s lines on the terminal and the server's answers to the page.
// The page's own texts are the 'web' area (keys 'web.').
export const webServer = {
  'webserver.err.args': "web takes no arguments, got '{arg}' (see sockscope web --help)",
  'webserver.err.listen': "invalid --listen '{text}': expected HOST:PORT, HOST an IPv4 address, an IPv6 address in brackets or localhost, PORT from 0 (any free port) to 65535 (e.g. 127.0.0.1:8080, [::1]:0)",
  'webserver.err.source-lsof': '--source lsof gives one whole look at a time; the page is fed by the live socket table at every look: use auto, netlink or proc',
  'webserver.serving': 'sockscope web: open {url} in a browser (Ctrl-C stops)',
  'webserver.also': 'sockscope web: also listening on {addresses}',
  'webserver.public': 'sockscope web: warning: {address} can be reached from other machines, and the page shows every process\'s command line; the token still guards it, but a loopback address (the default) keeps it private',
  'webserver.actions-on': 'sockscope web: --allow-actions: the page can signal processes and close connections (each after a confirmation, with the same checks as the live view)',
  'webserver.listen-failed': 'sockscope web: cannot listen on {address}: {reason}',
  'webserver.listen-busy': 'the port is already in use',
  'webserver.listen-denied': 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  'webserver.listen-unavailable': 'this machine has no such address',
  'webserver.open-failed': 'sockscope web: could not start a browser ({command}: {reason}); open the address above yourself',
  'webserver.look-failed': 'sockscope web: a look at the socket table failed: {reason}',
  'webserver.not-built': 'The page of sockscope web was not built: {dir} has no index.html (npm run build builds it).',
  'webserver.actions-off': 'Actions are off: start sockscope web with --allow-actions to signal processes and close connections from the page.',
  'webserver.err.json': 'The request needs a JSON object body (Content-Type: application/json, at most 4 KB) with the documented fields.',
  'webserver.err.range': 'from and to are times in milliseconds since 1970 (whole numbers).',
  'webserver.err.rows': 'Rows: sort is one of {keys}, dir asc or desc, offset 0 or more, limit from 0 to {max}.',
  'webserver.err.no-socket': 'No such socket now (it closed, or the id is not one the page was given).',
  'webserver.lab.busy': 'An experiment is already running; it must end before another starts.',
  'webserver.lab.unknown': "No experiment is named '{name}'.",
  'webserver.lab.no-run': 'No such lab run (it ended more than ten minutes ago, or never started).',
  'webserver.kill.not-shown': 'Refused: pid {pid} holds none of the sockets the page shows; nothing was sent.',
  'help.web': "Usage: sockscope web [options]\n\nServes this machine's ports, sockets and processes as a live page in the\nbrowser: a map (peers, ports as doors, the processes behind them), the socket\ntable with the same filter as watch's '/', a timeline of sockets opened and\nclosed, and the lab's experiments. The page is fed by the live socket table at\nevery look and receives only changes. Everything it needs ships in the package:\nit works offline and asks no other host for anything.\n\nThe page is private: it listens on 127.0.0.1 and ::1 only (unless --listen says\notherwise), on a random port, and answers only a browser that came with the\nrandom token in the printed address (then a cookie). Other sites cannot read\nit or send it requests (Host, Origin and CSRF checks).\n\nOptions:\n  --listen HOST:PORT   where to serve (default 127.0.0.1 and ::1, a free port);\n                       HOST is an IPv4 address, [IPv6 address] or localhost;\n                       a non-loopback address gets a warning (the token still applies)\n  --open               start the desktop's browser on the address (xdg-open)\n  --allow-actions      let the page signal processes and close TCP connections,\n                       each after a confirmation, with the live view's checks\n  --interval SECONDS   time between looks (default 1)\n  --rescan SECONDS     reread every process's fds at least this often (default 20)\n\nThe page's language follows --lang (and can be switched on the page).\nThe API the page uses: docs/web.md.\n\nExamples:\n  sockscope web\n  sockscope web --open --lang zh-CN\n  sockscope web --listen 127.0.0.1:8080 --allow-actions\n\nExit status: 0 stopped by SIGINT or SIGTERM, 2 usage error, 3 cannot listen (port in use, no such address).",
} as const;
