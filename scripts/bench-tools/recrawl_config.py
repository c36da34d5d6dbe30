"""The re-crawl bench's configuration (scripts/bench recrawl).

recrawl_config.py SOURCES_TOML OUT_DIR PORT

Writes OUT_DIR/sources.toml: the region's sources.toml with each local
`members/...` URL served over HTTP by `origin` on 127.0.0.1:PORT, each
source on a host name of its own (`m0042.origin.test`), and private networks
allowed, the territories' GeoJSON files read where the region has them;
and OUT_DIR/hosts, the hosts(5) table that resolves those names
to 127.0.0.1 (given to babillard through BABILLARD_HOSTS).
"""

import os
import re
import sys

src, out, port = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(src, encoding="utf-8").read()
text = text.replace('data_dir = "data"', 'data_dir = "data"\nallow_private_networks = true', 1)
hosts = set()


def served(m):
    name = m.group(1)
    member = re.match(r"(?:wp-)?(m\d+)", name)
    host = f"{member.group(1) if member else 'members'}.origin.test"
    hosts.add(host)
    return f'url = "http://{host}:{port}/members/{name}"'


text = re.sub(r'url = "members/([^"]+)"', served, text)
# The territories' GeoJSON files stay where the region has them (the
# configuration's relative paths are read from OUT_DIR).
region = os.path.dirname(os.path.abspath(src))
text = re.sub(
    r'geojson = "([^"/][^"]*)"',
    lambda m: 'geojson = "%s"' % os.path.join(region, m.group(1)),
    text,
)
with open(f"{out}/sources.toml", "w", encoding="utf-8") as f:
    f.write(text)
with open(f"{out}/hosts", "w", encoding="utf-8") as f:
    f.writelines(f"127.0.0.1 {h}\n" for h in sorted(hosts))
print(len(hosts))
