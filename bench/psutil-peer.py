# Peer: psutil's net_connections(kind='tcp'), the usual library answer in
# Python. The same job as `sockscope list -t -a --json`: every TCP socket (IPv4
# and IPv6) with the process that holds it (psutil names one pid per socket,
# None when it found none), one JSON object per line on stdout so the bench can
# check the answer against its scene. Exits 42 when psutil is not importable;
# `--probe` prints psutil's version instead.
import json
import sys

try:
    import psutil
except ImportError:
    sys.stderr.write('psutil is not installed for this python\n')
    sys.exit(42)

if sys.argv[1:] == ['--probe']:
    sys.stdout.write(psutil.__version__ + '\n')
    sys.exit(0)

dumps = json.JSONEncoder(separators=(',', ':')).encode
lines = []
for c in psutil.net_connections(kind='tcp'):
    local = c.laddr
    remote = c.raddr
    lines.append(dumps({
        'localAddress': local.ip if local else '',
        'localPort': local.port if local else 0,
        'remoteAddress': remote.ip if remote else '',
        'remotePort': remote.port if remote else 0,
        'state': c.status,
        'pid': c.pid,
    }))
lines.append('')
sys.stdout.write('\n'.join(lines))
