#!/bin/sh
# The end of every image step that installs packages: no package manager caches or lists, no
# logs, and no setuid/setgid binaries (a repl runs as uid 1000 with no privilege to gain).
set -eu
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old \
  /var/log/apt /var/log/dpkg.log /var/log/alternatives.log /root/.npm /root/.cache /tmp/* 2>/dev/null || true
find / -xdev -type f -perm /6000 -exec chmod ug-s {} +
